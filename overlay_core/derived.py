"""What every object derived from an image shares (SEG, presentation state, Secondary Capture).

A derived object keeps the image's patient and study, gets a new series and new UIDs,
and names this software as its equipment. :func:`source_header` gives the image's
attributes without Pixel Data or overlay groups, with the Type 2 patient and study
attributes that highdicom copies present (empty where the image lacks them).
"""

from __future__ import annotations

import copy

from pydicom.dataset import Dataset

from .errors import InvalidArgumentError
from .reading import image_info

__all__ = [
    "DEVICE_SERIAL_NUMBER",
    "MANUFACTURER",
    "MODEL_NAME",
    "SOFTWARE_VERSION",
    "TYPE2_PATIENT_STUDY",
    "source_header",
]

MANUFACTURER = "Overlay Studio"
MODEL_NAME = "overlay_core"
SOFTWARE_VERSION = "0.1.0"
DEVICE_SERIAL_NUMBER = "none"

#: Type 2 attributes of the Patient and General Study modules that derived objects copy.
TYPE2_PATIENT_STUDY = (
    "PatientName", "PatientID", "PatientBirthDate", "PatientSex",
    "StudyDate", "StudyTime", "ReferringPhysicianName", "StudyID", "AccessionNumber",
)
_REQUIRED = {
    "SOPClassUID": "SOP Class UID",
    "SOPInstanceUID": "SOP Instance UID",
    "StudyInstanceUID": "Study Instance UID",
    "SeriesInstanceUID": "Series Instance UID",
}


def source_header(ds: Dataset, what: str = "a derived object") -> Dataset:
    """Return a copy of the image's attributes to build a derived object from.

    Pixel Data and the overlay groups are left out; missing Type 2 patient and study
    attributes are added empty. ``ds`` is not changed.

    Raises
    ------
    InvalidArgumentError
        If the file has no image, or lacks a UID that a reference needs.

    Examples
    --------
    >>> ds = Dataset(); ds.Rows = ds.Columns = 2
    >>> for k in ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID"):
    ...     setattr(ds, k, "1.2.3")
    >>> header = source_header(ds)
    >>> header.PatientBirthDate, "PatientBirthDate" in ds
    ('', False)
    """
    if image_info(ds).rows == 0:
        raise InvalidArgumentError(f"The file has no image, so {what} cannot be made from it.")
    for keyword, name in _REQUIRED.items():
        if not str(ds.get(keyword, "") or "").strip():
            raise InvalidArgumentError(f"The image has no {name}, so {what} cannot reference it.")
    header = Dataset()
    for elem in ds:
        group = int(elem.tag) >> 16
        if elem.keyword == "PixelData" or 0x6000 <= group <= 0x60FF or group == 0x7FE0:
            continue
        header.add(copy.deepcopy(elem))
    for keyword in TYPE2_PATIENT_STUDY:
        if keyword not in header:
            setattr(header, keyword, "")
    if getattr(ds, "file_meta", None) is not None:
        header.file_meta = copy.deepcopy(ds.file_meta)
    return header
