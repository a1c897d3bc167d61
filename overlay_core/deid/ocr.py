"""The OCR engine adapter: words and their boxes in one 1-bit overlay frame.

The engine is Tesseract 5 (Debian ``tesseract-ocr`` with its English LSTM model
``tesseract-ocr-eng``) called through ``pytesseract``. It was chosen because it installs
from the distribution's package registry with its model (no download at run time, no
network), runs on the CPU in a few hundred milliseconds per 512 x 512 frame, is
Apache-licensed, and reports a box and a confidence per word, which is what erasing
needs. Deep-learning engines (EasyOCR, PaddleOCR) fetch their weights on first use and
need a second of CPU per frame at least.

Overlay text is small (8-16 px high), 1-bit and not anti-aliased, which Tesseract reads
poorly as it is: its LSTM model was trained on text about 20-30 px high. So each frame is

1. cropped to its set pixels (plus a margin), so empty space costs nothing;
2. scaled up twice (once when its glyph-sized connected components are over 24 px
   high already: :func:`glyph_scale`), nearest neighbour so that no grey edge is invented;
3. inverted to black on white and padded by 16 white pixels, since Tesseract finds no
   text that touches the image border.

Page segmentation mode 11 (*sparse text*) is used: overlay words are scattered labels,
not paragraphs. Boxes are mapped back to the frame's own ``(row, col)`` pixels.

>>> words_in(np.zeros((8, 8), bool))
[]
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from scipy import ndimage

from overlay_core.errors import UnsupportedError

__all__ = ["ENGINE", "Box", "Word", "engine_version", "glyph_scale", "require_engine", "words_in"]

#: The engine's name as reports and the De-identification Method record give it.
ENGINE = "Tesseract"

#: Words below this confidence (0-100, Tesseract's own) are not taken as text. Zero: for
#: de-identification a word missed leaks, while a word wrongly found costs a few pixels, and
#: graphics read as letters are told apart by their shape (:func:`overlay_core.deid.clean.frame_text`).
#: 16 px "PID48213" was read as "PIDAB213" with confidence 8.
MIN_CONFIDENCE = 0.0

_PAD = 16  # white pixels around the page: Tesseract misses text touching the border
_MARGIN = 4  # pixels kept around the set pixels when cropping
#: The page is always black on white, so Tesseract need not retry each line inverted.
_NO_INVERT = "-c tessedit_do_invert=0"

#: ``(top, left, bottom, right)`` in the frame's pixels, bottom and right exclusive.
Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Word:
    """One word the engine read.

    Attributes
    ----------
    text : str
        As read (may differ from what a person reads, e.g. ``^`` read as ``™``).
    box : tuple of int
        ``(top, left, bottom, right)`` in the frame's own pixels, 0-based, exclusive ends.
    confidence : float
        Tesseract's confidence, 0 to 100.
    """

    text: str
    box: Box
    confidence: float


@cache
def engine_version() -> str:
    """Return the Tesseract version, e.g. ``"5.3.0"``.

    Raises
    ------
    UnsupportedError
        If Tesseract or its English model is not installed.
    """
    require_engine()
    import pytesseract

    return str(pytesseract.get_tesseract_version())


@cache
def require_engine() -> None:
    """Raise unless the ``tesseract`` program and its English model are installed.

    Raises
    ------
    UnsupportedError
        One sentence naming the Debian packages to install.
    """
    try:
        import pytesseract
    except ImportError:
        raise UnsupportedError("Finding overlay text needs the Python package pytesseract.") from None
    if shutil.which("tesseract") is None:
        raise UnsupportedError(
            "Finding overlay text needs the tesseract program (Debian: tesseract-ocr tesseract-ocr-eng)."
        )
    try:
        languages = pytesseract.get_languages(config="")
    except Exception:  # the program exists but does not run
        languages = []
    if "eng" not in languages:
        raise UnsupportedError(
            "Finding overlay text needs Tesseract's English model (Debian: tesseract-ocr-eng)."
        )


def glyph_scale(bits: NDArray[np.bool_]) -> int:
    """Return the factor that brings the frame's glyph-sized components to a readable height.

    Glyph-sized: connected components 3 to 40 px high and at most 40 px wide (lines,
    circles and large shapes are left out). Measured on DejaVu Sans, Sans Mono and Serif
    at 8-16 px, doubling read more words than tripling at every size (Tesseract's LSTM
    reads 14-32 px glyphs best), so: 2, or 1 when the median glyph is already over 24 px.

    >>> frame = np.zeros((20, 20), bool); frame[2:8, 2:5] = True
    >>> glyph_scale(frame)
    2
    """
    labels, _ = ndimage.label(bits, structure=np.ones((3, 3), bool))
    heights = [s[0].stop - s[0].start for s in ndimage.find_objects(labels)
               if 3 <= s[0].stop - s[0].start <= 40 and s[1].stop - s[1].start <= 40]
    return 1 if heights and float(np.median(heights)) > 24 else 2


def _page(bits: NDArray[np.bool_], scale: int) -> Image.Image:
    big = bits if scale == 1 else np.repeat(np.repeat(bits, scale, axis=0), scale, axis=1)
    page = np.full((big.shape[0] + 2 * _PAD, big.shape[1] + 2 * _PAD), 255, np.uint8)
    page[_PAD:_PAD + big.shape[0], _PAD:_PAD + big.shape[1]][big] = 0
    return Image.fromarray(page)


def _ocr(page: Image.Image) -> dict[str, list[Any]]:
    import pytesseract

    # One thread per call: batches already run one process per core, and OpenMP
    # threads fighting over two cores made each call slower, not faster.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    try:
        data: dict[str, list[Any]] = pytesseract.image_to_data(
            page, lang="eng", config=f"--psm 11 {_NO_INVERT}", output_type=pytesseract.Output.DICT)
    except Exception as exc:
        text = " ".join(str(exc).split())[:200]
        raise UnsupportedError(f"Tesseract could not read the overlay frame ({text}).") from None
    return data


def words_in(bits: NDArray[np.bool_], min_confidence: float = MIN_CONFIDENCE) -> list[Word]:
    """Return the words Tesseract reads in one frame, ``(rows, cols)`` bool.

    Only words with two or more letters or digits and at least ``min_confidence`` are
    returned: a lone ``L`` or ``R`` marker, or a circle read as ``O``, is not identifying
    text. Boxes are clipped to the frame.

    Raises
    ------
    UnsupportedError
        If the engine is not installed or fails.
    """
    bits = np.asarray(bits, dtype=bool)
    rows, cols = np.nonzero(bits.any(axis=1))[0], np.nonzero(bits.any(axis=0))[0]
    if rows.size == 0:
        return []
    require_engine()
    top, left = max(0, int(rows[0]) - _MARGIN), max(0, int(cols[0]) - _MARGIN)
    bottom = min(bits.shape[0], int(rows[-1]) + 1 + _MARGIN)
    right = min(bits.shape[1], int(cols[-1]) + 1 + _MARGIN)
    crop = bits[top:bottom, left:right]
    scale = glyph_scale(crop)
    data = _ocr(_page(crop, scale))
    words = []
    for i, text in enumerate(data["text"]):
        text = str(text).strip()
        confidence = float(data["conf"][i])
        if sum(ch.isalnum() for ch in text) < 2 or confidence < min_confidence:
            continue
        x, y = int(data["left"][i]) - _PAD, int(data["top"][i]) - _PAD
        w, h = int(data["width"][i]), int(data["height"][i])
        box = (
            max(0, top + y // scale), max(0, left + x // scale),
            min(bits.shape[0], top + -(-(y + h) // scale)), min(bits.shape[1], left + -(-(x + w) // scale)),
        )
        if box[0] < box[2] and box[1] < box[3]:
            words.append(Word(text, box, confidence))
    return words
