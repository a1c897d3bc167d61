"""Writing overlay planes into a dataset, and the dataset back to bytes.

Every function here validates all of its arguments before it touches the dataset, so a
bad call raises an :class:`~overlay_core.errors.OverlayError` and leaves the dataset as
it was. Only the 60xx group concerned changes (and, for embedded planes, the plane's bit
in native Pixel Data); everything else, compressed Pixel Data included, is kept byte for
byte.
"""

from __future__ import annotations

import copy
import io
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid

from overlay_core.checks import require_image
from overlay_core.errors import InvalidArgumentError, OverlayError, UnsupportedError
from overlay_core.model import OVERLAY_GROUPS, OverlayPlane, OverlayType, group_hex
from overlay_core.planes import embedded
from overlay_core.planes.bits import as_frames, pack_mask
from overlay_core.planes.reading import (
    BIT_POSITION,
    BITS_ALLOCATED,
    COLUMNS,
    DATA,
    DESCRIPTION,
    FRAME_ORIGIN,
    FRAMES,
    LABEL,
    ORIGIN,
    ROI_AREA,
    ROI_MEAN,
    ROI_STD,
    ROWS,
    SUBTYPE,
    TYPE,
    image_info,
    overlay_groups,
    plane_bits_allocated,
    read_plane,
    tag,
    unpack_plane,
)

__all__ = [
    "Attributes",
    "checked_bytes",
    "delete_plane",
    "first_free_group",
    "migrate_embedded",
    "new_plane",
    "set_attributes",
    "set_plane",
    "to_bytes",
]

#: Subtype written for planes drawn by hand (PS3.3 C.9.2.1.3 allows user-defined terms).
USER_SUBTYPE = "USER"


@dataclass(frozen=True)
class Attributes:
    """Descriptive attributes to change; ``None`` leaves an attribute as it is.

    ``origin`` is the 1-based (60xx,0050) ``(row, col)`` as stored in the file.
    Setting ``roi_area``/``roi_mean``/``roi_standard_deviation`` to ``None`` keeps
    them; pass ``clear_roi_statistics=True`` to remove them.
    """

    origin: tuple[int, int] | None = None
    type: OverlayType | str | None = None
    subtype: str | None = None
    label: str | None = None
    description: str | None = None
    image_frame_origin: int | None = None
    roi_area: int | None = None
    roi_mean: float | None = None
    roi_standard_deviation: float | None = None
    clear_roi_statistics: bool = False


def _check_lo(name: str, value: str | None) -> None:
    if value is None:
        return
    if len(value) > 64 or "\\" in value or any(ord(ch) < 32 for ch in value):
        raise InvalidArgumentError(
            f"The {name} must be at most 64 characters without backslashes or control characters."
        )


def _validate(attrs: Attributes) -> list[tuple[int, str, object]]:
    """Check every attribute and return the ``(element, VR, value)`` triples to write."""
    out: list[tuple[int, str, object]] = []
    if attrs.origin is not None:
        row, col = (int(v) for v in attrs.origin)
        if not (-32768 <= row <= 32767 and -32768 <= col <= 32767):
            raise InvalidArgumentError(
                f"The overlay origin must lie between -32768 and 32767, not {row}\\{col}."
            )
        out.append((ORIGIN, "SS", [row, col]))
    if attrs.type is not None:
        out.append((TYPE, "CS", OverlayType.coerce(attrs.type).value))
    for name, element, value in (
        ("subtype", SUBTYPE, attrs.subtype),
        ("label", LABEL, attrs.label),
        ("description", DESCRIPTION, attrs.description),
    ):
        _check_lo(name, value)
        if value is not None:
            out.append((element, "LO", value.strip()))
    if attrs.image_frame_origin is not None:
        if not 1 <= attrs.image_frame_origin <= 0xFFFF:
            raise InvalidArgumentError(
                f"The image frame origin must be 1 or more, not {attrs.image_frame_origin}."
            )
        out.append((FRAME_ORIGIN, "US", int(attrs.image_frame_origin)))
    if attrs.roi_area is not None:
        if attrs.roi_area < 0:
            raise InvalidArgumentError(f"The ROI area cannot be negative ({attrs.roi_area}).")
        out.append((ROI_AREA, "IS", int(attrs.roi_area)))
    for element, number in ((ROI_MEAN, attrs.roi_mean), (ROI_STD, attrs.roi_standard_deviation)):
        if number is not None:
            if not np.isfinite(number):
                raise InvalidArgumentError("ROI statistics must be finite numbers.")
            out.append((element, "DS", f"{float(number):.6g}"))
    return out


def _assign(ds: Dataset, group: int, items: list[tuple[int, str, object]]) -> None:
    for element, vr, value in items:
        ds[tag(group, element)] = DataElement(tag(group, element), vr, value)


def _remove(ds: Dataset, group: int, elements: tuple[int, ...]) -> None:
    for element in elements:
        if tag(group, element) in ds:
            del ds[tag(group, element)]


def set_attributes(ds: Dataset, group: int, attrs: Attributes) -> OverlayPlane:
    """Change a plane's descriptive attributes (origin, type, subtype, label, ...).

    Raises
    ------
    PlaneNotFoundError, InvalidOverlayError
        If ``group`` holds no usable plane.
    InvalidArgumentError
        If a value is not valid; nothing is changed then.
    """
    read_plane(ds, group)
    items = _validate(attrs)
    _assign(ds, group, items)
    if attrs.clear_roi_statistics:
        _remove(ds, group, (ROI_AREA, ROI_MEAN, ROI_STD))
    return read_plane(ds, group)


def _refuse_compressed_embedded(ds: Dataset, group: int) -> None:
    """Raise if ``group`` is embedded in compressed Pixel Data (judged from its header alone).

    Such a plane cannot be unpacked, so the checks that run after reading it never see it.
    """
    if tag(group, DATA) in ds:
        return
    bits_allocated = plane_bits_allocated(ds, group)
    info = image_info(ds)
    if bits_allocated > 1 and info.has_pixel_data and info.compressed:
        raise UnsupportedError(
            f"Overlay group {group_hex(group)} is embedded in compressed Pixel Data "
            f"({info.transfer_syntax_name}), which this tool does not re-encode."
        )


def set_plane(
    ds: Dataset,
    group: int,
    mask: NDArray[np.generic],
    attrs: Attributes | None = None,
) -> OverlayPlane:
    r"""Store ``mask`` as the plane in ``group``, creating or replacing it.

    The bits are packed LSB first into (60xx,3000) *Overlay Data* (VR OW, even length);
    Rows/Columns follow the mask, Bits Allocated is 1 and Bit Position 0. A mask with
    several frames sets (60xx,0015) and (60xx,0051). An embedded plane is migrated: its
    bit is cleared from native Pixel Data. Attributes not given are kept; a new plane
    gets origin ``1\1``, type G and subtype USER.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        Changed in place.
    group : int
        ``0x6000`` to ``0x601E``, even.
    mask : array_like
        ``(rows, cols)`` or ``(frames, rows, cols)``; non-zero means set.
    attrs : Attributes, optional
        Attributes to change at the same time.

    Returns
    -------
    OverlayPlane
        The plane as now stored.

    Raises
    ------
    InvalidArgumentError
        If the group or mask is unusable; ``ds`` is unchanged then.
    UnsupportedError
        If an embedded plane would need compressed Pixel Data changed.

    Examples
    --------
    >>> ds = Dataset()
    >>> plane = set_plane(ds, 0x6000, np.eye(3, dtype=bool))
    >>> plane.shape, plane.set_bits, ds[0x60003000].VR, len(ds[0x60003000].value)
    ((1, 3, 3), 3, 'OW', 2)
    """
    if group not in OVERLAY_GROUPS:
        raise InvalidArgumentError(
            f"{group:04X} is not an overlay group; use an even group from 6000 to 601E."
        )
    frames = as_frames(mask)
    _refuse_compressed_embedded(ds, group)
    attrs = attrs or Attributes()
    items = _validate(attrs)
    existing: OverlayPlane | None = None
    if group in overlay_groups(ds):
        try:
            existing = read_plane(ds, group)
        except OverlayError:
            existing = None  # an unusable group is simply replaced
    pixel_data = embedded.clear_bit(ds, existing, image_info(ds)) if existing and existing.embedded else None
    data = pack_mask(frames)

    if existing is None:
        _remove(ds, group, tuple(int(t) & 0xFFFF for t in list(ds.keys()) if int(t) >> 16 == group))
        defaults = _validate(Attributes(origin=(1, 1), type=OverlayType.GRAPHICS, subtype=USER_SUBTYPE))
        _assign(ds, group, [d for d in defaults if d[0] not in {i[0] for i in items}])
    if pixel_data is not None:
        ds.PixelData = pixel_data
    _assign(ds, group, [
        (ROWS, "US", frames.shape[1]),
        (COLUMNS, "US", frames.shape[2]),
        (BITS_ALLOCATED, "US", 1),
        (BIT_POSITION, "US", 0),
        (DATA, "OW", data),
    ])
    frame_specific = frames.shape[0] > 1 or (existing is not None and existing.frame_specific)
    if frame_specific:
        first = existing.image_frame_origin if existing and existing.frame_specific else 1
        _assign(ds, group, [(FRAMES, "IS", frames.shape[0]), (FRAME_ORIGIN, "US", first)])
    _assign(ds, group, items)
    return read_plane(ds, group)


def first_free_group(ds: Dataset) -> int:
    """Return the lowest overlay group with no element in it.

    Raises
    ------
    InvalidArgumentError
        If all 16 groups are taken.

    Examples
    --------
    >>> hex(first_free_group(Dataset()))
    '0x6000'
    """
    used = set(overlay_groups(ds))
    for group in OVERLAY_GROUPS:
        if group not in used:
            return group
    raise InvalidArgumentError("The file already has 16 overlay planes, the most DICOM allows.")


def new_plane(
    ds: Dataset, mask: NDArray[np.generic] | None = None, attrs: Attributes | None = None
) -> OverlayPlane:
    """Create a plane in the first free group; an empty image-sized plane by default.

    Raises
    ------
    InvalidArgumentError
        If no group is free, or no mask is given and the dataset has no image.
    """
    group = first_free_group(ds)
    if mask is None:
        info = image_info(ds)
        require_image(info, "to size a new plane (give a mask)")
        mask = np.zeros((info.rows, info.columns), dtype=bool)
    return set_plane(ds, group, mask, attrs)


def delete_plane(ds: Dataset, group: int) -> None:
    """Remove every element of ``group``.

    An embedded plane's bits are cleared from native Pixel Data too, so that no viewer
    keeps showing it.

    Raises
    ------
    PlaneNotFoundError
        If the group is absent.
    UnsupportedError
        If an embedded plane would need compressed Pixel Data changed.
    """
    from overlay_core.errors import PlaneNotFoundError

    if group not in overlay_groups(ds):
        raise PlaneNotFoundError(f"The file has no overlay plane in group {group_hex(group)}.")
    _refuse_compressed_embedded(ds, group)
    pixel_data = None
    try:
        plane = read_plane(ds, group)
        if plane.embedded:
            pixel_data = embedded.clear_bit(ds, plane, image_info(ds))
    except UnsupportedError:
        raise
    except OverlayError:
        pass  # an unusable group is removed as it is
    _remove(ds, group, tuple(int(t) & 0xFFFF for t in list(ds.keys()) if int(t) >> 16 == group))
    if pixel_data is not None:
        ds.PixelData = pixel_data


def migrate_embedded(ds: Dataset, group: int) -> OverlayPlane:
    """Move a retired plane embedded in Pixel Data to standalone Overlay Data.

    Raises
    ------
    InvalidArgumentError
        If the plane is not embedded.
    UnsupportedError
        If Pixel Data is compressed.
    """
    _refuse_compressed_embedded(ds, group)
    plane, bits, _ = unpack_plane(ds, group)
    if not plane.embedded:
        raise InvalidArgumentError(f"Overlay group {plane.group_hex} is not embedded in Pixel Data.")
    return set_plane(ds, group, bits)


def _file_meta(ds: Dataset) -> FileMetaDataset:
    # A deep copy: pydicom sets an existing element's value in place, and the caller's
    # file meta must not change when the written file gets a new UID.
    meta = FileMetaDataset(copy.deepcopy(getattr(ds, "file_meta", None) or FileMetaDataset()))
    if "TransferSyntaxUID" not in meta:
        implicit = getattr(ds, "is_implicit_VR", None)
        if implicit is None:
            implicit = bool(ds.original_encoding[0]) if ds.original_encoding[0] is not None else False
        meta.TransferSyntaxUID = ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian
    if "MediaStorageSOPClassUID" not in meta and "SOPClassUID" in ds:
        meta.MediaStorageSOPClassUID = ds.SOPClassUID
    if "MediaStorageSOPInstanceUID" not in meta and "SOPInstanceUID" in ds:
        meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    return meta


#: Pixel Data of this many bytes or more is handed to pydicom as a buffer (see :func:`_for_writing`).
_BUFFERED_FROM = 1 << 20
_PIXEL_DATA = 0x7FE00010
_SOP_INSTANCE_UID = 0x00080018


def _for_writing(ds: Dataset) -> Dataset:
    """Return a shallow copy of ``ds`` to write: its own element table, large Pixel Data as a buffer.

    pydicom writes each element's value into a scratch buffer before copying it to the file,
    so a 200 MB image briefly took 400 MB to write; a value given as a buffer is copied
    straight to the file (``io.BytesIO`` of a ``bytes`` shares it). The caller's dataset is
    never changed, so a page reading it while a download is written sees nothing move.
    """
    out = copy.copy(ds)
    out._dict = dict(ds._dict)  # copy.copy shares the element table; a new UID must not reach ds
    if _PIXEL_DATA in ds:
        elem = ds[_PIXEL_DATA]
        if elem.VR in ("OB", "OW") and isinstance(elem.value, bytes) and len(elem.value) >= _BUFFERED_FROM:
            out[_PIXEL_DATA] = DataElement(_PIXEL_DATA, elem.VR, io.BytesIO(elem.value),
                                           is_undefined_length=elem.is_undefined_length)
    return out


def to_bytes(ds: Dataset, new_sop_instance_uid: bool = False) -> bytes:
    """Serialise the dataset as a DICOM file (preamble, file meta, same transfer syntax).

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        Not changed.
    new_sop_instance_uid : bool
        Give the written file a new SOP Instance UID (and Media Storage SOP Instance UID).

    Raises
    ------
    OverlayError
        If the dataset cannot be encoded, or it has no SOP Instance UID and
        ``new_sop_instance_uid`` is false.
    """
    buffer = io.BytesIO()
    try:
        meta = _file_meta(ds)
        target = _for_writing(ds)
        if new_sop_instance_uid:
            uid = generate_uid()
            # a new element, not the shared one set in place: ds keeps its own UID
            target[_SOP_INSTANCE_UID] = DataElement(_SOP_INSTANCE_UID, "UI", uid)
            meta.MediaStorageSOPInstanceUID = uid
        if not str(meta.get("MediaStorageSOPInstanceUID") or "").strip():
            raise OverlayError(
                "The file has no SOP Instance UID, so it cannot be written as it is; "
                "give it a new SOP Instance UID."
            )
        target.file_meta = meta
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            target.save_as(buffer, enforce_file_format=True)
    except OverlayError:
        raise
    except Exception as exc:
        raise OverlayError(f"The file could not be written: {exc}.") from None
    return buffer.getvalue()  # the buffer's own bytes, not a copy


def checked_bytes(ds: Dataset, new_sop_instance_uid: bool = False) -> bytes:
    """Serialise the dataset, read the bytes back and return them only if the planes match.

    The one write path of the app, the CLI, batch and the PACS store: :func:`to_bytes`, then
    :func:`overlay_core.planes.compare.check_readback`.

    >>> from pydicom.dataset import Dataset
    >>> from pydicom.uid import generate_uid
    >>> ds = Dataset(); ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"; ds.SOPInstanceUID = generate_uid()
    >>> _ = set_plane(ds, 0x6000, np.eye(4, dtype=bool))
    >>> checked_bytes(ds)[128:132]
    b'DICM'

    Raises
    ------
    OverlayError
        If the dataset cannot be encoded.
    WriteCheckError
        If the bytes do not read back with the same planes (the message names the first difference).
    """
    from overlay_core.planes.compare import check_readback  # it reads; writing alone does not need it

    data = to_bytes(ds, new_sop_instance_uid=new_sop_instance_uid)
    check_readback(ds, data)
    return data
