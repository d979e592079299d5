#!/usr/bin/env bash
# Draws the extension's icon (icon.png, 256x256) with ImageMagick: a goldcrest, the small bird
# with the golden, black-edged crown stripe, on a dark green tile. Re-run after edits.
# The crown is a stack of circles, each covered by the next but for a crescent on top.
set -euo pipefail
cd "$(dirname "$0")"
convert -size 512x512 xc:none \
  -fill '#1f3b2d' -draw 'roundrectangle 8,8 503,503 96,96' \
  -fill '#6f8f3e' -draw 'ellipse 240,320 160,125 0,360' \
  -fill '#e3e9bf' -draw 'ellipse 262,370 110,68 0,180' \
  -fill '#4d6827' -draw 'polygon 105,310 30,410 90,420 170,360' \
  -fill '#f2b705' -draw 'circle 325,212 325,108' \
  -fill '#ff6a00' -draw 'circle 325,219 325,119' \
  -fill '#f2b705' -draw 'circle 325,226 325,128' \
  -fill '#1a1a1a' -draw 'circle 325,231 325,135' \
  -fill '#6f8f3e' -draw 'circle 325,244 325,143' \
  -fill '#ffffff' -draw 'circle 374,240 374,264' \
  -fill '#111111' -draw 'circle 378,242 378,256' \
  -fill '#2e2e2e' -draw 'polygon 420,246 480,264 420,280' \
  -resize 256x256 -depth 8 icon.png
