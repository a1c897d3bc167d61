"""The burn-in look: one frame with its planes painted solid, in their palette colours.

What the CLI's ``render``, batch ``render`` and the burned-in Secondary Capture draw:
every shown plane, G and R alike, paints its set pixels in its palette colour at full
opacity; nothing else changes. Frames are 0-based here (the CLI turns its 1-based
``--frame`` into an index at its edge).

A frame with no plane to paint is encoded as a grey PNG when the image is grey: the same
pixels as the RGB one, a third of the bytes to compress.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from overlay_core.errors import InvalidArgumentError, UnsupportedError
from overlay_core.files.masks import encode_png
from overlay_core.planes.packed import usable_groups
from overlay_core.planes.reading import image_info
from overlay_core.render.compose import compose, view_masks
from overlay_core.render.display import frame_view
from overlay_core.render.geometry import ViewGeometry, fit_view
from overlay_core.render.pixels import check_image_frame
from overlay_core.render.styles import PlaneStyle, default_color
from overlay_core.render.windowing import Voi

__all__ = ["burn_in_pixels", "burn_in_png", "burn_in_styles"]


def burn_in_styles(ds: Dataset, groups: Sequence[int] | None = None) -> list[PlaneStyle]:
    """Return the burn-in style of each plane: its palette colour, solid.

    ``groups`` lists the planes in painting order (later on top); ``None`` means every
    usable plane of ``ds``.

    >>> [s.color for s in burn_in_styles(Dataset(), [0x6002])]
    [(70, 240, 240)]
    """
    chosen = usable_groups(ds) if groups is None else list(groups)
    return [PlaneStyle(g, default_color(g)) for g in chosen]


def burn_in_pixels(
    ds: Dataset,
    *,
    frame: int = 0,
    voi: Voi | None = None,
    groups: Sequence[int] | None = None,
    max_size: int | None = None,
) -> NDArray[np.uint8]:
    """Return one frame with its planes burnt in: ``uint8``, grey ``(rows, cols)`` or RGB.

    The result is grey only when no plane is painted and the image is grey.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The image and its overlay groups.
    frame : int, optional
        0-based frame index.
    voi : Voi, optional
        The window; default: the file's first preset, else min to max.
    groups : sequence of int, optional
        The planes to paint (default: every usable plane); ``[]`` paints none.
    max_size : int, optional
        The longest side of the result; default: full resolution.

    Raises
    ------
    InvalidArgumentError
        For a file without an image, a frame out of range, or ``max_size`` below 1.
    PlaneNotFoundError, InvalidOverlayError
        If a listed group is absent or unusable.
    UnsupportedError
        If the image cannot be decoded (the message says why): a black image would mislead.

    Examples
    --------
    >>> from overlay_core.planes.writing import set_plane
    >>> ds = Dataset(); ds.Rows = ds.Columns = 2; ds.BitsAllocated = ds.BitsStored = 8
    >>> ds.HighBit = 7; ds.PixelRepresentation = 0; ds.SamplesPerPixel = 1
    >>> ds.PhotometricInterpretation = "MONOCHROME2"; ds.PixelData = bytes(4)
    >>> _ = set_plane(ds, 0x6000, np.eye(2, dtype=bool))
    >>> burn_in_pixels(ds).shape, burn_in_pixels(ds, groups=[]).shape
    ((2, 2, 3), (2, 2))
    """
    info = image_info(ds)
    check_image_frame(info, frame)
    if max_size is not None and max_size < 1:
        raise InvalidArgumentError(f"The maximum size must be at least 1 pixel, not {max_size}.")
    styles = burn_in_styles(ds, groups)
    geometry = fit_view(info.rows, info.columns, max_size=max_size)
    placing = _Placing(ds, styles, frame, geometry)
    placing.start()  # the planes are placed while the frame is windowed (numpy lets go of the GIL)
    image = frame_view(ds, frame, voi, geometry)
    if image.missing_reason is not None:
        placing.join()
        raise UnsupportedError(image.missing_reason)
    masks = placing.result()  # a plane's error now, as placing it after the frame would raise it
    if not styles and image.pixels.ndim == 2:
        return image.pixels
    return compose(image, masks, styles, fit_view(geometry.display_height, geometry.display_width))


class _Placing(threading.Thread):
    """Place the planes of one frame in the view in a thread of its own; :meth:`result` raises its error."""

    def __init__(self, ds: Dataset, styles: Sequence[PlaneStyle], frame: int, geometry: ViewGeometry) -> None:
        super().__init__(name="burn-in planes", daemon=True)
        self.ds, self.styles, self.frame, self.geometry = ds, styles, frame, geometry
        self.masks: dict[int, NDArray[np.bool_]] = {}
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.masks = view_masks(self.ds, self.styles, self.frame, self.geometry)
        except BaseException as exc:  # handed to the caller, which raises it as its own
            self.error = exc

    def result(self) -> dict[int, NDArray[np.bool_]]:
        self.join()
        if self.error is not None:
            raise self.error
        return self.masks


def burn_in_png(
    ds: Dataset,
    *,
    frame: int = 0,
    voi: Voi | None = None,
    groups: Sequence[int] | None = None,
    max_size: int | None = None,
) -> bytes:
    """Return :func:`burn_in_pixels` as PNG bytes (fast, lossless compression)."""
    return encode_png(burn_in_pixels(ds, frame=frame, voi=voi, groups=groups, max_size=max_size))
