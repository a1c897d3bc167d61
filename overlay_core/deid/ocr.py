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

1. cropped to the components low enough to be text (:func:`text_region`, plus a
   margin), so empty space and large shapes cost nothing;
2. scaled up twice (once when its glyph-sized connected components are over 24 px
   high already: :func:`glyph_scale`), nearest neighbour so that no grey edge is invented;
3. inverted to black on white and padded by 16 white pixels, since Tesseract finds no
   text that touches the image border.

Page segmentation mode 11 (*sparse text*) is used: overlay words are scattered labels,
not paragraphs. Starting Tesseract costs more than reading a frame, so the frames of a
file are stacked on shared pages and read in one call (:func:`words_in_frames`). Boxes are
mapped back to each frame's own ``(row, col)`` pixels.

>>> words_in(np.zeros((8, 8), bool))
[]
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from scipy import ndimage

from overlay_core.errors import UnsupportedError

__all__ = [
    "ENGINE", "MAX_TEXT_HEIGHT", "Box", "Word", "engine_version", "glyph_scale", "require_engine",
    "text_region", "words_in", "words_in_frames",
]

#: The engine's name as reports and the De-identification Method record give it.
ENGINE = "Tesseract"

#: Words below this confidence (0-100, Tesseract's own) are not taken as text. Zero: for
#: de-identification a word missed leaks, while a word wrongly found costs a few pixels, and
#: graphics read as letters are told apart by their shape (:func:`overlay_core.deid.clean.frame_text`).
#: 16 px "PID48213" was read as "PIDAB213" with confidence 8.
MIN_CONFIDENCE = 0.0

_PAD = 16  # white pixels around the page: Tesseract misses text touching the border
_MARGIN = 4  # pixels kept around the set pixels when cropping

#: The tallest page sent to the engine at once, in scaled pixels.
PAGE_ROWS = 8000

#: The tallest word taken as overlay text, in plane pixels: overlay text is 8-16 px high,
#: and a line or an arrow read as letters gives a box as tall as the shape.
MAX_TEXT_HEIGHT = 48
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


def _components(bits: NDArray[np.bool_]) -> list[tuple[slice, slice]]:
    labels, _ = ndimage.label(bits, structure=np.ones((3, 3), bool))
    return [(s[0], s[1]) for s in ndimage.find_objects(labels) if s is not None]


def _scale(objects: list[tuple[slice, slice]]) -> int:
    heights = [r.stop - r.start for r, c in objects if 3 <= r.stop - r.start <= 40 and c.stop - c.start <= 40]
    return 1 if heights and float(np.median(heights)) > 24 else 2


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
    return _scale(_components(bits))


def text_region(bits: NDArray[np.bool_]) -> Box | None:
    """Return the box around every component low enough to be (part of) text, or ``None``.

    Text is at most :data:`MAX_TEXT_HEIGHT` high, so only the part of the frame holding
    such components is read: a frame of lines and circles costs no OCR at all, and a
    frame whose text sits in a corner is read in that corner only.

    >>> frame = np.zeros((100, 100), bool); frame[10:18, 20:60] = True; frame[:, 90] = True
    >>> text_region(frame)
    (6, 16, 22, 64)
    """
    low = [(r, c) for r, c in _components(bits) if r.stop - r.start <= MAX_TEXT_HEIGHT]
    if not low:
        return None
    return (max(0, min(r.start for r, _ in low) - _MARGIN), max(0, min(c.start for _, c in low) - _MARGIN),
            min(bits.shape[0], max(r.stop for r, _ in low) + _MARGIN),
            min(bits.shape[1], max(c.stop for _, c in low) + _MARGIN))


def _scaled(bits: NDArray[np.bool_], scale: int) -> NDArray[np.bool_]:
    return bits if scale == 1 else np.repeat(np.repeat(bits, scale, axis=0), scale, axis=1)


def _page(bits: NDArray[np.bool_], scale: int) -> Image.Image:
    big = _scaled(bits, scale)
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
            page, lang="eng", config=f"--oem 1 --psm 11 {_NO_INVERT}", output_type=pytesseract.Output.DICT)
    except Exception as exc:
        text = " ".join(str(exc).split())[:200]
        raise UnsupportedError(f"Tesseract could not read the overlay frame ({text}).") from None
    return data


@dataclass(frozen=True)
class _Band:
    """One frame's crop on a shared page: where it sits and where it came from."""

    index: int  # the frame's position in the caller's list
    row: int  # the crop's first row on the page (scaled pixels)
    height: int  # scaled
    origin: tuple[int, int]  # the crop's (top, left) in the frame
    shape: tuple[int, int]  # the frame's (rows, cols)


def _read_page(crops: list[tuple[int, NDArray[np.bool_], tuple[int, int], tuple[int, int]]], scale: int,
               min_confidence: float, out: list[list[Word]]) -> None:
    """OCR crops of the same scale stacked on one page (2 x the padding apart) in one call."""
    bands, row = [], _PAD
    for index, crop, origin, shape in crops:
        bands.append(_Band(index, row, crop.shape[0] * scale, origin, shape))
        row += crop.shape[0] * scale + 2 * _PAD
    width = max(crop.shape[1] for _, crop, _, _ in crops) * scale + 2 * _PAD
    page = np.full((row - _PAD, width), 255, np.uint8)
    for band, (_, crop, _, _) in zip(bands, crops, strict=True):
        big = _scaled(crop, scale)
        page[band.row:band.row + band.height, _PAD:_PAD + big.shape[1]][big] = 0
    data = _ocr(Image.fromarray(page))
    for i, text in enumerate(data["text"]):
        text = str(text).strip()
        confidence = float(data["conf"][i])
        if sum(ch.isalnum() for ch in text) < 2 or confidence < min_confidence:
            continue
        x, y, w, h = (int(data[k][i]) for k in ("left", "top", "width", "height"))
        hit = next((b for b in bands if b.row - _PAD <= y and y + h <= b.row + b.height + _PAD), None)
        if hit is None:
            continue  # a "word" across two frames' gap: not text of either
        top, left = hit.origin
        y, x = y - hit.row, x - _PAD
        box = (
            max(0, top + y // scale), max(0, left + x // scale),
            min(hit.shape[0], top + -(-(y + h) // scale)), min(hit.shape[1], left + -(-(x + w) // scale)),
        )
        if box[0] < box[2] and box[1] < box[3]:
            out[hit.index].append(Word(text, box, confidence))


def words_in_frames(frames: Sequence[NDArray[np.bool_]], min_confidence: float = MIN_CONFIDENCE
                    ) -> list[list[Word]]:
    """Return the words Tesseract reads in each frame, reading many frames per engine call.

    Starting Tesseract costs about 0.15 CPU-seconds, more than reading a frame, so the
    frames' text regions are stacked on shared pages (one per glyph scale, at most
    :data:`PAGE_ROWS` high) and each page is read in one call. Boxes are per frame.

    Raises
    ------
    UnsupportedError
        If the engine is not installed or fails.
    """
    out: list[list[Word]] = [[] for _ in frames]
    by_scale: dict[int, list[tuple[int, NDArray[np.bool_], tuple[int, int], tuple[int, int]]]] = {}
    for index, frame in enumerate(frames):
        bits = np.asarray(frame, dtype=bool)
        region = text_region(bits) if bits.any() else None
        if region is None:
            continue
        top, left, bottom, right = region
        crop = bits[top:bottom, left:right]
        by_scale.setdefault(glyph_scale(crop), []).append((index, crop, (top, left), bits.shape))
    if by_scale:
        require_engine()
    for scale, crops in by_scale.items():
        page: list[tuple[int, NDArray[np.bool_], tuple[int, int], tuple[int, int]]] = []
        rows = 0
        for item in crops:
            height = item[1].shape[0] * scale + 2 * _PAD
            if page and rows + height > PAGE_ROWS:
                _read_page(page, scale, min_confidence, out)
                page, rows = [], 0
            page.append(item)
            rows += height
        if page:
            _read_page(page, scale, min_confidence, out)
    return out


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
    return words_in_frames([bits], min_confidence)[0]
