#!/usr/bin/env bash
# Copies the README's screenshots from the last end-to-end run (../test-artifacts, written by
# `npm run e2e`), cropped to the part that matters (geometry in the 1440x900 screenshots).
set -euo pipefail
cd "$(dirname "$0")"
src=../test-artifacts
shot() { # NAME SOURCE GEOMETRY
  convert "$src/$2.png" -crop "$3" +repage -resize '1100x>' -strip "screenshot-$1.png"
}
shot ghost-text 22-embedded-model-ghost-text 1100x200+345+35
shot loading-model 20-embedded-model-loading 1100x40+340+860
shot quick-fix 08-quick-fix-menu 1100x420+345+35
shot context-menu 10-context-menu-strongest 1100x560+345+260
shot explain 14-explain 1440x520+0+0
shot acceptance 04b-acceptance-stats 1100x260+345+35
shot server-not-found 17-server-not-found 480x380+960+490
ls -la screenshot-*.png
