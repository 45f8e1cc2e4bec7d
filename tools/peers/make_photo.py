"""Writes a photo-like JPEG for the HTTP benchmark: python make_photo.py OUT.jpg WIDTH HEIGHT [SEED].

Smooth colour fields, shapes with hard edges and per-pixel sensor-like noise, at quality 92, so
that a 4032 x 3024 picture weighs about what a phone's 12 MP photo does (5 to 6 MB): the entropy
decoder, which no reduction skips, then has a phone photo's work to do.
"""
import sys

import numpy as np
from PIL import Image, ImageDraw

out, w, h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
base = Image.fromarray(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)).resize((w, h), Image.BICUBIC)
draw = ImageDraw.Draw(base)
for _ in range(60):
    x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
    s = int(rng.integers(w // 40, w // 6))
    colour = tuple(int(c) for c in rng.integers(0, 256, 3))
    if rng.random() < 0.5:
        draw.ellipse([x, y, x + s, y + s * 2 // 3], fill=colour)
    else:
        draw.rectangle([x, y, x + s, y + s // 2], fill=colour)
pixels = np.asarray(base, dtype=np.int16) + rng.normal(0, 12, (h, w, 1)).astype(np.int16)
Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(out, quality=92)
