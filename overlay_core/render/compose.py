"""Composition: a decoded frame cut to the view, resized, with its overlay planes painted on it.

:func:`render` decodes and windows one frame (:func:`overlay_core.render.pixels.frame_image`),
places only that frame of each visible plane (:func:`overlay_core.planes.placement.image_mask`,
never a second origin conversion) and calls :func:`compose`: the frame is cut to the
view's zoom region and resized to the display size of a
:class:`~overlay_core.render.geometry.ViewGeometry` (area averaging when shrinking, nearest pixel
when enlarging); each plane's mask is resized with max-pooling, so a one-pixel line never
vanishes, and painted in its :class:`~overlay_core.render.styles.PlaneStyle`.

Coordinates: arrays are indexed ``(row, col)`` from the top-left; frames are 0-based.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from overlay_core.errors import InvalidArgumentError
from overlay_core.files.masks import encode_png
from overlay_core.model import group_hex
from overlay_core.planes.placement import image_mask
from overlay_core.planes.reading import image_info, read_planes
from overlay_core.render.geometry import Region, ViewGeometry, fit_view
from overlay_core.render.pixels import FrameImage, check_image_frame, frame_image
from overlay_core.render.styles import PlaneStyle, default_styles
from overlay_core.render.windowing import Voi

__all__ = ["RenderedView", "compose", "full_view_png", "pool_mask", "render", "resize_image"]


# --- display size ---------------------------------------------------------------------------


def _nearest(start: int, n: int, d: int) -> NDArray[np.intp]:
    """Index of the source pixel under the centre of each of ``d`` display pixels."""
    return start + (2 * np.arange(d, dtype=np.intp) + 1) * n // (2 * d)


def resize_image(pixels: NDArray[np.uint8], geometry: ViewGeometry) -> NDArray[np.uint8]:
    """Cut the view's region out of a full frame and resize it to the display size.

    Shrinking averages areas (Pillow's BOX filter); enlarging repeats the pixel under each
    display pixel's centre.

    Examples
    --------
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
        if _power_of_two_steps(w.rows, dh) and _power_of_two_steps(w.cols, dw):
            return _box_shrink(_box_shrink(crop, w.cols // dw, axis=1), w.rows // dh, axis=0)
        from PIL import Image  # here: most views start without Pillow

        image = Image.fromarray(np.ascontiguousarray(pixels))
        box = (w.col0, w.row0, w.col0 + w.cols, w.row0 + w.rows)
        return np.asarray(image.resize((dw, dh), Image.Resampling.BOX, box=box))
    rows, cols = _nearest(w.row0, w.rows, dh), _nearest(w.col0, w.cols, dw)
    return np.asarray(pixels[np.ix_(rows, cols)])


def _power_of_two_steps(n: int, d: int) -> bool:
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


def _pool_axis(a: NDArray[np.bool_], axis: int, n: int, d: int) -> NDArray[np.bool_]:
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
    >>> m = np.zeros((4, 4), bool); m[1, :] = True
    >>> pool_mask(m, fit_view(4, 4, max_size=2)).astype(int).tolist()
    [[1, 1], [0, 0]]
    """
    w = geometry.region
    crop = mask[w.row0:w.row0 + w.rows, w.col0:w.col0 + w.cols]
    d = geometry.display_width
    if w.cols > d and w.cols % d == 0 and w.cols // d in (2, 4, 8):
        # Along rows first: one read of the whole crop as 16-, 32- or 64-bit words (see _pool_axis).
        crop = _pool_axis(crop, 1, w.cols, d)
        return _pool_axis(crop, 0, w.rows, geometry.display_height)
    # Otherwise down the columns first: that gathers whole rows (copies of contiguous memory),
    # and leaves the scattered gathers along each row to the already shrunk crop.
    crop = _pool_axis(crop, 0, w.rows, geometry.display_height)
    return _pool_axis(crop, 1, w.cols, d)


def _edge(m: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Set pixels with an unset 4-neighbour (the image border does not count)."""
    inner = m.copy()
    inner[1:] &= m[:-1]
    inner[:-1] &= m[1:]
    inner[:, 1:] &= m[:, :-1]
    inner[:, :-1] &= m[:, 1:]
    return m & ~inner


def _fill(out: NDArray[np.uint8], m: NDArray[np.bool_], color: tuple[int, int, int]) -> None:
    """Paint the set pixels of ``m`` in ``color``, solid.

    The set pixels are found once (a scan of one byte per pixel) and written as one 3-byte
    item each, so the cost follows the set pixels, not the view: about twice as fast for a
    full-resolution burn-in as a label image gathered at the end, and several times faster
    than ``out[m] = color``, which writes through a boolean mask per channel.
    """
    where = np.flatnonzero(m)
    if where.size:
        items = out.reshape(-1, 3).view("V3").reshape(-1)  # out is C-contiguous: a view
        np.put(items, where, np.asarray(color, np.uint8).view("V3"))


def _paint(out: NDArray[np.uint8], m: NDArray[np.bool_], color: tuple[int, int, int], opacity: float) -> None:
    if opacity <= 0:
        return
    if opacity >= 1:
        _fill(out, m, color)
        return
    if not m.any():
        return
    under = out[m].astype(np.float32)
    over = np.asarray(color, np.float32)
    out[m] = np.rint(under * (1 - opacity) + over * opacity).astype(np.uint8)


def _whole(geometry: ViewGeometry) -> bool:
    """Whether the view is the whole image at full resolution (nothing to cut or resize)."""
    w, size = geometry.region, (geometry.image_rows, geometry.image_cols)
    return (w.row0, w.col0) == (0, 0) and (w.rows, w.cols) == size == (geometry.display_height,
                                                                         geometry.display_width)


def _rgb(base: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Return a new contiguous RGB copy of a grey or RGB view (a grey level in each channel)."""
    if base.ndim == 3:
        return np.array(base, order="C")
    out = np.empty((*base.shape, 3), np.uint8)
    for channel in range(3):  # three strided copies: about three times faster than np.repeat
        out[..., channel] = base
    return out


def compose(
    image: FrameImage | NDArray[np.uint8],
    masks: Mapping[int, NDArray[np.bool_]],
    styles: Sequence[PlaneStyle],
    geometry: ViewGeometry,
) -> NDArray[np.uint8]:
    """Resize a frame to the view and paint the visible planes on it.

    Planes are painted in ``styles`` order, later planes on top.

    Parameters
    ----------
    image : FrameImage or numpy.ndarray
        The full frame, ``uint8`` ``(rows, cols)`` or ``(rows, cols, 3)``.
    masks : mapping of int to numpy.ndarray
        Image-space masks ``(rows, cols)`` of the frame by group (from
        :func:`overlay_core.planes.placement.image_mask`, or the editor's own); a style whose
        group has no mask is skipped.
    styles : sequence of PlaneStyle
        How to draw each plane.
    geometry : ViewGeometry
        The view (its image size must be the frame's).

    Returns
    -------
    numpy.ndarray
        ``uint8`` RGB, ``(display_height, display_width, 3)``.

    Raises
    ------
    InvalidArgumentError
        If the geometry or a mask does not match the frame's size.

    Examples
    --------
    >>> m = np.zeros((2, 3), bool); m[0, 2] = True
    >>> out = compose(np.zeros((2, 3), np.uint8), {0x6000: m},
    ...               [PlaneStyle(0x6000, (255, 0, 0))], fit_view(2, 3))
    >>> out[..., 0].tolist()
    [[0, 0, 255], [0, 0, 0]]
    """
    pixels = image.pixels if isinstance(image, FrameImage) else image
    rows, cols = int(pixels.shape[0]), int(pixels.shape[1])
    if (geometry.image_rows, geometry.image_cols) != (rows, cols):
        raise InvalidArgumentError(
            f"The view is of a {geometry.image_rows} x {geometry.image_cols} image, "
            f"but the frame is {rows} x {cols}."
        )
    out = _rgb(pixels if _whole(geometry) else resize_image(pixels, geometry))
    for style in styles:
        mask = masks.get(style.group)
        if mask is None or not style.visible:
            continue
        if mask.shape != (rows, cols):
            raise InvalidArgumentError(
                f"The mask of overlay group {group_hex(style.group)} is {mask.shape[0]} x "
                f"{mask.shape[-1]}, but the frame is {rows} x {cols}."
            )
        shown = pool_mask(mask, geometry)
        _paint(out, shown, style.color, style.opacity)
        if style.outline:
            _fill(out, _edge(shown), style.color)
    return out


# --- whole views ----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class RenderedView:
    """A rendered view and how it maps to the image.

    Attributes
    ----------
    image : numpy.ndarray
        ``uint8`` RGB ``(display_height, display_width, 3)``.
    geometry : ViewGeometry
        The view's zoom region and display size (:attr:`ViewGeometry.scale` is the scale).
    frame : int
        0-based frame index.
    voi : Voi or None
        The VOI applied (see :class:`FrameImage`).
    missing_reason : str or None
        Why the image is black (planes are still drawn).
    styles : list of PlaneStyle
        The styles the planes were drawn with.
    """

    image: NDArray[np.uint8]
    geometry: ViewGeometry
    frame: int
    voi: Voi | None
    missing_reason: str | None
    styles: list[PlaneStyle] = field(default_factory=list)

    @property
    def scale(self) -> float:
        """Display pixels per image pixel."""
        return self.geometry.scale

    def png(self, compress_level: int = 1) -> bytes:
        """Encode the view as PNG bytes."""
        return encode_png(self.image, compress_level)


def render(
    ds: Dataset,
    *,
    frame: int = 0,
    voi: Voi | None = None,
    styles: Sequence[PlaneStyle] | None = None,
    masks: Mapping[int, NDArray[np.bool_]] | None = None,
    max_size: int | None = None,
    region: Region | None = None,
    width: int | None = None,
    image: FrameImage | None = None,
) -> RenderedView:
    """Render one frame with its overlay planes to a view.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The image and its overlay groups.
    frame : int, optional
        0-based frame index.
    voi : Voi, optional
        See :func:`frame_image`.
    styles : sequence of PlaneStyle, optional
        Default: :func:`default_styles` of every usable plane (the app's look).
    masks : mapping of int to numpy.ndarray, optional
        Image-space ``(rows, cols)`` masks of this frame by group, e.g. edited planes;
        groups not given are read from ``ds`` with :func:`overlay_core.planes.placement.image_mask`.
    max_size, region, width : optional
        The view, as :func:`overlay_core.render.geometry.fit_view`; default: the whole image at full
        resolution.
    image : FrameImage, optional
        A frame already decoded with :func:`frame_image` (to skip decoding again).

    Returns
    -------
    RenderedView

    Raises
    ------
    InvalidArgumentError
        For a file without an image, a frame out of range, or a view outside the image.
    PlaneNotFoundError, InvalidOverlayError
        If a style names a group that ``ds`` lacks or cannot use (and no mask is given).
    """
    info = image_info(ds)
    check_image_frame(info, frame)
    shown = frame_image(ds, frame, voi) if image is None else image
    geometry = fit_view(info.rows, info.columns, max_size=max_size, region=region, width=width)
    chosen = default_styles(read_planes(ds)) if styles is None else list(styles)
    given = dict(masks or {})
    for style in chosen:
        if style.visible and style.group not in given:
            given[style.group] = image_mask(ds, style.group, frame)
    pixels = compose(shown, given, chosen, geometry)
    return RenderedView(pixels, geometry, frame, shown.voi, shown.missing_reason, chosen)


def full_view_png(
    ds: Dataset,
    *,
    frame: int = 0,
    voi: Voi | None = None,
    styles: Sequence[PlaneStyle] | None = None,
    masks: Mapping[int, NDArray[np.bool_]] | None = None,
) -> bytes:
    """Return the full-resolution view with its visible planes burnt in, as PNG bytes.

    Takes the arguments of :func:`render` (never downscaled).
    """
    return render(ds, frame=frame, voi=voi, styles=styles, masks=masks).png()
