"""Series: order the instances of one series, and derive a new series from edited instances.

:func:`series_order` sorts instances by (0020,0013) *Instance Number*, then by their position
along the slice normal (from (0020,0032) *Image Position (Patient)* and (0020,0037) *Image
Orientation (Patient)*), then as given. :func:`derive_instance` makes the copy of an edited
instance that is stored in a new derived series (PS3.3 C.7.6.1.1.2 *Image Type* DERIVED,
C.7.6.1.1.3 *Derivation Description*, C.7.6.1.1.4 *Source Image Sequence*).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence

from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

__all__ = ["EDITED_SUFFIX", "derive_instance", "series_order", "series_uid", "slice_position"]

#: Appended to the Series Description of a derived series (LO: at most 64 characters).
EDITED_SUFFIX = " (overlays edited)"
DERIVATION = "Overlay planes (60xx) edited in Overlay Studio"


def series_uid(ds: Dataset) -> str:
    """Return (0020,000E) *Series Instance UID*, or ``""`` when absent.

    >>> ds = Dataset(); ds.SeriesInstanceUID = "1.2.3"; series_uid(ds), series_uid(Dataset())
    ('1.2.3', '')
    """
    return str(ds.get("SeriesInstanceUID") or "").strip()


def _floats(ds: Dataset, keyword: str, count: int) -> list[float] | None:
    try:  # an invalid DS raises when pydicom converts it, on first access
        numbers = [float(v) for v in ds.get(keyword)]
    except (TypeError, ValueError, OverflowError):
        return None
    return numbers if len(numbers) == count and all(math.isfinite(n) for n in numbers) else None


def slice_position(ds: Dataset) -> float | None:
    """Return the position of the slice along its normal, or ``None`` when unknown.

    The normal is the cross product of the row and column directions of *Image Orientation
    (Patient)*; the position is the dot product of *Image Position (Patient)* with it.

    >>> ds = Dataset(); ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    >>> ds.ImagePositionPatient = [5, 6, -7.5]
    >>> slice_position(ds)
    -7.5
    """
    orientation = _floats(ds, "ImageOrientationPatient", 6)
    position = _floats(ds, "ImagePositionPatient", 3)
    if orientation is None or position is None:
        return None
    r, c = orientation[:3], orientation[3:]
    normal = (r[1] * c[2] - r[2] * c[1], r[2] * c[0] - r[0] * c[2], r[0] * c[1] - r[1] * c[0])
    return float(sum(p * n for p, n in zip(position, normal, strict=True)))


def _int(ds: Dataset, keyword: str) -> int | None:
    try:  # an invalid IS raises when pydicom converts it, on first access
        return int(ds.get(keyword))
    except (TypeError, ValueError):
        return None


def series_order(datasets: Sequence[Dataset]) -> list[int]:
    """Return the indices of ``datasets`` in series order.

    Instances with an *Instance Number* come first, by number; ties and instances without
    one are ordered by slice position (see :func:`slice_position`), then kept as given.

    >>> def inst(number, z):
    ...     ds = Dataset(); ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ...     ds.ImagePositionPatient = [0, 0, z]
    ...     if number is not None: ds.InstanceNumber = number
    ...     return ds
    >>> series_order([inst(3, 0), inst(1, 9), inst(None, 2), inst(None, -1), inst(1, 4)])
    [4, 1, 0, 3, 2]
    """
    def key(index: int) -> tuple[bool, int, bool, float, int]:
        ds = datasets[index]
        number, position = _int(ds, "InstanceNumber"), slice_position(ds)
        return (number is None, number or 0, position is None, position or 0.0, index)

    return sorted(range(len(datasets)), key=key)


def derive_instance(
    original: Dataset, edited: Dataset, new_series_uid: str, sop_instance_uid: str | None = None
) -> Dataset:
    """Return a copy of ``edited`` as a new instance of the derived series ``new_series_uid``.

    The copy gets a new SOP Instance UID (also in the file meta; ``sop_instance_uid``
    makes again a copy stored earlier), the given Series Instance UID, a Series
    Description ending in :data:`EDITED_SUFFIX`, *Image Type* value 1 DERIVED, a
    *Derivation Description*, and a *Source Image Sequence* item referencing ``original``
    (its SOP Class and SOP Instance UIDs). Series Number goes up by 1000 so viewers tell the
    series apart. Neither argument is changed.

    >>> from pydicom.uid import MRImageStorage
    >>> orig = Dataset(); orig.SOPClassUID = MRImageStorage; orig.SOPInstanceUID = "1.2.3"
    >>> orig.SeriesDescription = "T1"; orig.SeriesNumber = 4; orig.ImageType = ["ORIGINAL", "PRIMARY"]
    >>> new = derive_instance(orig, orig, "1.2.9")
    >>> new.SeriesInstanceUID, new.SeriesDescription, int(new.SeriesNumber), list(new.ImageType)
    ('1.2.9', 'T1 (overlays edited)', 1004, ['DERIVED', 'PRIMARY'])
    >>> new.SourceImageSequence[0].ReferencedSOPInstanceUID, new.SOPInstanceUID != "1.2.3"
    ('1.2.3', True)
    >>> derive_instance(orig, orig, "1.2.9", sop_instance_uid="1.2.10").SOPInstanceUID
    '1.2.10'
    """
    ds = copy.deepcopy(edited)
    uid = sop_instance_uid or generate_uid()
    ds.SOPInstanceUID = uid
    meta = getattr(ds, "file_meta", None)
    if meta is not None and "MediaStorageSOPInstanceUID" in meta:
        meta.MediaStorageSOPInstanceUID = uid
    ds.SeriesInstanceUID = new_series_uid
    description = str(original.get("SeriesDescription") or "").strip()
    ds.SeriesDescription = (description[: 64 - len(EDITED_SUFFIX)] + EDITED_SUFFIX).strip()
    number = _int(original, "SeriesNumber")
    if number is not None and number + 1000 < 2**31:
        ds.SeriesNumber = number + 1000
    image_type = list(original.get("ImageType") or [])
    if image_type:
        ds.ImageType = ["DERIVED", *image_type[1:]]
    ds.DerivationDescription = DERIVATION
    source = Dataset()
    source.ReferencedSOPClassUID = original.get("SOPClassUID", "")
    source.ReferencedSOPInstanceUID = original.get("SOPInstanceUID", "")
    ds.SourceImageSequence = [source]
    return ds

