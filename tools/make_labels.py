#!/usr/bin/python3
"""Writes src/main/resources/imagenet-labels.txt: the 1000 ImageNet-1k class names in index order,
one per line, from Debian's python3-torchvision (_IMAGENET_CATEGORIES in torchvision/models/_meta.py)."""
from pathlib import Path

from torchvision.models._meta import _IMAGENET_CATEGORIES

out = Path(__file__).resolve().parent.parent / "src/main/resources/imagenet-labels.txt"
assert len(_IMAGENET_CATEGORIES) == 1000
out.write_text("\n".join(_IMAGENET_CATEGORIES) + "\n", encoding="utf-8")
print("wrote", out, len(_IMAGENET_CATEGORIES), "labels")
