#!/usr/bin/python3
"""Writes a 500 x 375 JPEG (ImageNet's typical size) of smooth noise for the HTTP load benchmark."""
import sys

import numpy as np
from PIL import Image

rng = np.random.default_rng(1)
small = rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)
Image.fromarray(small).resize((500, 375), Image.BICUBIC).save(sys.argv[1], quality=90)
