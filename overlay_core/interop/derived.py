"""What every object derived from an image shares (SEG, presentation state, Secondary Capture).

A derived object keeps the image's patient and study, gets a new series and new UIDs,
and names this software as its equipment. :func:`source_header` gives the image's
attributes without Pixel Data or overlay groups, with the Type 2 patient and study
attributes that highdicom copies present (empty where the image lacks them).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import RE_VALID_UID, UID, generate_uid

from overlay_core.checks import require_image
from overlay_core.dataset.copies import copy_dataset, copy_element
from overlay_core.errors import InvalidArgumentError
from overlay_core.model import OverlayPlane, group_hex
from overlay_core.planes.reading import image_info, read_planes

__all__ = [
    "DEVICE_SERIAL_NUMBER",
    "MANUFACTURER",
    "MODEL_NAME",
    "SOFTWARE_VERSION",
    "TYPE2_PATIENT_STUDY",
    "chosen_planes",
    "new_instance",
    "restore_class",
    "single_frame_view",
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
_SINGLE_FRAME_CLASS = UID("1.2.840.10008.5.1.4.1.1.7")  # Secondary Capture Image Storage
_MULTI_FRAME_ONLY = {
    "NumberOfFrames", "FrameIncrementPointer", "PerFrameFunctionalGroupsSequence",
    "SharedFunctionalGroupsSequence", "FrameOfReferenceUID", "PositionReferenceIndicator",
    "DimensionIndexSequence", "DimensionOrganizationSequence",
}
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
    require_image(image_info(ds), f"to make {what} from")
    for keyword, name in _REQUIRED.items():
        if not str(ds.get(keyword, "") or "").strip():
            raise InvalidArgumentError(f"The image has no {name}, so {what} cannot reference it.")
    header = Dataset()
    for elem in ds:
        group = int(elem.tag) >> 16
        if elem.keyword == "PixelData" or 0x6000 <= group <= 0x60FF or group == 0x7FE0:
            continue
        header.add(copy_element(elem))
    for keyword in TYPE2_PATIENT_STUDY:
        if keyword not in header:
            setattr(header, keyword, "")
    if "SpecificCharacterSet" in header and not header.SpecificCharacterSet:
        del header.SpecificCharacterSet  # empty is the default repertoire; highdicom refuses ''
    if getattr(ds, "file_meta", None) is not None:
        header.file_meta = FileMetaDataset(copy_dataset(ds.file_meta))
    return header


def single_frame_view(header: Dataset) -> Dataset:
    """Return a one-frame view of a multi-frame image's header, for highdicom.

    highdicom 0.28 decides "multi-frame" by the IOD and then needs a patient coordinate
    system (functional groups, Frame of Reference), which most multi-frame images with
    overlays (cine, multi-frame Secondary Capture) lack. The view has the
    single-frame Secondary Capture SOP Class and no multi-frame attributes; the caller
    names the real frame in each reference and puts the real SOP Class back with
    :func:`restore_class`. ``header`` is not changed.
    """
    single = Dataset()
    for elem in header:  # shared elements: none of them is changed below
        if elem.keyword not in _MULTI_FRAME_ONLY and elem.keyword != "SOPClassUID":
            single.add(elem)
    single.SOPClassUID = _SINGLE_FRAME_CLASS  # a new element, not the header's
    single.file_meta = header.file_meta
    return single


def restore_class(ds: Dataset, instance: str, sop_class: UID) -> None:
    """Set ``sop_class`` in every reference to ``instance`` (see :func:`single_frame_view`).

    >>> from pydicom.sequence import Sequence
    >>> ref = Dataset(); ref.ReferencedSOPInstanceUID = "1.2"; ref.ReferencedSOPClassUID = "9"
    >>> ds = Dataset(); ds.SourceImageSequence = Sequence([ref])
    >>> restore_class(ds, "1.2", UID("1.2.840.10008.5.1.4.1.1.7.3")); str(ref.ReferencedSOPClassUID)
    '1.2.840.10008.5.1.4.1.1.7.3'
    """
    for elem in ds.iterall():
        if elem.VR == "SQ":
            for item in elem.value:
                if str(item.get("ReferencedSOPInstanceUID", "")) == instance:
                    item.ReferencedSOPClassUID = sop_class


def chosen_planes(ds: Dataset, groups: Iterable[int] | None) -> list[OverlayPlane]:
    """Return the planes to put in a derived object, in the order given (all usable by default).

    Raises
    ------
    InvalidArgumentError
        If a group holds no usable plane, or there is no plane at all.
    """
    planes = {p.group: p for p in read_planes(ds)}
    chosen = list(planes) if groups is None else list(dict.fromkeys(groups))
    for group in chosen:
        if group not in planes:
            raise InvalidArgumentError(f"The file has no usable overlay plane in group {group_hex(group)}.")
    if not chosen:
        raise InvalidArgumentError("The file has no overlay plane to export.")
    return [planes[g] for g in chosen]


def new_instance(series_number: int = 1, equipment: bool = True, series_uid: str | None = None
                 ) -> dict[str, Any]:
    """Return highdicom's arguments for a new instance made by this software.

    The instance goes into a new series, or into ``series_uid`` when given (e.g. one
    series for every SEG of one store to a PACS); its SOP Instance UID is always new.

    Raises
    ------
    InvalidArgumentError
        If ``series_uid`` is not a valid UID.

    Examples
    --------
    >>> sorted(new_instance(equipment=False))
    ['instance_number', 'manufacturer', 'series_instance_uid', 'series_number', 'sop_instance_uid']
    >>> new_instance(series_uid="1.2.3")["series_instance_uid"]
    '1.2.3'
    """
    if series_uid is not None and not (len(series_uid) <= 64 and RE_VALID_UID.match(series_uid)):
        raise InvalidArgumentError(f"{series_uid!r} is not a valid Series Instance UID.")
    out: dict[str, Any] = dict(
        series_instance_uid=series_uid or generate_uid(), series_number=series_number,
        sop_instance_uid=generate_uid(), instance_number=1, manufacturer=MANUFACTURER,
    )
    if equipment:
        out.update(manufacturer_model_name=MODEL_NAME, software_versions=SOFTWARE_VERSION,
                   device_serial_number=DEVICE_SERIAL_NUMBER)
    return out
