"""Generated overlay planes with identifying text beside lines, circles and arrows (issue 21).

Text is rendered 1-bit (no anti-aliasing) with a TrueType font from Debian's
``fonts-dejavu-core``; the graphics are drawn into a separate mask so a test can count how
many of their pixels survive cleaning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

FONTS = Path("/usr/share/fonts/truetype/dejavu")

#: Names, IDs and dates as they appear burned into overlays.
WORDS = ("SMITH", "JOHN", "MUELLER", "ANNA", "PID48213", "123-45-6789", "1962-04-12", "03/11/2024",
         "ACC77120")


def font(size: int, name: str = "DejaVuSans.ttf") -> ImageFont.FreeTypeFont:
    path = FONTS / name
    if not path.exists():
        pytest.skip(f"the font {path} is missing (Debian: fonts-dejavu-core)")
    return ImageFont.truetype(str(path), size)


@dataclass(frozen=True)
class TextPlane:
    """A plane (frames, rows, cols) and, separately, its text and its graphics."""

    bits: NDArray[np.bool_]
    text: NDArray[np.bool_]
    graphics: NDArray[np.bool_]
    words: tuple[tuple[str, ...], ...]  # per frame


def _frame(rows: int, cols: int, lines: list[tuple[int, int, int, str]], seed: int,
           font_name: str) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    text = Image.new("1", (cols, rows), 0)
    draw = ImageDraw.Draw(text)
    draw.fontmode = "1"  # no anti-aliasing: overlay text is 1-bit
    for row, col, size, line in lines:
        draw.text((col, row), line, fill=1, font=font(size, font_name))
    graphics = Image.new("1", (cols, rows), 0)
    g = ImageDraw.Draw(graphics)
    rng = np.random.default_rng(seed)
    # A line, a circle and an arrow in the lower half, away from the text.
    top = rows // 2
    g.line((cols // 10, rows - 20, cols - 30, top + 10), fill=1, width=2)
    cx, cy, r = int(cols * 0.6), int(top + rows * 0.2), int(rows * 0.12) + int(rng.integers(0, 5))
    g.ellipse((cx - r, cy - r, cx + r, cy + r), outline=1, width=2)
    ax, ay = cols // 5, top + rows // 5
    g.line((ax, ay, ax + cols // 6, ay), fill=1, width=2)
    g.polygon([(ax + cols // 6, ay - 6), (ax + cols // 6 + 12, ay), (ax + cols // 6, ay + 6)], fill=1)
    return np.array(text, dtype=bool), np.array(graphics, dtype=bool)


def text_plane(rows: int = 512, cols: int = 512, frames: int = 1, sizes: tuple[int, ...] = (8, 10, 12, 16),
               font_name: str = "DejaVuSans.ttf") -> TextPlane:
    """Return a plane whose frames each hold names, IDs and dates at ``sizes`` px plus graphics.

    Each frame has its own words (a rotation of :data:`WORDS`), so every frame must be read.
    """
    bits, texts, graphics, words = [], [], [], []
    for f in range(frames):
        chosen = [WORDS[(f * 2 + i) % len(WORDS)] for i in range(2 * len(sizes))]
        lines = [(8 + i * (max(sizes) + 10), 10 + 40 * (i % 2), size, f"{chosen[2 * i]} {chosen[2 * i + 1]}")
                 for i, size in enumerate(sizes)]
        t, g = _frame(rows, cols, lines, seed=f, font_name=font_name)
        texts.append(t)
        graphics.append(g)
        bits.append(t | g)
        words.append(tuple(chosen))
    return TextPlane(np.stack(bits), np.stack(texts), np.stack(graphics), tuple(words))


def normalise(text: str) -> str:
    """Letters and digits only, upper case: how a word is compared with what OCR read."""
    return re.sub(r"[^0-9A-Z]", "", text.upper())


def found_words(words_read: list[str], expected: tuple[str, ...]) -> set[str]:
    """Return the expected words that occur in what OCR read (each read word normalised)."""
    read = {normalise(w) for w in words_read}
    joined = "".join(normalise(w) for w in words_read)
    return {w for w in expected
            if normalise(w) in read or (len(normalise(w)) >= 5 and normalise(w) in joined)}


def kept_share(before: NDArray[np.bool_], after: NDArray[np.bool_]) -> float:
    """Share of ``before``'s set pixels still set in ``after``."""
    total = int(np.count_nonzero(before))
    return 1.0 if total == 0 else int(np.count_nonzero(before & after)) / total
