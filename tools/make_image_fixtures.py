#!/usr/bin/python3
"""Writes the small image fixtures that Java cannot write itself (WebP, CMYK JPEG) to
src/test/resources/images, with Debian's python3-pil. Every image is 64 x 48 with four coloured
quadrants: red top-left, green top-right, blue bottom-left, yellow bottom-right."""
from pathlib import Path

from PIL import Image

OUT = Path(__file__).resolve().parent.parent / "src/test/resources/images"
QUADRANTS = [((255, 0, 0), (0, 255, 0)), ((0, 0, 255), (255, 255, 0))]


def quadrants(mode="RGB", alpha=None):
    img = Image.new("RGB", (64, 48))
    px = img.load()
    for y in range(48):
        for x in range(64):
            px[x, y] = QUADRANTS[y // 24][x // 32]
    if alpha is not None:
        img = img.convert("RGBA")
        a = Image.new("L", (64, 48), alpha)
        img.putalpha(a)
    return img.convert(mode) if mode != img.mode else img


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    quadrants().save(OUT / "quadrants-lossless.webp", lossless=True)
    quadrants().save(OUT / "quadrants-lossy.webp", quality=95)
    quadrants(mode="RGBA", alpha=128).save(OUT / "quadrants-alpha.webp", lossless=True)
    quadrants().convert("CMYK").save(OUT / "quadrants-cmyk.jpg", quality=95)
    for p in sorted(OUT.iterdir()):
        print(f"{p.stat().st_size:>8} {p.name}")


if __name__ == "__main__":
    main()
