"""Rendering: a frame of pixel data to an RGB view with its overlay planes drawn on it.

The pipeline, each step a public function the app can cache or call on its own:

1. :func:`decode_frame`: pydicom's :func:`~pydicom.pixels.pixel_array` decodes one frame
   (compressed syntaxes through the installed plugins: GDCM, pylibjpeg-openjpeg,
   pylibjpeg-rle, pyjpegls, Pillow). Bits above (0028,0102) *High Bit* are removed (taken as
   *Bits Stored* - 1, as pydicom does), so the retired overlay bits embedded in Pixel Data
   never reach the image.
2. :func:`frame_image`: greyscale frames go through the Modality and VOI LUTs
   (:mod:`overlay_core.windowing`); PALETTE COLOR through its palette
   (:func:`~pydicom.pixels.apply_color_lut`); RGB and YBR in colour (pydicom converts YBR to
   RGB while decoding). When a frame cannot be decoded, a black frame of the image's size is
   returned with the reason, so planes can still be inspected and edited.
3. :func:`compose`: the frame is cut to the view's zoom window and resized to the display
   size of a :class:`~overlay_core.geometry.ViewGeometry` (area averaging when shrinking,
   nearest pixel when enlarging); each visible plane's image-space mask
   (:func:`overlay_core.placement.image_mask`, never a second origin conversion) is resized
   with max-pooling, so a one-pixel line never vanishes, and painted in its
   :class:`PlaneStyle`.

Coordinates: arrays are indexed ``(row, col)`` from the top-left; frames are 0-based in this
API (the CLI's ``--frame`` is 1-based, like DICOM frame numbers).
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixels.decoders.base import get_decoder
from pydicom.pixels.processing import apply_color_lut
from pydicom.pixels.utils import pixel_array
from pydicom.uid import UID

from .errors import InvalidArgumentError, UnsupportedError
from .geometry import ViewGeometry, Window, fit_view
from .model import FIRST_GROUP, ImageInfo, OverlayPlane, OverlayType, group_hex, parse_group
from .placement import image_mask
from .reading import image_info, load, read_planes
from .windowing import (
    Voi,
    VoiKind,
    automatic_window,
    default_voi,
    grey_levels,
    is_inverted,
    manual_window,
    modality_values,
    voi_unit,
)

__all__ = [
    "PALETTE",
    "ROI_FILL_OPACITY",
    "FrameImage",
    "PlaneStyle",
    "RenderedView",
    "burn_in_png",
    "compose",
    "decode_frame",
    "default_color",
    "default_style",
    "default_styles",
    "frame_image",
    "modality_frame",
    "parse_color",
    "parse_overlays",
    "pool_mask",
    "render",
    "render_dataset_to_png",
    "render_file_to_png",
    "resize_image",
    "to_png",
]

#: One distinct, saturated (never grey) colour per overlay group 6000, 6002, ... 601E.
PALETTE: tuple[tuple[int, int, int], ...] = (
    (255, 225, 25),   # 6000 yellow
    (70, 240, 240),   # 6002 cyan
    (240, 50, 230),   # 6004 magenta
    (0, 130, 200),    # 6006 blue (lime was too close to 6000's yellow)
    (245, 130, 48),   # 6008 orange
    (230, 25, 75),    # 600A red
    (210, 245, 60),   # 600C lime
    (60, 180, 75),    # 600E green
    (250, 190, 212),  # 6010 pink
    (220, 190, 255),  # 6012 lavender
    (170, 255, 195),  # 6014 mint
    (255, 215, 180),  # 6016 apricot
    (0, 128, 128),    # 6018 teal
    (170, 110, 40),   # 601A brown
    (128, 128, 0),    # 601C olive
    (145, 30, 180),   # 601E purple
)

#: The fill opacity of a type R (region of interest) plane in the app's default look; its
#: outline is drawn solid on top.
ROI_FILL_OPACITY = 0.3

_COLOUR_PHOTOMETRICS = ("RGB", "YBR_FULL", "YBR_FULL_422", "YBR_ICT", "YBR_RCT")


def default_color(group: int) -> tuple[int, int, int]:
    """Return the palette colour of an overlay group.

    >>> default_color(0x6000), default_color(0x6002)
    ((255, 225, 25), (70, 240, 240))
    """
    return PALETTE[(parse_group(group) - FIRST_GROUP) // 2]


def parse_color(value: str | Sequence[int]) -> tuple[int, int, int]:
    """Return an ``(r, g, b)`` colour from ``"#rrggbb"`` or three integers 0-255.

    Raises
    ------
    InvalidArgumentError
        If the value is neither.

    Examples
    --------
    >>> parse_color("#FF8000"), parse_color([0, 128, 255])
    ((255, 128, 0), (0, 128, 255))
    """
    if isinstance(value, str):
        text = value.strip().removeprefix("#")
        if len(text) == 6:
            try:
                return (int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16))
            except ValueError:
                pass
        raise InvalidArgumentError(f'A colour must look like "#ff8000", not "{value}".')
    items = list(value)
    if len(items) != 3 or not all(isinstance(v, (int, np.integer)) and 0 <= v <= 255 for v in items):
        raise InvalidArgumentError(f"A colour must be three integers from 0 to 255, not {items}.")
    return (int(items[0]), int(items[1]), int(items[2]))


@dataclass(frozen=True)
class PlaneStyle:
    """How one overlay plane is drawn.

    Attributes
    ----------
    group : int
        The overlay group, ``0x6000`` to ``0x601E`` (``"6002"`` is accepted).
    color : tuple of int
        ``(r, g, b)``, 0-255 (``"#rrggbb"`` is accepted).
    opacity : float
        0 (invisible) to 1 (solid) for the plane's set pixels.
    visible : bool
        Whether the plane is drawn at all.
    outline : bool
        Also draw the plane's edge pixels (set pixels with an unset 4-neighbour, in display
        pixels) solid, on top of the fill.

    Examples
    --------
    >>> PlaneStyle("6002", "#00ff00").color_hex
    '#00ff00'
    >>> PlaneStyle(0x6000, (255, 0, 0), opacity=2)
    Traceback (most recent call last):
    ...
    overlay_core.errors.InvalidArgumentError: The opacity must be between 0 and 1, not 2.
    """

    group: int
    color: tuple[int, int, int]
    opacity: float = 1.0
    visible: bool = True
    outline: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "group", parse_group(self.group))
        object.__setattr__(self, "color", parse_color(self.color))
        opacity = float(self.opacity)
        if not 0.0 <= opacity <= 1.0:
            raise InvalidArgumentError(f"The opacity must be between 0 and 1, not {self.opacity:g}.")
        object.__setattr__(self, "opacity", opacity)

    @property
    def color_hex(self) -> str:
        """The colour as ``"#rrggbb"``, as a colour picker wants it."""
        return "#{:02x}{:02x}{:02x}".format(*self.color)


def default_style(plane: OverlayPlane, roi_look: bool = True) -> PlaneStyle:
    """Return the default style of a plane: its palette colour, visible.

    Type G planes are solid. Type R planes, with ``roi_look`` (the app), are a translucent
    fill (:data:`ROI_FILL_OPACITY`) with a solid outline; without it (the CLI) they are
    solid like type G planes.

    >>> default_style(OverlayPlane(0x6002, 4, 4, type=OverlayType.ROI))
    PlaneStyle(group=24578, color=(70, 240, 240), opacity=0.3, visible=True, outline=True)
    """
    if roi_look and plane.type is OverlayType.ROI:
        return PlaneStyle(plane.group, default_color(plane.group), ROI_FILL_OPACITY, True, True)
    return PlaneStyle(plane.group, default_color(plane.group))


def default_styles(planes: Iterable[OverlayPlane], roi_look: bool = True) -> list[PlaneStyle]:
    """:func:`default_style` of each plane, in the order given."""
    return [default_style(p, roi_look) for p in planes]


# --- decoding -------------------------------------------------------------------------------


def _check_frame(info: ImageInfo, frame: int) -> None:
    if info.rows == 0:
        raise InvalidArgumentError(
            "The file has no image (no Rows and Columns) to render; it may be a presentation state."
        )
    if not 0 <= frame < info.frames:
        raise InvalidArgumentError(
            f"Frame index {frame} is out of range: the image has {info.frames} frame(s), "
            f"indices 0 to {info.frames - 1}."
        )


def _pixel_dataset(ds: Dataset, info: ImageInfo) -> Dataset:
    """Build a dataset holding only what decoding and the LUTs need.

    It shares the file's elements and has the transfer syntax in its file meta even when
    the file had none.
    """
    pm = Dataset()
    pm.file_meta = FileMetaDataset()
    pm.file_meta.TransferSyntaxUID = UID(info.transfer_syntax)
    for elem in ds.group_dataset(0x0028):
        if elem.value is None or elem.value == "" or (elem.VR == "SQ" and not _usable_lut(elem.value)):
            continue  # empty attributes, as some writers leave them, mean "absent"
        pm.add(elem)
    for tag in (0x20500020, 0x7FE00001, 0x7FE00002, 0x7FE00010):
        if tag in ds:
            pm.add(ds[tag])
    return pm


def _usable_lut(items: Sequence[Dataset]) -> bool:
    """Whether a LUT sequence's first item has a LUT Descriptor and LUT Data."""
    return bool(items) and all(items[0].get(k) is not None for k in ("LUTDescriptor", "LUTData"))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__).rstrip(".")


def _strip_high_bits(arr: NDArray[Any], info: ImageInfo) -> NDArray[Any]:
    """Keep only the low ``Bits Stored`` bits of each value, sign-extending signed values.

    pydicom's decoders already do this; it is repeated here (one cheap pass) because the
    overlay bits embedded above High Bit must never reach the image. As in pydicom, High
    Bit is taken to be ``Bits Stored - 1`` (PS3.5 8.1.1).

    >>> info = ImageInfo(1, 2, 1, True, "MONOCHROME2", 16, 12, 11, 1, "", "", False)
    >>> _strip_high_bits(np.array([0x8FFF, 0x4001], np.uint16), info).tolist()
    [4095, 1]
    >>> _strip_high_bits(np.array([0x0FFF, 0x87FF], np.uint16).view(np.int16), info).tolist()
    [-1, 2047]
    """
    if arr.dtype.kind not in "iu":
        return arr
    bits = arr.dtype.itemsize * 8
    stored = info.bits_stored if 0 < info.bits_stored <= bits else bits
    if stored == bits:
        return arr
    if not arr.flags.writeable:
        arr = arr.copy()
    if arr.dtype.kind == "i":
        np.left_shift(arr, bits - stored, out=arr)
        np.right_shift(arr, bits - stored, out=arr)
    else:
        np.bitwise_and(arr, arr.dtype.type((1 << stored) - 1), out=arr)
    return arr


def decode_frame(ds: Dataset, frame: int = 0) -> NDArray[Any]:
    """Decode one frame's stored pixel values with pydicom.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The image.
    frame : int, optional
        0-based frame index.

    Returns
    -------
    numpy.ndarray
        ``(rows, cols)`` for one sample per pixel, ``(rows, cols, 3)`` RGB for three (YBR
        is converted by pydicom); bits above High Bit removed, signed values sign-extended.

    Raises
    ------
    InvalidArgumentError
        If the file has no image or ``frame`` is out of range.
    UnsupportedError
        If the frame cannot be decoded; the message says why, in one sentence.
    """
    info = image_info(ds)
    _check_frame(info, frame)
    if not info.has_pixel_data:
        raise UnsupportedError("The image cannot be shown because the file has no Pixel Data.")
    name = info.transfer_syntax_name
    try:
        decoder = get_decoder(UID(info.transfer_syntax))
    except NotImplementedError:
        raise UnsupportedError(
            f"The image cannot be shown because no decoder exists for its transfer syntax, {name}."
        ) from None
    if not decoder.is_available:
        raise UnsupportedError(
            f"The image cannot be shown because no installed plugin decodes its transfer syntax, {name}."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr = pixel_array(_pixel_dataset(ds, info), index=frame)
    except Exception as exc:
        raise UnsupportedError(
            f"The image cannot be shown because its {name} Pixel Data could not be decoded "
            f"({_first_line(exc)})."
        ) from exc
    return _strip_high_bits(np.asarray(arr), info)


# --- display values -------------------------------------------------------------------------


def modality_frame(ds: Dataset, frame: int = 0) -> NDArray[np.float64]:
    """Return one greyscale frame's Modality LUT values (rescaled units such as HU).

    Empty Modality LUT attributes, as some writers leave them, count as absent, as they
    do when the frame is shown.

    Raises
    ------
    InvalidArgumentError
        If the file has no image or ``frame`` is out of range.
    UnsupportedError
        If the frame cannot be decoded, is in colour, or its Modality LUT is unusable.
    """
    info = image_info(ds)
    _check_frame(info, frame)
    stored = decode_frame(ds, frame)
    if stored.ndim != 2:
        raise UnsupportedError("This image is in colour; intensity values need a greyscale image.")
    try:
        return modality_values(stored, _pixel_dataset(ds, info))
    except Exception as exc:
        raise UnsupportedError(
            f"The image's values cannot be read because its Modality LUT is unusable ({_first_line(exc)})."
        ) from exc


@dataclass(frozen=True, eq=False)
class FrameImage:
    """One frame, ready to show at full resolution.

    Attributes
    ----------
    pixels : numpy.ndarray
        ``uint8``: ``(rows, cols)`` grey levels or ``(rows, cols, 3)`` RGB.
    frame : int
        The 0-based frame index.
    voi : Voi or None
        The VOI transform applied (the automatic window resolved to its values); ``None``
        for colour images and missing images.
    missing_reason : str or None
        Why the image is black: the frame could not be decoded or shown.
    """

    pixels: NDArray[np.uint8]
    frame: int
    voi: Voi | None = None
    missing_reason: str | None = None

    @property
    def rows(self) -> int:
        """The frame's number of rows."""
        return int(self.pixels.shape[0])

    @property
    def cols(self) -> int:
        """The frame's number of columns."""
        return int(self.pixels.shape[1])


def _grey(arr: NDArray[Any], pm: Dataset, voi: Voi) -> tuple[NDArray[np.uint8], Voi]:
    """Turn stored values into grey levels: Modality LUT, VOI, inversion."""
    inverted = is_inverted(pm)
    if arr.dtype.kind in "iu" and arr.dtype.itemsize <= 2:
        # A lookup table over every possible stored bit pattern: one gather per pixel.
        patterns = np.dtype(f"u{arr.dtype.itemsize}")
        domain = np.arange(2 ** (8 * arr.dtype.itemsize), dtype=patterns).view(arr.dtype)
        modality = modality_values(domain, pm)
        if voi.kind is VoiKind.AUTO:
            present = (domain >= arr.min()) & (domain <= arr.max())
            voi = automatic_window(modality[present].min(), modality[present].max())
        lut = grey_levels(voi_unit(modality, pm, voi), inverted)
        return np.take(lut, arr.view(patterns)), voi
    values = modality_values(arr, pm)
    if voi.kind is VoiKind.AUTO:
        voi = automatic_window(values.min(), values.max())
    return grey_levels(voi_unit(values, pm, voi), inverted), voi


def _to_8bit(arr: NDArray[Any], bits: int) -> NDArray[np.uint8]:
    if arr.dtype == np.uint8:
        return arr.astype(np.uint8, copy=False)
    shift = max(bits - 8, 0)
    return np.asarray(arr >> shift if arr.dtype.kind in "iu" else arr, dtype=np.uint8)


def _display(arr: NDArray[Any], ds: Dataset, info: ImageInfo, voi: Voi | None
             ) -> tuple[NDArray[np.uint8], Voi | None]:
    pm = _pixel_dataset(ds, info)
    photometric = info.photometric.strip().upper()
    if info.samples_per_pixel == 1 and photometric in ("MONOCHROME1", "MONOCHROME2", ""):
        try:
            return _grey(arr, pm, voi or default_voi(pm))
        except InvalidArgumentError:
            raise
        except Exception as exc:
            raise UnsupportedError(
                f"The image cannot be shown because its Modality or VOI LUT is unusable ({_first_line(exc)})."
            ) from exc
    if info.samples_per_pixel == 1 and photometric == "PALETTE COLOR":
        try:
            rgb = np.asarray(apply_color_lut(arr, pm))[..., :3]
        except Exception as exc:
            raise UnsupportedError(
                f"The image cannot be shown because its palette is unusable ({_first_line(exc)})."
            ) from exc
        return _to_8bit(rgb, 8 * rgb.dtype.itemsize), None
    if arr.ndim == 3 and arr.shape[2] == 3 and photometric in _COLOUR_PHOTOMETRICS:
        return _to_8bit(arr, info.bits_stored), None
    raise UnsupportedError(
        f"The image cannot be shown because its Photometric Interpretation {photometric or '(none)'} "
        f"with {info.samples_per_pixel} sample(s) per pixel is not supported."
    )


def frame_image(ds: Dataset, frame: int = 0, voi: Voi | None = None) -> FrameImage:
    """Decode and window one frame; a black frame with the reason when that fails.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The image.
    frame : int, optional
        0-based frame index.
    voi : Voi, optional
        The VOI transform of a greyscale image; default: the file's first preset, else the
        automatic window (:func:`overlay_core.windowing.default_voi`). Ignored for colour.

    Returns
    -------
    FrameImage

    Raises
    ------
    InvalidArgumentError
        If the file has no image, ``frame`` is out of range, or ``voi`` names a VOI LUT
        table the file does not have.
    """
    info = image_info(ds)
    _check_frame(info, frame)
    try:
        pixels, used = _display(decode_frame(ds, frame), ds, info, voi)
    except UnsupportedError as exc:
        return FrameImage(np.zeros((info.rows, info.columns), np.uint8), frame, None, str(exc))
    return FrameImage(pixels, frame, used)


# --- display size ---------------------------------------------------------------------------


def _nearest(start: int, n: int, d: int) -> NDArray[np.intp]:
    """Index of the source pixel under the centre of each of ``d`` display pixels."""
    return start + (2 * np.arange(d, dtype=np.intp) + 1) * n // (2 * d)


def resize_image(pixels: NDArray[np.uint8], geometry: ViewGeometry) -> NDArray[np.uint8]:
    """Cut the view's window out of a full frame and resize it to the display size.

    Shrinking averages areas (Pillow's BOX filter); enlarging repeats the pixel under each
    display pixel's centre.

    Examples
    --------
    >>> a = np.array([[0, 100], [200, 100]], np.uint8)
    >>> resize_image(a, fit_view(2, 2, max_size=1)).tolist()
    [[100]]
    """
    w = geometry.window
    dh, dw = geometry.display_height, geometry.display_width
    if (dh, dw) == (w.rows, w.cols):
        return np.array(pixels[w.row0:w.row0 + w.rows, w.col0:w.col0 + w.cols])
    if dh <= w.rows and dw <= w.cols:
        image = Image.fromarray(np.ascontiguousarray(pixels))
        box = (w.col0, w.row0, w.col0 + w.cols, w.row0 + w.rows)
        return np.asarray(image.resize((dw, dh), Image.Resampling.BOX, box=box))
    rows, cols = _nearest(w.row0, w.rows, dh), _nearest(w.col0, w.cols, dw)
    return np.asarray(pixels[np.ix_(rows, cols)])


def _pool_axis(a: NDArray[np.bool_], axis: int, n: int, d: int) -> NDArray[np.bool_]:
    if d == n:
        return a
    if d > n:
        return np.take(a, _nearest(0, n, d), axis=axis)
    if n % d == 0:
        shape = list(a.shape)
        shape[axis:axis + 1] = [d, n // d]
        return np.asarray(a.reshape(shape).any(axis=axis + 1))
    # Display pixel k covers [k n/d, (k+1) n/d) and gathers the source pixels whose centres
    # fall in it: the first is ceil(k n/d - 1/2).
    starts = (2 * np.arange(d, dtype=np.intp) * n + d - 1) // (2 * d)
    return np.asarray(np.logical_or.reduceat(a, starts, axis=axis))


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
    w = geometry.window
    crop = mask[w.row0:w.row0 + w.rows, w.col0:w.col0 + w.cols]
    crop = _pool_axis(crop, 0, w.rows, geometry.display_height)
    return _pool_axis(crop, 1, w.cols, geometry.display_width)


def _edge(m: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Set pixels with an unset 4-neighbour (the image border does not count)."""
    inner = m.copy()
    inner[1:] &= m[:-1]
    inner[:-1] &= m[1:]
    inner[:, 1:] &= m[:, :-1]
    inner[:, :-1] &= m[:, 1:]
    return m & ~inner


def _paint(out: NDArray[np.uint8], m: NDArray[np.bool_], color: tuple[int, int, int], opacity: float) -> None:
    if opacity <= 0 or not m.any():
        return
    if opacity >= 1:
        out[m] = color
        return
    under = out[m].astype(np.float32)
    over = np.asarray(color, np.float32)
    out[m] = np.rint(under * (1 - opacity) + over * opacity).astype(np.uint8)


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
        :func:`overlay_core.placement.image_mask`, or the editor's own); a style whose
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
    base = resize_image(pixels, geometry)
    out = np.ascontiguousarray(np.repeat(base[..., None], 3, axis=2) if base.ndim == 2 else base)
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
            _paint(out, _edge(shown), style.color, 1.0)
    return out


# --- whole views ----------------------------------------------------------------------------


def to_png(pixels: NDArray[np.uint8], compress_level: int = 1) -> bytes:
    r"""Encode a ``uint8`` grey ``(rows, cols)`` or RGB ``(rows, cols, 3)`` array as PNG.

    >>> to_png(np.zeros((2, 2, 3), np.uint8))[:4]
    b'\x89PNG'
    """
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(buffer, format="PNG", compress_level=compress_level)
    return buffer.getvalue()


@dataclass(frozen=True, eq=False)
class RenderedView:
    """A rendered view and how it maps to the image.

    Attributes
    ----------
    image : numpy.ndarray
        ``uint8`` RGB ``(display_height, display_width, 3)``.
    geometry : ViewGeometry
        The view's window and display size (:attr:`ViewGeometry.scale` is the scale).
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
        return to_png(self.image, compress_level)


def render(
    ds: Dataset,
    *,
    frame: int = 0,
    voi: Voi | None = None,
    styles: Sequence[PlaneStyle] | None = None,
    masks: Mapping[int, NDArray[np.bool_]] | None = None,
    max_size: int | None = None,
    window: Window | None = None,
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
        groups not given are read from ``ds`` with :func:`overlay_core.placement.image_mask`.
    max_size, window, width : optional
        The view, as :func:`overlay_core.geometry.fit_view`; default: the whole image at full
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
    _check_frame(info, frame)
    shown = frame_image(ds, frame, voi) if image is None else image
    geometry = fit_view(info.rows, info.columns, max_size=max_size, window=window, width=width)
    chosen = default_styles(read_planes(ds)) if styles is None else list(styles)
    given = dict(masks or {})
    for style in chosen:
        if style.visible and style.group not in given:
            given[style.group] = image_mask(ds, style.group)[frame]
    pixels = compose(shown, given, chosen, geometry)
    return RenderedView(pixels, geometry, frame, shown.voi, shown.missing_reason, chosen)


def burn_in_png(
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


def parse_overlays(value: str | Iterable[int | str]) -> list[int] | None:
    """Parse the CLI's ``--overlays``: ``all`` (``None``), ``none`` (``[]``) or groups.

    Raises
    ------
    InvalidArgumentError
        If a group is not one of 6000 to 601E (even).

    Examples
    --------
    >>> parse_overlays("all"), parse_overlays("none"), parse_overlays("6002, 6000,6002")
    (None, [], [24578, 24576])
    """
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "all":
            return None
        if text in ("none", ""):
            return []
        items: list[int | str] = [t for t in text.split(",") if t.strip()]
    else:
        items = list(value)
    groups: list[int] = []
    for item in items:
        group = parse_group(item)
        if group not in groups:
            groups.append(group)
    return groups


def render_file_to_png(
    data: bytes,
    *,
    frame: int = 1,
    window: tuple[float, float] | None = None,
    overlays: str | Iterable[int | str] = "all",
    max_size: int | None = None,
) -> bytes:
    """Render a DICOM file's frame with its overlay planes to PNG bytes (the CLI's ``render``).

    :func:`overlay_core.reading.load` then :func:`render_dataset_to_png`, whose arguments
    it takes.

    Raises
    ------
    NotDicomError
        If ``data`` is not DICOM; otherwise as :func:`render_dataset_to_png`.
    """
    return render_dataset_to_png(load(data), frame=frame, window=window, overlays=overlays,
                                 max_size=max_size)


def render_dataset_to_png(
    ds: Dataset,
    *,
    frame: int = 1,
    window: tuple[float, float] | None = None,
    overlays: str | Iterable[int | str] = "all",
    max_size: int | None = None,
) -> bytes:
    """Render a frame with its overlay planes to PNG bytes, as the CLI does.

    Every shown plane, G and R alike, paints its set pixels in its palette colour at full
    opacity; nothing else changes.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The image and its overlay groups.
    frame : int, optional
        **1-based** frame number (DICOM numbering), default 1.
    window : (float, float), optional
        A manual LINEAR window ``(center, width)``; default: the file's first preset, else
        the automatic min-max window.
    overlays : str or iterable, optional
        ``"all"`` (every usable plane), ``"none"``, or groups such as ``"6000,6002"``.
    max_size : int, optional
        The longest side of the output; default: full resolution.

    Raises
    ------
    InvalidArgumentError
        For a file without an image, a frame out of range, a bad window or group.
    PlaneNotFoundError, InvalidOverlayError
        If a listed group is absent or unusable.
    UnsupportedError
        If the image cannot be decoded (the message says why).
    """
    info = image_info(ds)
    if info.rows == 0:
        _check_frame(info, 0)
    if not 1 <= frame <= info.frames:
        raise InvalidArgumentError(
            f"Frame {frame} does not exist: the image has {info.frames} frame(s), "
            f"numbered 1 to {info.frames}."
        )
    if max_size is not None and max_size < 1:
        raise InvalidArgumentError(f"The maximum size must be at least 1 pixel, not {max_size}.")
    voi = manual_window(*window) if window is not None else None
    groups = parse_overlays(overlays)
    styles = (default_styles(read_planes(ds), roi_look=False) if groups is None
              else [PlaneStyle(g, default_color(g)) for g in groups])
    image = frame_image(ds, frame - 1, voi)
    if image.missing_reason is not None:
        raise UnsupportedError(image.missing_reason)
    return render(ds, frame=frame - 1, styles=styles, max_size=max_size, image=image).png()
