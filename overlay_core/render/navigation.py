"""Zoom and pan: which window of the image a view shows, and how big the canvas is.

A view is a zoom factor (1 shows the whole image) and a centre ``(row, col)`` in image
pixels. :func:`zoom_window` turns them into the :class:`~overlay_core.render.geometry.Region`
(the zoom region) shown, always inside the image and with the image's own aspect ratio, so the canvas keeps
its size while the user zooms and pans. :func:`canvas_width` fits that window into the
space the browser gives the canvas, enlarging small images.

Coordinates follow :mod:`overlay_core.render.geometry`: ``(row, col)`` in image pixels, 0-based.
"""

from __future__ import annotations

import math

from pydicom.dataset import Dataset

from overlay_core.errors import InvalidArgumentError
from overlay_core.model import OverlayPlane
from overlay_core.planes.placement import plane_window
from overlay_core.render.geometry import Region

__all__ = [
    "MAX_ZOOM",
    "ZOOM_STEPS",
    "canvas_width",
    "centre_of",
    "extent_view",
    "pan",
    "pixel_spacing",
    "step_zoom",
    "zoom_window",
]

#: The zoom factors the zoom-in and zoom-out buttons step through.
ZOOM_STEPS: tuple[float, ...] = (1, 1.5, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64)
#: The largest zoom factor: the window is never narrower than this fraction of the image.
MAX_ZOOM = ZOOM_STEPS[-1]


def _check_image(rows: int, cols: int) -> None:
    if rows < 1 or cols < 1:
        raise InvalidArgumentError("There is no image to show.")


def zoom_window(rows: int, cols: int, zoom: float, centre: tuple[float, float] | None = None) -> Region:
    """Return the window a view at ``zoom`` shows, centred on ``centre`` as far as it can be.

    The window is ``rows / zoom`` x ``cols / zoom`` (at least one pixel), shifted to lie
    inside the image; ``centre`` defaults to the image's centre.

    Raises
    ------
    InvalidArgumentError
        If the image is empty or ``zoom`` is below 1.

    Examples
    --------
    >>> zoom_window(100, 200, 1)
    Region(row0=0, col0=0, rows=100, cols=200)
    >>> zoom_window(100, 200, 4, centre=(0, 199))  # pushed back inside the image
    Region(row0=0, col0=150, rows=25, cols=50)
    """
    _check_image(rows, cols)
    if not (zoom >= 1 and math.isfinite(zoom)):
        raise InvalidArgumentError(f"The zoom factor must be a number of at least 1, not {zoom}.")
    zoom = min(zoom, MAX_ZOOM)
    win_rows = max(1, min(rows, round(rows / zoom)))
    win_cols = max(1, min(cols, round(cols / zoom)))
    r, c = centre if centre is not None else (rows / 2, cols / 2)
    row0 = min(max(round(r - win_rows / 2), 0), rows - win_rows)
    col0 = min(max(round(c - win_cols / 2), 0), cols - win_cols)
    return Region(row0, col0, win_rows, win_cols)


def centre_of(window: Region) -> tuple[float, float]:
    """Return the centre ``(row, col)`` of a window.

    >>> centre_of(Region(10, 20, 30, 40))
    (25.0, 40.0)
    """
    return (window.row0 + window.rows / 2, window.col0 + window.cols / 2)


def step_zoom(zoom: float, steps: int) -> float:
    """Move ``steps`` zoom steps in (positive) or out (negative) from ``zoom``.

    >>> step_zoom(1, 1), step_zoom(2.5, -1), step_zoom(1, -3), step_zoom(64, 2)
    (1.5, 2, 1, 64)
    """
    if steps > 0:
        larger = [z for z in ZOOM_STEPS if z > zoom + 1e-9]
        index = min(steps - 1, len(larger) - 1)
        return larger[index] if larger else ZOOM_STEPS[-1]
    if steps < 0:
        smaller = [z for z in ZOOM_STEPS if z < zoom - 1e-9]
        index = max(len(smaller) + steps, 0)
        return smaller[index] if smaller else ZOOM_STEPS[0]
    return zoom


def pan(window: Region, rows: int, cols: int, down: float, right: float) -> tuple[float, float]:
    """Return the centre after moving the window by fractions of its own size.

    ``down`` and ``right`` are fractions of the window's height and width (negative:
    up and left); the result is clamped so the window stays on the image.

    >>> pan(Region(0, 0, 50, 50), 100, 100, 0.5, -1)
    (50.0, 25.0)
    """
    _check_image(rows, cols)
    r, c = centre_of(window)
    r += down * window.rows
    c += right * window.cols
    r = min(max(r, window.rows / 2), rows - window.rows / 2)
    c = min(max(c, window.cols / 2), cols - window.cols / 2)
    return (r, c)


def extent_view(
    plane: OverlayPlane, rows: int, cols: int, margin: float = 0.1
) -> tuple[float, tuple[float, float]]:
    """Return the zoom and centre that show the part of ``plane`` lying on the image.

    The plane's extent on the image, grown by ``margin`` of its size on each side, is
    fitted in a window of the image's aspect ratio. A plane wholly outside the image gives
    the whole image.

    Examples
    --------
    >>> extent_view(OverlayPlane(0x6000, 10, 10, origin=(41, 41)), 100, 100, margin=0)
    (10.0, (45.0, 45.0))
    >>> extent_view(OverlayPlane(0x6000, 10, 10, origin=(500, 500)), 100, 100)
    (1, (50.0, 50.0))
    """
    _check_image(rows, cols)
    placed = plane_window(plane, rows, cols)
    if placed is None:
        return 1, (rows / 2, cols / 2)
    image_rows, image_cols = placed[0], placed[1]
    height = image_rows.stop - image_rows.start
    width = image_cols.stop - image_cols.start
    centre = ((image_rows.start + image_rows.stop) / 2, (image_cols.start + image_cols.stop) / 2)
    grown_h, grown_w = height * (1 + 2 * margin), width * (1 + 2 * margin)
    zoom = max(1.0, min(rows / grown_h, cols / grown_w, MAX_ZOOM))
    return zoom, centre


def canvas_width(window: Region, max_width: int, max_height: int, max_scale: float = 16.0) -> int:
    """Return the display width that fits ``window`` in ``max_width`` x ``max_height``.

    Small windows are enlarged up to ``max_scale`` screen pixels per image pixel; the
    height follows the window's aspect ratio.

    >>> canvas_width(Region(0, 0, 128, 256), 800, 600), canvas_width(Region(0, 0, 4096, 4096), 900, 500)
    (800, 500)
    """
    if max_width < 1 or max_height < 1:
        raise InvalidArgumentError("The canvas needs at least one pixel of room.")
    scale = min(max_width / window.cols, max_height / window.rows, max_scale)
    return max(1, math.floor(window.cols * scale))


def _pair(value: object) -> tuple[float, float] | None:
    try:
        row, col = (float(v) for v in value)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return None
    return (row, col) if row > 0 and col > 0 and math.isfinite(row) and math.isfinite(col) else None


def pixel_spacing(ds: Dataset) -> tuple[float, float] | None:
    r"""Return the distance in mm between pixel centres, ``(row, column)``, or ``None``.

    (0028,0030) *Pixel Spacing* (row spacing first, PS3.3 C.7.6.2), in the dataset or in the
    shared functional groups of an enhanced multi-frame image; else (0018,1164) *Imager
    Pixel Spacing* of projection images. A missing, malformed or non-positive value gives
    ``None`` (a ruler then measures pixels).

    >>> ds = Dataset(); ds.PixelSpacing = [0.5, 0.25]
    >>> pixel_spacing(ds), pixel_spacing(Dataset())
    ((0.5, 0.25), None)
    """
    if "PixelSpacing" in ds:
        return _pair(ds.PixelSpacing)
    for shared in ds.get("SharedFunctionalGroupsSequence", None) or []:
        for measures in shared.get("PixelMeasuresSequence", None) or []:
            if "PixelSpacing" in measures:
                return _pair(measures.PixelSpacing)
    if "ImagerPixelSpacing" in ds:
        return _pair(ds.ImagerPixelSpacing)
    return None
