#!/bin/sh
# Small JPEG fixtures for JPEGDecoderTests (needs python3 and libjpeg-turbo-progs for cjpeg/djpeg).
# Sources are 20 x 12 gradients (width not a multiple of the 8/16-pixel MCU); the .pgm/.ppm references
# are djpeg's decoding with its defaults (integer IDCT, fancy upsampling), which JPEGDecoder also uses.
set -eu
cd "$(dirname "$0")"
python3 - <<'PY'
w, h = 20, 12
grey = bytes((x * 12 + y * 5) % 256 for y in range(h) for x in range(w))
rgb = bytes(v for y in range(h) for x in range(w) for v in ((x * 12) % 256, (y * 20) % 256, (x * y * 3) % 256))
open("/tmp/tessera_source_grey.pgm", "wb").write(b"P5 %d %d 255\n" % (w, h) + grey)
open("/tmp/tessera_source_rgb.ppm", "wb").write(b"P6 %d %d 255\n" % (w, h) + rgb)
PY
cjpeg -grayscale -quality 100 -outfile gradient_grey.jpg /tmp/tessera_source_grey.pgm
cjpeg -quality 90 -sample 2x2 -outfile gradient_rgb.jpg /tmp/tessera_source_rgb.ppm
djpeg -pnm -outfile gradient_grey.pgm gradient_grey.jpg
djpeg -pnm -outfile gradient_rgb.ppm gradient_rgb.jpg
