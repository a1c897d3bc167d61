"""Composition: a frame in a view, with its overlay planes painted on it.

:func:`render` shows one frame in the view of a
:class:`~overlay_core.render.geometry.ViewGeometry` (:func:`overlay_core.render.display.frame_view`:
cut to the zoom region, a shrunk greyscale view averaged before it is windowed, as DCMTK
does, nearest pixel when enlarging), places only that frame of each visible plane
(:func:`overlay_core.planes.placement.image_mask`, never a second origin conversion),
max-pools it to the view, so a one-pixel line never vanishes
(:func:`overlay_core.render.pooling.view_mask`), and calls :func:`compose` to paint each in
its :class:`~overlay_core.render.styles.PlaneStyle`. :func:`compose` itself resizes a given
frame of grey levels (:mod:`overlay_core.render.resize`).

Coordinates: arrays are indexed ``(row, col)`` from the top-left; frames are 0-based.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from overlay_core.errors import InvalidArgumentError
from overlay_core.files.masks import encode_png
from overlay_core.model import group_hex
from overlay_core.planes.reading import image_info, read_planes
from overlay_core.render.display import frame_view
from overlay_core.render.geometry import Region, ViewGeometry, fit_view
from overlay_core.render.pixels import FrameImage, check_image_frame
from overlay_core.render.pooling import view_mask
from overlay_core.render.resize import pool_mask, resize_image, whole_view
from overlay_core.render.styles import PlaneStyle, default_styles
from overlay_core.render.windowing import Voi

__all__ = ["RenderedView", "compose", "full_view_png", "pool_mask", "render", "resize_image", "view_masks"]


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
    out = _rgb(pixels if whole_view(geometry) else resize_image(pixels, geometry))
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
) -> RenderedView:
    """Render one frame with its overlay planes to a view.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The image and its overlay groups.
    frame : int, optional
        0-based frame index.
    voi : Voi, optional
        See :func:`~overlay_core.render.pixels.frame_image`.
    styles : sequence of PlaneStyle, optional
        Default: :func:`default_styles` of every usable plane (the app's look).
    masks : mapping of int to numpy.ndarray, optional
        Image-space ``(rows, cols)`` masks of this frame by group, e.g. edited planes;
        groups not given are read from ``ds`` with :func:`overlay_core.planes.placement.image_mask`.
    max_size, region, width : optional
        The view, as :func:`overlay_core.render.geometry.fit_view`; default: the whole image at full
        resolution.

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
    geometry = fit_view(info.rows, info.columns, max_size=max_size, region=region, width=width)
    shown = frame_view(ds, frame, voi, geometry)
    chosen = default_styles(read_planes(ds)) if styles is None else list(styles)
    pooled = view_masks(ds, chosen, frame, geometry, masks)
    display = fit_view(geometry.display_height, geometry.display_width)
    pixels = compose(shown, pooled, chosen, display)
    return RenderedView(pixels, geometry, frame, shown.voi, shown.missing_reason, chosen)


def view_masks(
    ds: Dataset,
    styles: Sequence[PlaneStyle],
    frame: int,
    geometry: ViewGeometry,
    masks: Mapping[int, NDArray[np.bool_]] | None = None,
) -> dict[int, NDArray[np.bool_]]:
    """Return each visible plane of ``styles`` on image frame ``frame``, max-pooled to the view.

    ``masks`` gives image-space ``(rows, cols)`` masks by group (e.g. edited planes); the
    other groups are read from ``ds`` (:func:`overlay_core.render.pooling.view_mask`).

    Raises
    ------
    InvalidArgumentError
        If a given mask is not of the image's size.
    PlaneNotFoundError, InvalidOverlayError
        If a group without a given mask is absent from ``ds`` or unusable.
    """
    rows, cols = geometry.image_rows, geometry.image_cols
    out: dict[int, NDArray[np.bool_]] = {}
    for style in styles:
        if not style.visible:
            continue
        mask = (masks or {}).get(style.group)
        if mask is None:
            out[style.group] = view_mask(ds, style.group, frame, geometry)
            continue
        if mask.shape != (rows, cols):
            raise InvalidArgumentError(
                f"The mask of overlay group {group_hex(style.group)} is {mask.shape[0]} x "
                f"{mask.shape[-1]}, but the frame is {rows} x {cols}."
            )
        out[style.group] = pool_mask(mask, geometry)
    return out


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
