#!/usr/bin/env bash
# Copies the README's screenshots from the last end-to-end run (../test-artifacts, written by
# `npm run e2e`), cropped to the interesting part and scaled to 1100 px wide.
set -euo pipefail
cd "$(dirname "$0")"
src=../test-artifacts
shot() { # NAME SOURCE GEOMETRY (WxH+X+Y of the 1440x900 screenshot)
  convert "$src/$2.png" -crop "$3" +repage -resize '1100x>' -strip "screenshot-$1.png"
}
shot ghost-text 22-embedded-model-ghost-text 1440x420+0+0
shot loading-model 20-embedded-model-loading 1440x900+0+0
shot quick-fix 08-quick-fix-menu 1440x520+0+0
shot context-menu 10-context-menu-strongest 1440x900+0+0
shot explain 14-explain 1440x520+0+0
shot server-not-found 17-server-not-found 1440x900+0+0
ls -la screenshot-*.png
