"""Resizing to the display: grey levels and masks by area, and stored values summed per box.

Shrinking averages areas (Pillow's BOX filter; a power-of-two shrink in numpy, exactly as
Pillow computes it); enlarging repeats the pixel under each display pixel's centre. Masks are
max-pooled, so a one-pixel line never vanishes. :func:`stored_box_sums` sums each box of
stored pixel values straight from the pixel words, for a display view that is windowed
after it is shrunk (:mod:`overlay_core.render.display`).

Coordinates: arrays are indexed ``(row, col)`` from the top-left.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from overlay_core.render.geometry import ViewGeometry

__all__ = ["pool_axis", "pool_mask", "power_of_two_steps", "resize_image", "stored_box_sums", "whole_view"]



def whole_view(geometry: ViewGeometry) -> bool:
    """Whether the view is the whole image at full resolution (nothing to cut or resize)."""
    w, size = geometry.region, (geometry.image_rows, geometry.image_cols)
    return (w.row0, w.col0) == (0, 0) and (w.rows, w.cols) == size == (geometry.display_height,
                                                                         geometry.display_width)


def _nearest(start: int, n: int, d: int) -> NDArray[np.intp]:
    """Index of the source pixel under the centre of each of ``d`` display pixels."""
    return start + (2 * np.arange(d, dtype=np.intp) + 1) * n // (2 * d)


def resize_image(pixels: NDArray[np.uint8], geometry: ViewGeometry) -> NDArray[np.uint8]:
    """Cut the view's region out of a full frame and resize it to the display size.

    Shrinking averages areas (Pillow's BOX filter); enlarging repeats the pixel under each
    display pixel's centre.

    Examples
    --------
    >>> from overlay_core.render.geometry import fit_view
    >>> a = np.array([[0, 100], [200, 100]], np.uint8)
    >>> resize_image(a, fit_view(2, 2, max_size=1)).tolist()
    [[100]]
    """
    w = geometry.region
    dh, dw = geometry.display_height, geometry.display_width
    if (dh, dw) == (w.rows, w.cols):
        return np.array(pixels[w.row0:w.row0 + w.rows, w.col0:w.col0 + w.cols])
    if dh <= w.rows and dw <= w.cols:
        crop = pixels[w.row0:w.row0 + w.rows, w.col0:w.col0 + w.cols]
        if power_of_two_steps(w.rows, dh) and power_of_two_steps(w.cols, dw):
            return _box_shrink(_box_shrink(crop, w.cols // dw, axis=1), w.rows // dh, axis=0)
        from PIL import Image  # here: most views start without Pillow

        image = Image.fromarray(np.ascontiguousarray(pixels))
        box = (w.col0, w.row0, w.col0 + w.cols, w.row0 + w.rows)
        return np.asarray(image.resize((dw, dh), Image.Resampling.BOX, box=box))
    rows, cols = _nearest(w.row0, w.rows, dh), _nearest(w.col0, w.cols, dw)
    return np.asarray(pixels[np.ix_(rows, cols)])


def power_of_two_steps(n: int, d: int) -> bool:
    """Whether ``n`` source pixels shrink to ``d`` by a whole power of two (1, 2, 4, ... 4096)."""
    k = n // d
    return n == d * k and k & (k - 1) == 0 and k <= 4096


def _box_shrink(a: NDArray[np.uint8], k: int, axis: int) -> NDArray[np.uint8]:
    """Average each ``k`` pixels along ``axis`` (0 rows, 1 columns) exactly as Pillow's BOX filter.

    Pillow weighs each of the ``k`` pixels ``1/k`` in fixed point with 22 fraction bits and
    rounds half up, one pass per axis (columns first), to 8 bits after each pass; for a
    power of two ``k`` the weight is exact, so the result is ``(sum + k // 2) >> log2(k)``
    per pass: Pillow's very pixels, in about its time, without importing it (~20 ms).

    >>> _box_shrink(np.array([[1, 2, 3, 5]], np.uint8), 4, axis=1).tolist()  # 11 / 4 = 2.75
    [[3]]
    """
    if k == 1:
        return np.array(a)
    wide = np.uint32 if k > 256 else np.uint16
    sums: NDArray[Any]
    if axis == 1 and a.ndim == 2:
        # Two neighbouring grey pixels as the two bytes of one 16-bit word: their sum in one pass.
        words = np.ascontiguousarray(a).view("<u2")
        sums = (words & 0xFF).astype(wide)
        sums += words >> 8
        n = 2
    else:
        sums, n = a.astype(wide), 1
    while n < k:  # pairs of partial sums, strided adds (a sum over a short axis is slower)
        sums = _along(sums, slice(0, None, 2), axis) + _along(sums, slice(1, None, 2), axis)
        n *= 2
    sums += k // 2
    sums >>= k.bit_length() - 1
    return sums.astype(np.uint8)


def _along(a: NDArray[Any], part: slice, axis: int) -> NDArray[Any]:
    """Return ``a[..., part, ...]`` with ``part`` on ``axis``."""
    return a[(slice(None),) * axis + (part,)]


def pool_axis(a: NDArray[np.bool_], axis: int, n: int, d: int) -> NDArray[np.bool_]:
    """Max-pool ``n`` pixels along ``axis`` to ``d`` (or repeat the nearest, when ``d > n``)."""
    if d == n:
        return a
    if d > n:
        return np.take(a, _nearest(0, n, d), axis=axis)
    if n % d == 0:
        # OR of k strided slices, and k = 2, 4 or 8 neighbours along a row read as one 16-,
        # 32- or 64-bit integer: an order of magnitude faster than any() over a short axis.
        k = n // d
        if axis == a.ndim - 1 and k in (2, 4, 8):
            return np.asarray(np.ascontiguousarray(a).view(f"u{k}") != 0)
        step: list[slice] = [slice(None)] * a.ndim
        step[axis] = slice(0, None, k)
        out = a[tuple(step)].copy()
        for i in range(1, k):
            step[axis] = slice(i, None, k)
            out |= a[tuple(step)]
        return out
    # Display pixel k covers [k n/d, (k+1) n/d) and gathers the source pixels whose centres
    # fall in it: the first is ceil(k n/d - 1/2). Each holds ceil(n/d) or one fewer: the OR of
    # that many gathers, the shorter spans repeating their last pixel (which changes no OR).
    # np.logical_or.reduceat gives the same, but along a row it runs one short loop per span:
    # ~5x slower on a zoomed 4096² plane (a wheel notch's largest cost).
    starts = (2 * np.arange(d, dtype=np.intp) * n + d - 1) // (2 * d)
    last = np.append(starts[1:], n) - 1
    out = np.take(a, starts, axis=axis)
    for i in range(1, int((last - starts).max()) + 1):
        out |= np.take(a, np.minimum(starts + i, last), axis=axis)
    return out


def pool_mask(mask: NDArray[np.bool_], geometry: ViewGeometry) -> NDArray[np.bool_]:
    """Resize an image-space mask ``(rows, cols)`` to the view with max-pooling.

    A display pixel is set when any image pixel it covers is set, so one-pixel lines
    survive any downscale.

    Examples
    --------
    >>> from overlay_core.render.geometry import fit_view
    >>> m = np.zeros((4, 4), bool); m[1, :] = True
    >>> pool_mask(m, fit_view(4, 4, max_size=2)).astype(int).tolist()
    [[1, 1], [0, 0]]
    """
    w = geometry.region
    crop = mask[w.row0:w.row0 + w.rows, w.col0:w.col0 + w.cols]
    d = geometry.display_width
    if w.cols > d and w.cols % d == 0 and w.cols // d in (2, 4, 8):
        # Along rows first: one read of the whole crop as 16-, 32- or 64-bit words (see pool_axis).
        crop = pool_axis(crop, 1, w.cols, d)
        return pool_axis(crop, 0, w.rows, geometry.display_height)
    # Otherwise down the columns first: that gathers whole rows (copies of contiguous memory),
    # and leaves the scattered gathers along each row to the already shrunk crop.
    crop = pool_axis(crop, 0, w.rows, geometry.display_height)
    return pool_axis(crop, 1, w.cols, d)




#: Pixel words per band of :func:`stored_box_sums` (128 KiB of 64-bit words: a band stays in L2).
_BAND_WORDS = 1 << 16


def stored_box_sums(
    words: NDArray[Any], bits: int, signed: bool, rows_step: int, cols_step: int
) -> NDArray[np.uint64] | None:
    """Sum the stored values of each ``rows_step x cols_step`` box, straight from 8- or 16-bit words.

    Only the low ``bits`` bits of each word count (the bits above High Bit, which may hold an
    embedded overlay plane, are dropped); signed values are summed offset by
    ``2 ** (bits - 1)`` (as offset binary), so a box's mean stored value is
    ``sum / (rows_step * cols_step) - 2 ** (bits - 1)``. The sums are exact.

    Up to four neighbouring 16-bit words are read as one 64-bit integer and masked and added
    in place, a lane each, so the frame is read once and every pass works on a quarter of the
    words; this needs ``rows_step * (2 ** bits - 1) < 2 ** 16`` (12 bits stored in boxes of up
    to 16 rows). ``None`` when that or the shape does not fit: the caller sums another way.

    >>> w = np.array([[0x8001, 2, 3, 0xF004], [5, 6, 7, 8]], np.uint16)  # bit 15: another plane
    >>> stored_box_sums(w, 12, False, 2, 2).tolist()
    [[14, 22]]
    >>> stored_box_sums(np.array([[0xFFF, 1]], np.uint16).view(np.int16), 12, True, 1, 2).tolist()
    [[4096]]
    """
    rows, cols = words.shape[-2:] if words.ndim == 2 else (0, 0)
    fits = words.ndim == 2 and words.dtype.kind in "iu" and words.dtype.itemsize <= 2 and 0 < bits <= 16
    if (not fits or rows % rows_step or cols % cols_step or rows_step * ((1 << bits) - 1) >= 1 << 16
            or (words.dtype.itemsize == 2 and words.dtype.byteorder == ">")):
        return None
    if words.dtype.itemsize == 1:
        words = words.view(np.uint8).astype("<u2")  # bytes widened: the mask below keeps their bits
    elif words.strides[-1] != 2:
        words = np.ascontiguousarray(words)
    lanes = min(cols_step, 4)
    packed = words.view("<u2").view(f"<u{2 * lanes}")
    word = packed.dtype.type
    keep = word(sum(((1 << bits) - 1) << (16 * i) for i in range(lanes)))
    flip = word(sum((1 << (bits - 1)) << (16 * i) for i in range(lanes))) if signed else None
    multiply = lanes * rows_step * ((1 << bits) - 1) < 1 << 16
    out_rows, width = rows // rows_step, packed.shape[1]
    total = np.empty((out_rows, width), packed.dtype)
    band = max(1, _BAND_WORDS // (width * rows_step))  # display rows per band: its temporaries stay in cache
    sums, part = np.empty((band, width), packed.dtype), np.empty((band, width), packed.dtype)
    for top in range(0, out_rows, band):
        n = min(band, out_rows - top)
        source, acc, tmp = packed[top * rows_step:(top + n) * rows_step], sums[:n], part[:n]
        for i in range(rows_step):  # the lanes' sums stay below 2 ** 16: no carry between lanes
            np.bitwise_and(source[i::rows_step], keep, out=acc if i == 0 else tmp)
            if flip is not None:
                np.bitwise_xor(acc if i == 0 else tmp, flip, out=acc if i == 0 else tmp)  # to offset binary
            if i:
                acc += tmp
        if multiply:
            # Multiplied by 0x0001_0001_0001_0001 the top lane is the sum of all four (no lane carries).
            np.multiply(acc, word(sum(1 << (16 * i) for i in range(lanes))), out=total[top:top + n])
        else:
            np.bitwise_and(acc, word(0xFFFF), out=total[top:top + n])
            for i in range(1, lanes):
                total[top:top + n] += np.bitwise_and(acc >> word(16 * i), word(0xFFFF))
    if multiply:
        total >>= word(16 * (lanes - 1))
    total = total.astype(np.uint64, copy=False)
    groups = cols_step // lanes
    if groups > 1:  # boxes wider than four words: add the neighbouring four-word sums
        wide = total[:, 0::groups].copy()
        for j in range(1, groups):
            wide += total[:, j::groups]
        total = wide
    return total
