"""Reading a DICOM file from bytes, and its overlay planes from the dataset.

Uploads are never written to disk: everything starts from ``bytes``. Standalone planes
are unpacked from (60xx,3000) *Overlay Data*; retired planes embedded in Pixel Data are
read from the raw native pixel words, because pydicom's ``pixel_array`` masks the bits
above *High Bit* away.
"""

from __future__ import annotations

import dataclasses
import io
import warnings
from collections.abc import Iterator
from typing import Any, BinaryIO

import numpy as np
import pydicom
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import UID

from overlay_core.checks import check_frame_index
from overlay_core.dataset import limits, values
from overlay_core.dataset.values import element_value, tag
from overlay_core.errors import InvalidOverlayError, NotDicomError, OverlayError, PlaneNotFoundError
from overlay_core.model import (
    OVERLAY_GROUPS,
    Finding,
    ImageInfo,
    OverlayPlane,
    OverlayType,
    group_hex,
)
from overlay_core.planes import embedded
from overlay_core.planes.bits import check_data, count_set, unpack_data, unpack_frame

__all__ = [
    "check_plane",
    "element_value",
    "frame_bits",
    "image_info",
    "load",
    "overlay_groups",
    "plane_bits",
    "plane_bits_allocated",
    "plane_header",
    "plane_origin",
    "read_plane",
    "read_planes",
    "tag",
    "unpack_plane",
]

# Element numbers inside a 60xx group (PS3.3 C.9.2, PS3.6).
ROWS, COLUMNS, FRAMES, DESCRIPTION, TYPE, SUBTYPE = 0x0010, 0x0011, 0x0015, 0x0022, 0x0040, 0x0045
ORIGIN, FRAME_ORIGIN, BITS_ALLOCATED, BIT_POSITION = 0x0050, 0x0051, 0x0100, 0x0102
ACTIVATION_LAYER, ROI_AREA, ROI_MEAN, ROI_STD, LABEL, DATA = 0x1001, 0x1301, 0x1302, 0x1303, 0x1500, 0x3000

def load(data: bytes | BinaryIO, pixels: bool = True) -> Dataset:
    """Read a DICOM file from bytes in memory, or from a binary file open at its start.

    Files without the 128-byte preamble and ``DICM`` prefix are accepted. Every element
    is parsed at once, so a truncated or corrupt file fails here and not later.

    Parameters
    ----------
    data : bytes or binary file
        The whole file, or the file itself, seekable (each value is then read from it once:
        no copy of the whole file in memory, ~30 ms less for a 32 MB image).
    pixels : bool
        ``False`` stops before Pixel Data (overlay groups come before it), so checking a
        file's standalone planes does not hold a second copy of its image.

    Returns
    -------
    pydicom.dataset.Dataset

    Raises
    ------
    NotDicomError
        If the bytes are empty, not DICOM, truncated or otherwise unreadable.
    LimitError
        If the image claims a size beyond :mod:`overlay_core.dataset.limits`.
    """
    if isinstance(data, (bytes, bytearray)):
        stream: BinaryIO = io.BytesIO(bytes(128) + data if data[:4] == b"DICM" else data)
        head = data[:4]
    else:
        stream, head = data, data.read(4)
        stream.seek(0)
        if head == b"DICM":  # the prefix without its preamble (rare): read whole, as bytes
            return load(stream.read(), pixels)
    if not head:
        raise NotDicomError("The file is empty.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ds = pydicom.dcmread(stream, stop_before_pixels=not pixels)
            except InvalidDicomError:
                stream.seek(0)
                ds = pydicom.dcmread(stream, force=True, stop_before_pixels=not pixels)
                _check_headerless(ds)
            if len(ds) == 0:
                raise NotDicomError("The file holds no DICOM data elements: it is empty or truncated.")
            _check_last_element(ds)
            for _ in _walk(ds):  # convert every raw element now
                pass
            if getattr(ds, "file_meta", None) is not None:
                for _ in _walk(ds.file_meta):  # the file meta too (a damaged VR fails here)
                    pass
            image_info(ds)  # the image's claimed size, against the limits, for every syntax
            _check_pixel_data_binary(ds)
            _check_pixel_data_length(ds)
            # pydicom keeps the file's bytes for deferred reads; every value is read by now,
            # so holding them would double what an open file costs.
            ds.buffer = None
    except OverlayError:
        raise
    except RecursionError:
        raise NotDicomError("The file's sequences are nested too deeply to be read.") from None
    except Exception:
        raise NotDicomError(
            "The file could not be read as DICOM: it is not a DICOM file, or it is truncated or damaged."
        ) from None
    return ds


def _walk(ds: Dataset) -> Iterator[Any]:
    for elem in ds:
        if elem.VR == "SQ":
            for item in elem.value:
                yield from _walk(item)
        yield elem.value


def _check_last_element(ds: Dataset) -> None:
    """Raise if the last element holds fewer bytes than its header declares.

    pydicom stops quietly at the end of a truncated file; the last raw element's value
    is then shorter than its declared length.
    """
    tags = list(ds.keys())
    raw: Any = ds.get_item(tags[-1]) if tags else None  # get_item: the element as read, unconverted
    length = getattr(raw, "length", None)
    value = getattr(raw, "value", None)
    if isinstance(length, int) and length != 0xFFFFFFFF and isinstance(value, bytes):
        if len(value) < length:
            raise NotDicomError(
                f"The file is truncated: it ends {length - len(value)} bytes before the end of its data."
            )


def _check_headerless(ds: Dataset) -> None:
    """Check that a file read without the DICM prefix still looks like a DICOM dataset."""
    tags = [int(t) for t in ds.keys()]
    groups = {t >> 16 for t in tags} | {int(t) >> 16 for t in (ds.file_meta or {}).keys()}
    if not tags or tags != sorted(tags) or not groups & {0x0002, 0x0008} or 0 in groups:
        raise NotDicomError("The file is not a DICOM file.")
    meta_groups = [int(t) >> 16 for t in ds.file_meta.keys()] if ds.file_meta else []
    if ds.file_meta and any(g != 0x0002 for g in meta_groups):
        raise NotDicomError("The file is not a DICOM file.")


def _check_pixel_data_binary(ds: Dataset) -> None:
    """Pixel Data stored with a text VR (a damaged VR) cannot hold an image."""
    elem = ds["PixelData"] if "PixelData" in ds else None
    if elem is not None and elem.value is not None and not isinstance(elem.value, (bytes, bytearray)):
        raise NotDicomError(f"The file's Pixel Data is stored as {elem.VR}, not as binary data.")


def _check_pixel_data_length(ds: Dataset) -> None:
    """Native Pixel Data much shorter than its header claims means a truncated file."""
    if "PixelData" not in ds or _is_compressed(ds):
        return
    info = image_info(ds)
    need = info.rows * info.columns * info.frames * info.samples_per_pixel * info.bits_allocated // 8
    if len(ds.PixelData) + 1 < need:  # +1: odd-length 8-bit data may lack its pad byte
        raise NotDicomError(
            f"The file is truncated: its Pixel Data holds {len(ds.PixelData)} bytes "
            f"but the image needs {need} bytes."
        )


def _is_compressed(ds: Dataset) -> bool:
    ts = _transfer_syntax(ds)
    return bool(ts.is_compressed) if ts.is_transfer_syntax else False


def _transfer_syntax(ds: Dataset) -> UID:
    meta = getattr(ds, "file_meta", None)
    ts = meta.get("TransferSyntaxUID") if meta is not None else None
    if ts:
        return UID(str(ts))
    # A dataset without file meta: report what it was read as.
    implicit = getattr(ds, "is_implicit_VR", True)
    return UID("1.2.840.10008.1.2" if implicit else "1.2.840.10008.1.2.1")


def _image_int(ds: Dataset, element: int, default: int) -> int:
    """Read a US attribute of group 0028 (``default`` when absent or unreadable)."""
    found = values.integer(ds, 0x0028, element, default, *values.U16)
    return default if found is None else found


def image_info(ds: Dataset) -> ImageInfo:
    """Summarise the dataset's image (all zeros where there is none).

    Raises
    ------
    LimitError
        If the image's claimed size exceeds :mod:`overlay_core.dataset.limits` (checked from the
        header alone, for every transfer syntax, before anything is allocated).
    """
    ts = _transfer_syntax(ds)
    info = ImageInfo(
        rows=_image_int(ds, 0x0010, 0),
        columns=_image_int(ds, 0x0011, 0),
        frames=max(1, values.integer(ds, 0x0028, 0x0008, 1) or 1),
        has_pixel_data="PixelData" in ds,
        photometric=values.text(ds, 0x0028, 0x0004, 64),
        bits_allocated=_image_int(ds, 0x0100, 0),
        bits_stored=_image_int(ds, 0x0101, 0),
        high_bit=_image_int(ds, 0x0102, 0),
        samples_per_pixel=_image_int(ds, 0x0002, 1),
        transfer_syntax=str(ts),
        transfer_syntax_name=ts.name if ts.is_transfer_syntax else str(ts),
        compressed=_is_compressed(ds),
    )
    if info.rows == 0 or info.columns == 0:
        info = dataclasses.replace(info, rows=0, columns=0, frames=0)
    limits.check_image(info)
    return info


def overlay_groups(ds: Dataset) -> list[int]:
    """Return every even group 6000-601E that holds at least one element.

    >>> ds = Dataset(); ds.add_new(0x60020010, "US", 4)
    >>> [hex(g) for g in overlay_groups(ds)]
    ['0x6002']
    """
    present = {int(t) >> 16 for t in ds.keys()}
    return [g for g in OVERLAY_GROUPS if g in present]


def _header(ds: Dataset, group: int) -> OverlayPlane:
    """Parse a group's attributes; raise if they cannot describe a plane."""
    if not any(int(t) >> 16 == group for t in ds.keys()):
        raise PlaneNotFoundError(f"The file has no overlay plane in group {group_hex(group)}.")
    name = f"Overlay group {group_hex(group)}"
    rows = values.integer(ds, group, ROWS, 0, *values.U16) or 0
    cols = values.integer(ds, group, COLUMNS, 0, *values.U16) or 0
    if rows < 1 or cols < 1:
        raise InvalidOverlayError(f"{name} has no usable Overlay Rows and Overlay Columns.")
    origin = plane_origin(ds, group) or (1, 1)
    frames_value = element_value(ds, group, FRAMES)
    frame_origin_value = element_value(ds, group, FRAME_ORIGIN)
    has_data = tag(group, DATA) in ds
    bits_allocated = plane_bits_allocated(ds, group)
    is_embedded = not has_data and bits_allocated > 1
    if not has_data and not is_embedded:
        raise InvalidOverlayError(
            f"{name} has no Overlay Data and is not embedded in Pixel Data."
        )
    type_text = values.text(ds, group, TYPE).upper()
    data_elem = ds.get(tag(group, DATA))
    data_value = None if data_elem is None else data_elem.value
    roi_area = values.integer(ds, group, ROI_AREA)
    return OverlayPlane(
        group=group,
        rows=rows,
        columns=cols,
        origin=origin,
        type=OverlayType.ROI if type_text == "R" else OverlayType.GRAPHICS,
        subtype=values.text(ds, group, SUBTYPE),
        label=values.text(ds, group, LABEL),
        description=values.text(ds, group, DESCRIPTION),
        frames=max(1, values.integer(ds, group, FRAMES, 1) or 1),
        image_frame_origin=max(1, values.integer(ds, group, FRAME_ORIGIN, 1) or 1),
        frame_specific=frames_value is not None or frame_origin_value is not None,
        bits_allocated=bits_allocated,
        bit_position=values.integer(ds, group, BIT_POSITION, 0, *values.U16) or 0,
        roi_area=roi_area,
        roi_mean=values.number(ds, group, ROI_MEAN),
        roi_standard_deviation=values.number(ds, group, ROI_STD),
        embedded=is_embedded,
        vr=None if data_elem is None else str(data_elem.VR),
        data_length=len(data_value) if isinstance(data_value, (bytes, bytearray)) else None,
    )


def plane_origin(ds: Dataset, group: int) -> tuple[int, int] | None:
    r"""Return (60xx,0050) *Overlay Origin* ``(row, col)``, or ``None`` when absent or unusable.

    Two integers are needed (any VR that holds them: SS, a DS or IS pair, 4 bytes); a
    single value, three values or text is unusable (the caller assumes 1\1 and says so).

    >>> ds = Dataset(); ds.add_new(0x60000050, "DS", "3")
    >>> plane_origin(ds, 0x6000) is None
    True
    """
    numbers = values.integers(ds, group, ORIGIN, *values.S16)
    if numbers is None or len(numbers) != 2:
        return None
    return (numbers[0], numbers[1])


def plane_bits_allocated(ds: Dataset, group: int) -> int:
    """Return (60xx,0100) *Overlay Bits Allocated*; 1 when absent or unreadable.

    The one reading of this value: an embedded plane is one whose group has no
    (60xx,3000) and whose Overlay Bits Allocated is above 1.
    """
    return values.integer(ds, group, BITS_ALLOCATED, 1, *values.U16) or 1


def _embedded_words(ds: Dataset, plane: OverlayPlane) -> NDArray[np.unsignedinteger[Any]]:
    return embedded.plane_words(ds, plane, image_info(ds))


def _overlay_value(ds: Dataset, plane: OverlayPlane) -> bytes | bytearray:
    data = ds[tag(plane.group, DATA)].value or b""
    if not isinstance(data, (bytes, bytearray)):
        raise InvalidOverlayError(f"Overlay group {plane.group_hex} has Overlay Data that is not binary.")
    return data


def _overlay_data(ds: Dataset, plane: OverlayPlane) -> bytes:
    return bytes(_overlay_value(ds, plane))


def check_plane(ds: Dataset, group: int) -> tuple[OverlayPlane, list[Finding]]:
    """Read one plane's attributes and check its data, without unpacking its bits.

    :attr:`~OverlayPlane.set_bits` is counted in the packed data (or the pixel words of an
    embedded plane), so listing planes costs a fraction of unpacking them.

    Returns
    -------
    plane : OverlayPlane
        As :func:`unpack_plane` returns it.
    findings : list of Finding
        Recoverable faults of the data (see :func:`overlay_core.planes.bits.check_data`).

    Raises
    ------
    PlaneNotFoundError, InvalidOverlayError
        As :func:`unpack_plane`.
    """
    plane = _header(ds, group)
    if plane.embedded:
        words = _embedded_words(ds, plane)
        count = embedded.count_set(words, plane.bit_position)
        return dataclasses.replace(plane, frames=words.shape[0], set_bits=count), []
    data = _overlay_data(ds, plane)
    findings = check_data(len(data), plane.frames, plane.rows, plane.columns, group)
    count = count_set(data, plane.frames * plane.rows * plane.columns)
    return dataclasses.replace(plane, set_bits=count), findings


def unpack_plane(
    ds: Dataset, group: int
) -> tuple[OverlayPlane, NDArray[np.bool_], list[Finding]]:
    """Read one plane's attributes and bits, with what was wrong and recovered.

    Returns
    -------
    plane : OverlayPlane
        With :attr:`~OverlayPlane.set_bits` filled in; an embedded plane's
        :attr:`~OverlayPlane.frames` is the image's number of frames.
    bits : numpy.ndarray
        ``numpy.bool_``, shape ``(frames, rows, cols)``: the plane's own bitmap.
    findings : list of Finding
        Recoverable faults met while unpacking.

    Raises
    ------
    PlaneNotFoundError
        If the group is absent.
    InvalidOverlayError
        If the group cannot be used as a plane.
    """
    plane = _header(ds, group)
    findings: list[Finding] = []
    if plane.embedded:
        bits = embedded.bit_plane(_embedded_words(ds, plane), plane.bit_position)
        count = int(np.count_nonzero(bits))
    else:
        data = _overlay_data(ds, plane)
        bits, findings = unpack_data(data, plane.frames, plane.rows, plane.columns, group)
        count = count_set(data, bits.size)  # counted packed: 8 times fewer bytes than the bits
    plane = dataclasses.replace(plane, frames=bits.shape[0], set_bits=count)
    return plane, bits, findings


def frame_bits(ds: Dataset, group: int, frame: int) -> tuple[OverlayPlane, NDArray[np.bool_]]:
    """Unpack one 0-based frame of a plane: ``(plane, (rows, cols) bool)``; the others stay packed.

    Raises
    ------
    PlaneNotFoundError, InvalidOverlayError
        As :func:`unpack_plane`.
    InvalidArgumentError
        If ``frame`` is not one of the plane's frames.
    """
    plane, _ = check_plane(ds, group)
    check_frame_index(frame, plane.frames, f"overlay group {plane.group_hex}")
    if plane.embedded:
        return plane, embedded.bit_plane(_embedded_words(ds, plane)[frame], plane.bit_position)
    data = _overlay_data(ds, plane)
    return plane, unpack_frame(data, plane.frames, plane.rows, plane.columns, frame, group)


def plane_header(ds: Dataset, group: int) -> OverlayPlane:
    """Return the plane's attributes as stored: its data neither checked nor counted (``set_bits`` 0).

    An embedded plane's :attr:`~OverlayPlane.frames` is as its header says, not yet the image's.

    Raises
    ------
    PlaneNotFoundError, InvalidOverlayError
        If the group is absent or its attributes cannot describe a plane.
    """
    return _header(ds, group)


def read_plane(ds: Dataset, group: int) -> OverlayPlane:
    """Return the attributes of the plane in ``group``, without unpacking it (see :func:`check_plane`)."""
    return check_plane(ds, group)[0]


def plane_bits(ds: Dataset, group: int) -> NDArray[np.bool_]:
    """Return the plane's own bitmap, ``(frames, rows, cols)`` bool (see :func:`unpack_plane`)."""
    return unpack_plane(ds, group)[1]


def read_planes(ds: Dataset) -> list[OverlayPlane]:
    """Return every usable overlay plane, in group order.

    Only attributes are read and the data's length checked; no bits are unpacked. Groups
    that cannot be used (no data, no size, data far too short) are left out;
    :func:`overlay_core.audit.diagnostics.diagnose` says why.
    """
    planes = []
    for group in overlay_groups(ds):
        try:
            planes.append(read_plane(ds, group))
        except OverlayError:  # e.g. an embedded plane in an image beyond the limits
            continue
    return planes

