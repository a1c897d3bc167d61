"""Pixels: one frame of Pixel Data decoded, and turned into grey levels or colours to show.

1. :func:`decode_frame`: pydicom's :func:`~pydicom.pixels.pixel_array` decodes one frame
   (compressed syntaxes through the installed plugins: GDCM, pylibjpeg-openjpeg,
   pylibjpeg-rle, pyjpegls, Pillow). Bits above (0028,0102) *High Bit* are removed (taken as
   *Bits Stored* - 1, as pydicom does), so the retired overlay bits embedded in Pixel Data
   never reach the image.
2. :func:`frame_image`: greyscale frames go through the Modality and VOI LUTs
   (:mod:`overlay_core.render.windowing`); PALETTE COLOR through its palette
   (:func:`~pydicom.pixels.apply_color_lut`); RGB and YBR in colour (pydicom converts YBR to
   RGB while decoding). When a frame cannot be decoded, a black frame of the image's size is
   returned with the reason, so planes can still be inspected and edited.
3. :func:`modality_frame` and :func:`frame_values`: the Modality LUT values the tools read
   (HU on CT). :class:`FrameValues` decodes a frame once for one call and reads boxes of it,
   range flags and per-pattern tables without a float copy of the whole frame.

Frames are 0-based here, as everywhere in the core.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixels.decoders.base import get_decoder
from pydicom.pixels.processing import apply_color_lut
from pydicom.uid import UID

from overlay_core.checks import check_frame_index, require_image
from overlay_core.errors import InvalidArgumentError, UnsupportedError, clause
from overlay_core.model import ImageInfo
from overlay_core.planes.reading import image_info
from overlay_core.render import decoders
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

__all__ = [
    "GREY_PHOTOMETRICS", "FrameImage", "FrameValues", "check_image_frame", "decode_frame", "frame_image",
    "frame_values", "lut_errors", "modality_frame", "pixel_dataset", "strip_high_bits",
]

#: The Photometric Interpretations shown in grey levels through the Modality and VOI LUTs.
GREY_PHOTOMETRICS = ("MONOCHROME1", "MONOCHROME2", "")

_COLOUR_PHOTOMETRICS = ("RGB", "YBR_FULL", "YBR_FULL_422", "YBR_ICT", "YBR_RCT")


# --- decoding -------------------------------------------------------------------------------


def check_image_frame(info: ImageInfo, frame: int) -> None:
    """Raise unless the file has an image and ``frame`` (0-based) is one of its frames."""
    require_image(info, "to render")
    check_frame_index(frame, info.frames, "the image")


def pixel_dataset(ds: Dataset, info: ImageInfo) -> Dataset:
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


def strip_high_bits(arr: NDArray[Any], info: ImageInfo) -> NDArray[Any]:
    """Keep only the low ``Bits Stored`` bits of each value, sign-extending signed values.

    pydicom's decoders already do this; it is repeated here (one cheap pass) because the
    overlay bits embedded above High Bit must never reach the image. As in pydicom, High
    Bit is taken to be ``Bits Stored - 1`` (PS3.5 8.1.1).

    >>> info = ImageInfo(1, 2, 1, True, "MONOCHROME2", 16, 12, 11, 1, "", "", False)
    >>> strip_high_bits(np.array([0x8FFF, 0x4001], np.uint16), info).tolist()
    [4095, 1]
    >>> strip_high_bits(np.array([0x0FFF, 0x87FF], np.uint16).view(np.int16), info).tolist()
    [-1, 2047]
    """
    if arr.dtype.kind not in "iu":
        return arr
    bits = arr.dtype.itemsize * 8
    stored = info.bits_stored if 0 < info.bits_stored <= bits else bits
    if stored == bits:
        return arr if arr.flags.writeable else arr.copy()
    out = arr if arr.flags.writeable else None  # a read-only view of Pixel Data: one pass to a copy
    if arr.dtype.kind == "i":
        shifted: NDArray[Any] = np.left_shift(arr, bits - stored, out=out)
        np.right_shift(shifted, bits - stored, out=shifted)
        return shifted
    kept: NDArray[Any] = np.bitwise_and(arr, arr.dtype.type((1 << stored) - 1), out=out)
    return kept


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
    check_image_frame(info, frame)
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
    arr = decoders.decode(pixel_dataset(ds, info), info, frame)  # checked before any native decoder
    return strip_high_bits(arr, info)


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
    return _modality(*_greyscale(ds, frame))


def _greyscale(ds: Dataset, frame: int) -> tuple[NDArray[Any], Dataset]:
    """Decode one greyscale frame: its stored values, and what its Modality LUT is read from."""
    info = image_info(ds)
    check_image_frame(info, frame)
    stored = decode_frame(ds, frame)
    if stored.ndim != 2:
        raise UnsupportedError("This image is in colour; intensity values need a greyscale image.")
    return stored, pixel_dataset(ds, info)


#: Either index of a 2-D array: every row or every column.
_ALL = slice(None)


@dataclass(frozen=True, eq=False)
class FrameValues:
    """One greyscale frame decoded once, and its Modality LUT values read from it on demand.

    Made by :func:`frame_values` for one call (a fill, a statistic, a limited edit) and
    dropped with it, never kept between calls: the frame is decoded once however many
    regions the call reads. For integer stored values of up to 16 bits, ``table`` holds the
    Modality LUT value of every bit pattern, so a range test or a histogram is one lookup per
    pixel instead of a float copy of the frame. Every value is the one :func:`modality_frame`
    gives, element for element (the same function applied to the same stored value).

    Attributes
    ----------
    frame : int
        The 0-based image frame.
    stored : numpy.ndarray
        ``(rows, cols)`` stored values, bits above High Bit removed.
    table : numpy.ndarray or None
        The value of every stored bit pattern (indexed by the pattern as unsigned), or ``None``
        for wider or float values.

    Examples
    --------
    >>> pm = Dataset(); pm.RescaleSlope, pm.RescaleIntercept = 2, -10
    >>> fv = FrameValues.of(0, np.array([[0, 5], [7, 255]], np.uint8), pm)
    >>> fv.values().tolist(), fv.within(0, 4).astype(int).tolist()
    ([[-10.0, 0.0], [4.0, 500.0]], [[0, 1], [1, 0]])
    >>> fv.values(slice(1, 2), slice(0, 1)).tolist()
    [[4.0]]
    """

    frame: int
    stored: NDArray[Any]
    table: NDArray[np.float64] | None
    pm: Dataset

    @classmethod
    def of(cls, frame: int, stored: NDArray[Any], pm: Dataset) -> FrameValues:
        """Build the reader of ``stored`` with the Modality LUT of ``pm`` (raises as :func:`frame_values`)."""
        table = None
        if stored.dtype.kind in "iu" and stored.dtype.itemsize <= 2:
            domain = np.arange(2 ** (8 * stored.dtype.itemsize), dtype=f"u{stored.dtype.itemsize}")
            table = _modality(domain.view(stored.dtype), pm)
        return cls(frame, stored, table, pm)

    def patterns(self, rows: slice = _ALL, cols: slice = _ALL) -> NDArray[np.unsignedinteger[Any]]:
        """Return the stored bit patterns of a box as unsigned integers (indices into ``table``)."""
        part = self.stored[rows, cols]
        return part.view(f"u{part.dtype.itemsize}")

    def values(self, rows: slice = _ALL, cols: slice = _ALL) -> NDArray[np.float64]:
        """Return the Modality LUT values of the box ``[rows, cols]`` (the whole frame by default)."""
        if self.table is not None:
            return look_up(self.table, self.patterns(rows, cols))
        return _modality(self.stored[rows, cols], self.pm)

    def within(self, low: float, high: float, rows: slice = _ALL, cols: slice = _ALL) -> NDArray[np.bool_]:
        """Whether each value of the box lies in ``[low, high]``: ``(values >= low) & (values <= high)``."""
        if self.table is None:
            values = self.values(rows, cols)
            return (values >= low) & (values <= high)
        inside = (self.table >= low) & (self.table <= high)
        run = _stored_run(inside, self.stored.dtype)
        if run is None:
            return np.asarray(inside[self.patterns(rows, cols)], dtype=bool)
        part = self.stored[rows, cols]
        if run[0] > run[1]:
            return np.zeros(part.shape, dtype=bool)
        # The usual case (a rescale, or any monotonic table): one run of stored values is in
        # range, and two integer comparisons are several times faster than a table lookup.
        return (part >= run[0]) & (part <= run[1])


def _stored_run(inside: NDArray[np.bool_], dtype: np.dtype[Any]) -> tuple[int, int] | None:
    """Return the stored values ``(first, last)`` holding exactly the in-range patterns, if they are one run.

    ``inside`` is indexed by bit pattern; a run is in the stored values' own order (signed
    values run from the most negative). ``(1, 0)`` when none is in range; ``None`` when the
    in-range values are not contiguous.

    >>> _stored_run(np.array([0, 1, 1, 0], bool), np.dtype(np.uint8))
    (1, 2)
    >>> _stored_run(np.array([1, 0, 0, 1], bool), np.dtype(np.uint8)) is None
    True
    """
    first = int(np.iinfo(dtype).min)
    by_value = np.roll(inside, -first) if first else inside  # index 0 is the smallest stored value
    hits = np.flatnonzero(by_value)
    if not hits.size:
        return (1, 0)
    if int(hits[-1]) - int(hits[0]) + 1 != hits.size:
        return None
    return (first + int(hits[0]), first + int(hits[-1]))


def _modality(stored: NDArray[Any], pm: Dataset) -> NDArray[np.float64]:
    try:
        return modality_values(stored, pm)
    except Exception as exc:
        raise UnsupportedError(
            "The image's values cannot be read because its Modality LUT is unusable "
            f"({clause(exc, first_line=True)})."
        ) from exc


def frame_values(ds: Dataset, frame: int = 0) -> FrameValues:
    """Decode one greyscale frame for reading its Modality LUT values (see :class:`FrameValues`).

    Raises
    ------
    InvalidArgumentError
        If the file has no image or ``frame`` is out of range.
    UnsupportedError
        If the frame cannot be decoded, is in colour, or its Modality LUT is unusable.
    """
    return FrameValues.of(frame, *_greyscale(ds, frame))


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


def _grey(arr: NDArray[Any], pm: Dataset, voi: Voi, info: ImageInfo) -> tuple[NDArray[np.uint8], Voi]:
    """Turn stored values into grey levels: Modality LUT, VOI, inversion.

    ``arr`` may still hold the bits above High Bit (native words as stored), except for the
    automatic window: the table gives each bit pattern the value of its low Bits Stored bits.
    """
    inverted = is_inverted(pm)
    if arr.dtype.kind in "iu" and arr.dtype.itemsize <= 2:
        # A lookup table over every possible stored bit pattern: one gather per pixel.
        patterns = np.dtype(f"u{arr.dtype.itemsize}")
        domain = np.arange(2 ** (8 * arr.dtype.itemsize), dtype=patterns).view(arr.dtype)
        modality = modality_values(strip_high_bits(domain.copy(), info), pm)  # of each pattern's value
        if voi.kind is VoiKind.AUTO:
            present = (domain >= arr.min()) & (domain <= arr.max())
            voi = automatic_window(modality[present].min(), modality[present].max())
        lut = grey_levels(voi_unit(modality, pm, voi), inverted)
        return look_up(lut, arr.view(patterns)), voi
    values = modality_values(arr, pm)
    if voi.kind is VoiKind.AUTO:
        voi = automatic_window(values.min(), values.max())
    return grey_levels(voi_unit(values, pm, voi), inverted), voi


def _to_8bit(arr: NDArray[Any], bits: int) -> NDArray[np.uint8]:
    if arr.dtype == np.uint8:
        return arr.astype(np.uint8, copy=False)
    shift = max(bits - 8, 0)
    return np.asarray(arr >> shift if arr.dtype.kind in "iu" else arr, dtype=np.uint8)


@contextmanager
def lut_errors() -> Iterator[None]:
    """Turn any failure of the Modality or VOI LUT inside the block into one :class:`UnsupportedError`.

    An :class:`InvalidArgumentError` (the caller's own bad choice, such as a window of width 0)
    passes through as it is.

    >>> try:
    ...     with lut_errors():
    ...         raise ValueError("LUT Descriptor has 2 values")
    ... except UnsupportedError as error:
    ...     print(str(error).split(" is ")[1])
    unusable (LUT Descriptor has 2 values).
    """
    try:
        yield
    except InvalidArgumentError:
        raise
    except Exception as exc:
        raise UnsupportedError(
            "The image cannot be shown because its Modality or VOI LUT is unusable "
            f"({clause(exc, first_line=True)})."
        ) from exc


def _display(arr: NDArray[Any], ds: Dataset, info: ImageInfo, voi: Voi | None, as_stored: bool = False
             ) -> tuple[NDArray[np.uint8], Voi | None]:
    """Show stored values (``as_stored``: native words with the bits above High Bit still in)."""
    pm = pixel_dataset(ds, info)
    photometric = info.photometric.strip().upper()
    if info.samples_per_pixel == 1 and photometric in GREY_PHOTOMETRICS:
        with lut_errors():
            chosen = voi or default_voi(pm)
            if as_stored and chosen.kind is VoiKind.AUTO:  # its range is of the values without them
                arr = strip_high_bits(arr, info)
            return _grey(arr, pm, chosen, info)
    if as_stored:
        arr = strip_high_bits(arr, info)
    if info.samples_per_pixel == 1 and photometric == "PALETTE COLOR":
        try:
            rgb = np.asarray(apply_color_lut(arr, pm))[..., :3]
        except Exception as exc:
            raise UnsupportedError(
                f"The image cannot be shown because its palette is unusable ({clause(exc, first_line=True)})."
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
        automatic window (:func:`overlay_core.render.windowing.default_voi`). Ignored for colour.

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
    check_image_frame(info, frame)
    try:
        # Native words are shown as stored: the grey table drops the bits above High Bit.
        native = info.has_pixel_data and not info.compressed
        words = decoders.native_words(ds, info, frame) if native else None
        if words is not None:
            pixels, used = _display(words, ds, info, voi, as_stored=True)
        else:
            pixels, used = _display(decode_frame(ds, frame), ds, info, voi)
    except UnsupportedError as exc:
        return FrameImage(np.zeros((info.rows, info.columns), np.uint8), frame, None, str(exc))
    return FrameImage(pixels, frame, used)
