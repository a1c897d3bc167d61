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
    "complete_derived",
    "is_multi_frame_class",
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
#: Patient Module attributes of a non-human patient (PS3.3 C.7.1.1), copied as a group.
_SPECIES = (
    "PatientSpeciesDescription", "PatientSpeciesCodeSequence", "PatientSexNeutered",
    "PatientBreedDescription", "PatientBreedCodeSequence", "BreedRegistrationSequence",
    "ResponsiblePerson", "ResponsiblePersonRole", "ResponsibleOrganization",
)
#: Body parts that are not paired structures: (0020,0060) *Laterality* is required unless
#: (0018,0015) *Body Part Examined* is one of them, and not allowed when it is (so
#: ``dciodvfy`` reads the Type 2C condition; an unknown or absent body part needs it).
_UNPAIRED = frozenset("""
    ABDOMEN ABDOMENPELVIS AORTA BLADDER BRAIN CEREBELLUM CHEST CHESTABDOMEN CHESTABDPELVIS COCCYX
    COLON CSPINE DUODENUM ESOPHAGUS FACE GALLBLADDER HEAD HEADNECK HEART JAW LARYNX LIVER LSPINE
    MEDIASTINUM MOUTH NECK NOSE PANCREAS PELVIS PROSTATE RECTUM SKULL SPINE SPLEEN SSPINE STERNUM
    STOMACH THYROID TONGUE TRACHEA TSPINE UTERUS WHOLEBODY
""".split())
#: Words in the names of the storage SOP classes whose IOD has the Multi-frame Module.
_MULTI_FRAME_WORDS = (
    "Multi-frame", "Multi-Frame", "Enhanced", "Nuclear Medicine", "X-Ray Angiographic",
    "X-Ray Radiofluoroscopic", "Breast Tomosynthesis", "Breast Projection", "Whole Slide",
    "Segmentation", "Ophthalmic Tomography", "Optical Coherence", "Parametric Map",
    "Photoacoustic", "Wide Field", "Ophthalmic Optical Coherence", "Dermoscopic",
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


def is_multi_frame_class(ds: Dataset) -> bool:
    """Say whether the image's SOP Class is a multi-frame IOD (so references name frames).

    (0008,1160) *Referenced Frame Number* is required, and allowed, only where the
    referenced instance is multi-frame by its SOP Class (PS3.3 C.12.1.1.3); an unknown
    class counts as multi-frame when the image has (0028,0008) *Number of Frames*.

    >>> ds = Dataset(); ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.4"; ds.NumberOfFrames = 3
    >>> is_multi_frame_class(ds)
    False
    >>> ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7.3"; is_multi_frame_class(ds)
    True
    """
    uid = UID(str(ds.get("SOPClassUID", "") or ""))
    if uid.is_valid and uid.name != str(uid):
        return any(word in uid.name for word in _MULTI_FRAME_WORDS)
    return "NumberOfFrames" in ds


def complete_derived(derived: Dataset, header: Dataset, burned_in: bool = False) -> None:
    """Copy from the image what the standard asks of a derived object and highdicom leaves out.

    What ``dciodvfy`` finds missing in a derived object whose source has it:

    * (0018,0015) *Body Part Examined*, when the image has one;
    * (0020,0060) *Laterality* (General Series, Type 2C; not in a SEG or RTSTRUCT)
      unless that body part is not a paired structure: the image's, else its
      (0020,0062) *Image Laterality* when that is L or R, else empty (unknown);
    * (0020,0020) *Patient Orientation* (General Image, Type 2C: required without an
      image plane): the image's, else empty, never invented; only where ``derived``
      has a General Image and no plane orientation;
    * for a non-human patient, the species attributes of the Patient Module, with
      (0010,2203) *Patient's Sex Neutered* empty when the image lacks it;
    * (0028,0301) *Burned In Annotation* YES when ``burned_in``.

    ``derived`` is changed in place; ``header`` is not.

    >>> image = Dataset(); image.ImageLaterality = "L"; image.PatientSpeciesDescription = "PRIMATE"
    >>> image.BodyPartExamined = "BREAST"
    >>> out = Dataset(); out.Modality = "PR"
    >>> complete_derived(out, image)
    >>> out.Laterality, out.PatientSpeciesDescription, out.PatientSexNeutered
    ('L', 'PRIMATE', '')
    """
    has_series = str(derived.get("Modality", "")) != "RTSTRUCT"  # RT Series: no body part, no laterality
    body_part_given = str(header.get("BodyPartExamined", "") or "").strip()
    if has_series and "BodyPartExamined" not in derived and body_part_given:
        derived.BodyPartExamined = header.BodyPartExamined
    body_part = str(derived.get("BodyPartExamined", "") or "").strip().upper()
    # A SEG carries laterality in its segments, and dciodvfy refuses (0020,0060) in one;
    # an RT Structure Set has no General Series.
    series_laterality = str(derived.get("Modality", "")) not in ("SEG", "RTSTRUCT")
    if series_laterality and "Laterality" not in derived and body_part not in _UNPAIRED:
        laterality = str(header.get("Laterality", "") or "").strip()
        image_side = str(header.get("ImageLaterality", "") or "").strip()
        derived.Laterality = laterality or (image_side if image_side in ("L", "R") else "")
    if _needs_patient_orientation(derived):
        orientation = header.get("PatientOrientation")
        derived.PatientOrientation = list(orientation) if orientation and len(orientation) == 2 else ""
    if any(str(header.get(k, "") or "").strip() for k in ("PatientSpeciesDescription",)) or \
            header.get("PatientSpeciesCodeSequence"):
        for keyword in _SPECIES:
            if keyword in header and keyword not in derived:
                derived.add(copy_element(header[keyword]))
        if "PatientSexNeutered" not in derived:
            derived.PatientSexNeutered = ""
        for keyword in ("PatientBreedDescription", "ResponsiblePerson", "ResponsibleOrganization"):
            if keyword not in derived:  # Type 2C for a non-human patient
                setattr(derived, keyword, "")
        for keyword in ("PatientBreedCodeSequence", "BreedRegistrationSequence"):
            if keyword not in derived:
                setattr(derived, keyword, [])
    if burned_in:
        derived.BurnedInAnnotation = "YES"


def _needs_patient_orientation(derived: Dataset) -> bool:
    """Say whether a derived image lacks (0020,0020) where its General Image asks for it."""
    if "PatientOrientation" in derived or "Rows" not in derived:
        return False
    if "ImageOrientationPatient" in derived:
        return False
    for keyword in ("SharedFunctionalGroupsSequence", "PerFrameFunctionalGroupsSequence"):
        for item in derived.get(keyword) or []:
            if "PlaneOrientationSequence" in item:
                return False
    return True
