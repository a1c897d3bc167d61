"""A frame in a view: shrunk first, then windowed, as DCMTK scales an image; planes pooled to it.

:func:`frame_view` is the image under every view the core renders (the CLI's ``render``,
batch, the app's Inspect and editor). When the view is smaller than its region, a greyscale
frame's Modality LUT values are averaged over each display pixel's box (Pillow's BOX filter
areas) and only the averages are windowed, as DCMTK's ``DiMonoImage`` scaling constructor
does: it scales the image's modality values (its *InterData*) and applies the VOI window when
it writes the output. A view at full size or enlarged, and a colour frame, is the frame as
:func:`~overlay_core.render.pixels.frame_image` shows it, cut and resized
(:func:`~overlay_core.render.resize.resize_image`).

For integer stored values and a rescale (or none), the mean of the stored values maps to the
mean of the modality values, so a power-of-two shrink sums the stored values of each box
straight from the pixel words (:func:`~overlay_core.render.resize.stored_box_sums`, the bits
above High Bit dropped) and windows the sums through one table: a 4096² frame is read once
and 1,048,576 values are windowed instead of 16.7 M. Other shrinks average the modality
values with Pillow's BOX filter in floating point.

The planes are pooled to the same view by :mod:`overlay_core.render.pooling`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from overlay_core.errors import UnsupportedError
from overlay_core.model import ImageInfo
from overlay_core.planes.reading import image_info
from overlay_core.render import decoders
from overlay_core.render.geometry import ViewGeometry, fit_view
from overlay_core.render.pixels import (
    GREY_PHOTOMETRICS,
    FrameImage,
    check_image_frame,
    decode_frame,
    frame_image,
    lut_errors,
    pixel_dataset,
    strip_high_bits,
)
from overlay_core.render.resize import (
    power_of_two_steps,
    resize_image,
    stored_box_sums,
    whole_view,
)
from overlay_core.render.windowing import (
    Voi,
    VoiKind,
    automatic_window,
    default_voi,
    grey_levels,
    is_inverted,
    look_up,
    modality_values,
    voi_unit,
)

__all__ = ["frame_view"]

def _shrinks(geometry: ViewGeometry) -> bool:
    """Whether the view is smaller than its region (on one side at least, larger on neither)."""
    w = geometry.region
    dh, dw = geometry.display_height, geometry.display_width
    return dh <= w.rows and dw <= w.cols and (dh, dw) != (w.rows, w.cols)


def frame_view(ds: Dataset, frame: int = 0, voi: Voi | None = None,
               geometry: ViewGeometry | None = None) -> FrameImage:
    """Decode one frame and show it in a view: its pixels are the view's, display-sized.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The image.
    frame : int, optional
        0-based frame index.
    voi : Voi, optional
        As :func:`~overlay_core.render.pixels.frame_image` (the automatic window is the
        whole frame's range, whatever the view).
    geometry : ViewGeometry, optional
        The view (:func:`~overlay_core.render.geometry.fit_view`); default: the whole image
        at full resolution.

    Returns
    -------
    FrameImage
        ``pixels`` ``(display_height, display_width)`` grey or ``(..., 3)`` RGB; a black view
        with the reason when the frame cannot be shown.

    Raises
    ------
    InvalidArgumentError
        As :func:`~overlay_core.render.pixels.frame_image`.

    Examples
    --------
    The mean of each 2 x 2 box is windowed: 0, 0, 0 and 100 average to 25, a quarter grey.

    >>> ds = Dataset(); ds.Rows = ds.Columns = 2; ds.BitsAllocated = 16; ds.BitsStored = 12
    >>> ds.HighBit = 11; ds.PixelRepresentation = 0; ds.SamplesPerPixel = 1
    >>> ds.PhotometricInterpretation = "MONOCHROME2"
    >>> ds.PixelData = np.array([0, 0, 0, 100], "<u2").tobytes()
    >>> ds.WindowCenter, ds.WindowWidth = 50.5, 101
    >>> frame_view(ds, geometry=fit_view(2, 2, max_size=1)).pixels.tolist()
    [[64]]
    """
    info = image_info(ds)
    check_image_frame(info, frame)
    view = geometry or fit_view(info.rows, info.columns)
    grey = info.samples_per_pixel == 1 and info.photometric.strip().upper() in GREY_PHOTOMETRICS
    if not (grey and _shrinks(view)):
        image = frame_image(ds, frame, voi)
        pixels = image.pixels if whole_view(view) else resize_image(image.pixels, view)
        return FrameImage(pixels, frame, image.voi, image.missing_reason)
    try:
        pixels, used = _shrunk_grey(ds, info, frame, voi, view)
    except UnsupportedError as exc:
        black = np.zeros((view.display_height, view.display_width), np.uint8)
        return FrameImage(black, frame, None, str(exc))
    return FrameImage(pixels, frame, used)


def _shrunk_grey(ds: Dataset, info: ImageInfo, frame: int, voi: Voi | None, view: ViewGeometry
                 ) -> tuple[NDArray[np.uint8], Voi]:
    """Average a greyscale frame's values over each display pixel's box, then window the averages."""
    native = info.has_pixel_data and not info.compressed
    words = decoders.native_words(ds, info, frame) if native else None
    stored = words if words is not None else decode_frame(ds, frame)  # raises UnsupportedError
    pm = pixel_dataset(ds, info)
    with lut_errors():
        chosen = voi or default_voi(pm)
        if chosen.kind is VoiKind.AUTO:
            chosen = _automatic(strip_high_bits(stored, info), pm)
        return _windowed_means(stored, pm, chosen, info, view), chosen


def _automatic(values: NDArray[Any], pm: Dataset) -> Voi:
    """Return the automatic window of a frame: the range of the Modality LUT values of its stored values.

    For integer values, the Modality LUT of every value from the least to the greatest, as
    :func:`~overlay_core.render.pixels.frame_image` takes it (a table need not be monotonic).
    """
    if values.dtype.kind in "iu" and values.dtype.itemsize <= 2:
        low, high = int(values.min()), int(values.max())
        modality = modality_values(np.arange(low, high + 1, dtype=values.dtype), pm)
    else:
        modality = modality_values(values, pm)
    return automatic_window(modality.min(), modality.max())


def _windowed_means(stored: NDArray[Any], pm: Dataset, voi: Voi, info: ImageInfo, view: ViewGeometry
                    ) -> NDArray[np.uint8]:
    w = view.region
    dh, dw = view.display_height, view.display_width
    crop = stored[w.row0:w.row0 + w.rows, w.col0:w.col0 + w.cols]
    inverted = is_inverted(pm)
    bits = 8 * stored.dtype.itemsize
    stored_bits = info.bits_stored if 0 < info.bits_stored <= bits else bits
    sums = None
    linear = pm.get("ModalityLUTSequence") is None  # a rescale, or none: the mean commutes with it
    if linear and power_of_two_steps(w.rows, dh) and power_of_two_steps(w.cols, dw):
        sums = stored_box_sums(crop, stored_bits, stored.dtype.kind == "i", w.rows // dh, w.cols // dw)
    if sums is not None:
        n = (w.rows // dh) * (w.cols // dw)
        offset = 1 << (stored_bits - 1) if stored.dtype.kind == "i" else 0
        top = n * ((1 << stored_bits) - 1)  # the largest sum
        if top < dh * dw:  # fewer possible sums than display pixels: window each sum once
            table = _levels(np.arange(top + 1) / n - offset, pm, voi, inverted)
            return look_up(table, sums)
        return _levels(sums / n - offset, pm, voi, inverted)
    if linear:  # averaged as stored values, the rescale applied to the averages only
        return _levels(_box_means(crop, None, info, dh, dw), pm, voi, inverted)
    return grey_levels(voi_unit(_box_means(crop, pm, info, dh, dw), pm, voi), inverted)


#: Source pixels per band of the floating-point shrink (it holds a band's values at a time).
_BAND_PIXELS = 1 << 20


def _box_means(crop: NDArray[Any], pm: Dataset | None, info: ImageInfo, dh: int, dw: int
               ) -> NDArray[np.float64]:
    """Average the values of ``crop`` over each display pixel's box (Pillow's BOX filter).

    The stored values (bits above High Bit removed), or with ``pm`` their Modality LUT
    values. In bands of rows, so only a band's values are held in floating point; each band
    is Pillow's BOX filter over its part of the source (a fractional box), as one call over
    the whole crop would weigh it.
    """
    from PIL import Image  # here: a power-of-two shrink of integer values starts without Pillow

    rows, cols = crop.shape
    step = rows / dh
    band = max(1, int(_BAND_PIXELS // (cols * step)))  # display rows per band
    out = np.empty((dh, dw), np.float64)
    for top in range(0, dh, band):
        bottom = min(top + band, dh)
        y0, y1 = top * step, min(bottom * step, rows)
        r0, r1 = math.floor(y0), min(rows, math.ceil(y1))
        stored = strip_high_bits(crop[r0:r1], info)
        values = (stored if pm is None else modality_values(stored, pm)).astype(np.float32)
        part = Image.fromarray(values, "F").resize((dw, bottom - top), Image.Resampling.BOX,
                                                   box=(0, y0 - r0, cols, y1 - r0))
        out[top:bottom] = np.asarray(part)
    return out


def _levels(mean_stored: NDArray[np.float64], pm: Dataset, voi: Voi, inverted: bool) -> NDArray[np.uint8]:
    """Grey levels of mean stored values: Modality LUT (a rescale), VOI, inversion."""
    return grey_levels(voi_unit(modality_values(mean_stored, pm), pm, voi), inverted)
