r"""A plane in a view: placed on one image frame and max-pooled to the display.

:func:`view_mask` gives the very pixels of ``pool_mask(image_mask(ds, group, frame), geometry)``
(:func:`~overlay_core.render.resize.pool_mask`, :func:`~overlay_core.planes.placement.image_mask`):
a display pixel is set when any image pixel of its box is. When the view shrinks by powers
of two, every box is ``k x k`` image pixels from the region's corner, so a plane need not be
placed on a frame-sized mask first:

* a plane embedded in the pixel words is pooled from the words (the OR of each box's words,
  four 16-bit words at a time as one 64-bit word, then its bit);
* a plane of Overlay Data that covers the image at 1\1 with whole bytes per row is pooled
  from its packed bits (the OR of each box's bytes, then a table of which bit groups are set);
* any other plane is unpacked and placed only over the boxes it touches.

A 4096² four-plane display render pools its planes in a few milliseconds instead of placing
them on 16.7 M-pixel masks.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from overlay_core.checks import check_frame_index
from overlay_core.model import OverlayPlane
from overlay_core.planes.embedded import plane_words
from overlay_core.planes.packed import frame_packed
from overlay_core.planes.placement import frame_map, image_mask, plane_window
from overlay_core.planes.reading import frame_bits, image_info, plane_header, read_plane
from overlay_core.render.geometry import ViewGeometry
from overlay_core.render.resize import pool_axis, pool_mask, power_of_two_steps

__all__ = ["view_mask"]


def _steps(geometry: ViewGeometry) -> tuple[int, int] | None:
    """Return the box ``(rows, cols)`` of a view that shrinks by powers of two, else ``None``."""
    w = geometry.region
    dh, dw = geometry.display_height, geometry.display_width
    if (dh, dw) == (w.rows, w.cols):
        return None
    if not (power_of_two_steps(w.rows, dh) and power_of_two_steps(w.cols, dw)):
        return None
    return w.rows // dh, w.cols // dw


def view_mask(ds: Dataset, group: int, frame: int, geometry: ViewGeometry) -> NDArray[np.bool_]:
    """Return the plane in ``group`` placed on image frame ``frame`` and max-pooled to the view.

    The same pixels as ``pool_mask(image_mask(ds, group, frame), geometry)``, with the same
    errors (:func:`~overlay_core.planes.placement.image_mask`).

    Examples
    --------
    >>> from overlay_core.planes.writing import set_plane
    >>> from overlay_core.render.geometry import fit_view
    >>> ds = Dataset(); ds.Rows = ds.Columns = 4
    >>> _ = set_plane(ds, 0x6000, np.eye(4, dtype=bool))
    >>> view_mask(ds, 0x6000, 0, fit_view(4, 4, max_size=2)).astype(int).tolist()
    [[1, 0], [0, 1]]
    """
    steps = _steps(geometry)
    if steps is None:
        return pool_mask(image_mask(ds, group, frame), geometry)
    info = image_info(ds)
    check_frame_index(frame, info.frames, "the image")
    plane = plane_header(ds, group)
    if plane.embedded:
        words = plane_words(ds, plane, info)  # checked as reading the plane checks it
        plane = dataclasses.replace(plane, frames=words.shape[0])
    k = next((k for k, f in frame_map(plane, info.frames) if f == frame), None)
    if plane.embedded and plane.origin == (1, 1):
        if k is None:
            return np.zeros((geometry.display_height, geometry.display_width), dtype=bool)
        return _words_pooled(words[k], plane.bit_position, geometry, *steps)
    if k is None:  # no frame of the plane lies on this one: checked all the same, as image_mask does
        if not plane.embedded:
            read_plane(ds, group)
        return np.zeros((geometry.display_height, geometry.display_width), dtype=bool)
    w = geometry.region
    aligned = (plane.origin == (1, 1) and (plane.rows, plane.columns) == (info.rows, info.columns)
               and plane.columns % 8 == 0 and w.col0 % 8 == 0 and w.cols % 8 == 0)
    if aligned and not plane.embedded:
        _, data, first = frame_packed(ds, group, k)
        if first == 0:
            return _packed_pooled(data, plane, geometry, *steps)
    return _placed_pooled(plane, frame_bits(ds, group, k)[1], geometry, *steps)


def _words_pooled(words: NDArray[Any], bit: int, geometry: ViewGeometry, rows_step: int, cols_step: int
                  ) -> NDArray[np.bool_]:
    """Pool bit ``bit`` of one frame's pixel words: the OR of each box's words, then the bit.

    In bands of rows, so the ORs stay in the processor's cache.
    """
    w = geometry.region
    crop = words[w.row0:w.row0 + w.rows, w.col0:w.col0 + w.cols]
    size = crop.dtype.itemsize
    lanes = min(cols_step, 8 // size) if crop.dtype.byteorder != ">" and crop.strides[-1] == size else 1
    # ``lanes`` neighbouring words read as one 64-, 32- or 16-bit word: their bits tested at once.
    view = crop.view(f"<u{size * lanes}") if lanes > 1 else crop
    mask = view.dtype.type(sum((1 << bit) << (8 * size * i) for i in range(lanes)))
    out_rows = w.rows // rows_step
    hit = np.empty((out_rows, view.shape[1]), dtype=bool)
    band = max(1, _BAND_WORDS // (view.shape[1] * rows_step))
    either = np.empty((band, view.shape[1]), view.dtype)
    for top in range(0, out_rows, band):
        n = min(band, out_rows - top)
        source, acc = view[top * rows_step:(top + n) * rows_step], either[:n]
        np.copyto(acc, source[0::rows_step])
        for i in range(1, rows_step):  # the bit is set in a box's OR if it is set in any of its words
            acc |= source[i::rows_step]
        acc &= mask
        np.not_equal(acc, 0, out=hit[top:top + n])
    return pool_axis(hit, 1, w.cols // lanes, geometry.display_width)


#: Pixel words per band of :func:`_words_pooled` (as :func:`~overlay_core.render.resize.stored_box_sums`).
_BAND_WORDS = 1 << 16


def _packed_pooled(data: bytes, plane: OverlayPlane, geometry: ViewGeometry, rows_step: int, cols_step: int
                   ) -> NDArray[np.bool_]:
    """Pool a frame of packed Overlay Data that covers the image, with whole bytes per row."""
    w = geometry.region
    packed = np.frombuffer(data, np.uint8, plane.rows * plane.columns // 8).reshape(plane.rows, -1)
    crop = packed[w.row0:w.row0 + w.rows, w.col0 // 8:(w.col0 + w.cols) // 8]
    either = crop[0::rows_step].copy()
    for i in range(1, rows_step):
        either |= crop[i::rows_step]
    if cols_step >= 8:  # a byte is eight columns (LSB first): whole bytes per box
        return pool_axis(either != 0, 1, w.cols // 8, geometry.display_width)
    groups = 8 // cols_step  # boxes per byte: its bits in groups of cols_step, the first the lowest
    out = np.empty((*either.shape, groups), dtype=bool)
    for j in range(groups):
        np.not_equal(either & np.uint8(((1 << cols_step) - 1) << (j * cols_step)), 0, out=out[..., j])
    return out.reshape(either.shape[0], -1)


def _placed_pooled(plane: OverlayPlane, bits: NDArray[np.bool_], geometry: ViewGeometry, rows_step: int,
                   cols_step: int) -> NDArray[np.bool_]:
    """Place one plane frame on the boxes of the view it touches only, and pool those."""
    w = geometry.region
    out = np.zeros((geometry.display_height, geometry.display_width), dtype=bool)
    window = plane_window(plane, geometry.image_rows, geometry.image_cols)
    if window is None:
        return out
    ir, ic, pr, pc = window
    top, bottom = max(ir.start, w.row0), min(ir.stop, w.row0 + w.rows)
    left, right = max(ic.start, w.col0), min(ic.stop, w.col0 + w.cols)
    if top >= bottom or left >= right:
        return out
    r0, r1 = (top - w.row0) // rows_step, -(-(bottom - w.row0) // rows_step)  # display rows touched
    c0, c1 = (left - w.col0) // cols_step, -(-(right - w.col0) // cols_step)
    boxes = np.zeros(((r1 - r0) * rows_step, (c1 - c0) * cols_step), dtype=bool)
    y, x = w.row0 + r0 * rows_step, w.col0 + c0 * cols_step  # the image pixel at boxes[0, 0]
    dy, dx = ir.start - pr.start, ic.start - pc.start  # the image pixel of the plane's [0, 0]
    boxes[top - y:bottom - y, left - x:right - x] = bits[top - dy:bottom - dy, left - dx:right - dx]
    pooled = pool_axis(boxes, 1, boxes.shape[1], c1 - c0)
    out[r0:r1, c0:c1] = pool_axis(pooled, 0, boxes.shape[0], r1 - r0)
    return out
