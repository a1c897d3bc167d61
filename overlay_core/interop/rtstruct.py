r"""Overlay planes to and from RT Structure Sets (RTSTRUCT), built with pydicom.

Export (:func:`export_rtstruct`): one ROI per overlay group over an image or a series of
images (ordered as :func:`overlay_core.dataset.series.series_order` orders a series):

=======================================  =============================================
plane                                    ROI
=======================================  =============================================
(60xx,1500) *Overlay Label*              (3006,0026) *ROI Name* (else the description,
                                         else ``Overlay 6000``)
(60xx,0022) *Overlay Description*        (3006,0028) *ROI Description*
(60xx,0045) *Overlay Subtype*            (3006,0036) *ROI Generation Algorithm*
                                         (MANUAL for ``USER``, AUTOMATIC, SEMIAUTOMATIC)
the group's colour in the app            (3006,002A) *ROI Display Color*
=======================================  =============================================

Each image frame the plane covers (placed as :func:`overlay_core.planes.placement.image_mask`
places it) gets CLOSED_PLANAR contours in patient coordinates (LPS mm, from Image
Position/Orientation and Pixel Spacing: :mod:`overlay_core.interop.geometry`): outer
boundaries, holes and islands in holes, so that the even-odd reading every planning
system makes gives the plane back (:mod:`overlay_core.interop.contours`). Each contour
names its image in (3006,0016) *Contour Image Sequence*.

Import (:func:`import_rtstruct`): each ROI becomes a plane on the images it has
contours on, found by that reference or, for files that give none, by the plane the
contour lies in; contours are filled by the even-odd rule.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from numpy.typing import NDArray
from pydicom import dcmread
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.tag import BaseTag
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

from overlay_core.dataset.copies import copy_element
from overlay_core.dataset.series import series_order
from overlay_core.errors import InvalidArgumentError, OverlayError
from overlay_core.interop.contours import mask_contours
from overlay_core.interop.derived import (
    DEVICE_SERIAL_NUMBER,
    MANUFACTURER,
    MODEL_NAME,
    SOFTWARE_VERSION,
    complete_derived,
    is_multi_frame_class,
    source_header,
)
from overlay_core.interop.geometry import FrameGeometry, series_geometries
from overlay_core.interop.new_planes import clean_lo
from overlay_core.interop.rtstruct_read import (
    CONTOUR_DATA,
    RTSTRUCT_STORAGE,
    RoiInfo,
    import_rtstruct,
    is_rtstruct,
    read_rois,
    roi_masks,
)
from overlay_core.interop.seg import algorithm_type, segment_label
from overlay_core.model import OverlayPlane, group_hex
from overlay_core.planes.placement import image_mask
from overlay_core.planes.reading import overlay_groups, read_planes
from overlay_core.planes.writing import to_bytes
from overlay_core.render.styles import default_color

__all__ = [
    "RTSTRUCT_STORAGE",
    "RoiInfo",
    "export_rtstruct",
    "import_rtstruct",
    "is_rtstruct",
    "read_rois",
    "roi_masks",
    "rtstruct_bytes",
]

_PATIENT_STUDY = (
    "SpecificCharacterSet", "PatientName", "PatientID", "IssuerOfPatientID", "PatientBirthDate",
    "PatientSex", "PatientAge", "PatientSize", "PatientWeight", "StudyInstanceUID", "StudyDate",
    "StudyTime", "ReferringPhysicianName", "StudyID", "AccessionNumber", "StudyDescription",
)


# --------------------------------------------------------------------------- export


def _ordered(datasets: Sequence[Dataset]) -> list[Dataset]:
    """Return the images in series order; refuse two with one SOP Instance UID."""
    if not datasets:
        raise InvalidArgumentError("Give at least one image.")
    ordered = [datasets[i] for i in series_order(datasets)]
    uids = [str(ds.get("SOPInstanceUID", "") or "") for ds in ordered]
    if len(set(uids)) != len(uids):
        raise InvalidArgumentError("Two of the images have the same SOP Instance UID; give each image once.")
    studies = {str(ds.get("StudyInstanceUID", "") or "") for ds in ordered}
    if len(studies) > 1:
        raise InvalidArgumentError("The images belong to different studies; give the images of one series.")
    return ordered


def _chosen_groups(ordered: Sequence[Dataset], groups: Iterable[int] | None) -> dict[int, OverlayPlane]:
    """Return the plane (from the first image that has it) of each chosen group, in order."""
    found: dict[int, OverlayPlane] = {}
    for ds in ordered:
        for plane in read_planes(ds):
            found.setdefault(plane.group, plane)
    chosen = sorted(found) if groups is None else list(dict.fromkeys(groups))
    for group in chosen:
        if group not in found:
            raise InvalidArgumentError(f"No image has a usable overlay plane in group {group_hex(group)}.")
    if not chosen:
        raise InvalidArgumentError(f"The {'file has' if len(ordered) == 1 else 'images have'} no "
                                   "overlay plane to export.")
    return {g: found[g] for g in chosen}




def _contour_data(values: NDArray[np.float64]) -> RawDataElement:
    """Return (3006,0050) *Contour Data* already encoded (Explicit VR Little Endian).

    pydicom turns each DS value into an object on the way in and out, which costs
    seconds for the ~10^5 numbers of a series; the encoded value is written as it is.
    DS holds at most 16 characters.
    """
    # Rounded to a nanometre: repr() of such a float needs at most 16 characters below 10^8 mm.
    text = "\\".join(map(repr, np.round(values, 6).ravel().tolist())).encode("ascii")
    if len(text) % 2:
        text += b" "
    return RawDataElement(BaseTag(CONTOUR_DATA), "DS", len(text), text, 0, False, True)


def _image_reference(ds: Dataset, frame: int | None) -> Dataset:
    item = Dataset()
    item.ReferencedSOPClassUID = ds.SOPClassUID
    item.ReferencedSOPInstanceUID = ds.SOPInstanceUID
    if frame is not None and is_multi_frame_class(ds):
        item.ReferencedFrameNumber = frame + 1
    return item


def _contours(ds: Dataset, geometry: FrameGeometry, frame: int | None, mask: NDArray[np.bool_],
              start: int) -> list[Dataset]:
    out = []
    for number, polygon in enumerate(mask_contours(mask), start=start):
        points = geometry.to_patient(polygon[:, 0], polygon[:, 1])
        item = Dataset()
        item.ContourImageSequence = [_image_reference(ds, frame)]
        item.ContourGeometricType = "CLOSED_PLANAR"
        item.NumberOfContourPoints = len(points)
        item.ContourNumber = number
        item[CONTOUR_DATA] = _contour_data(points)
        item.set_original_encoding(False, True, "iso8859")  # so pydicom writes the encoded value as is
        out.append(item)
    return out


def export_rtstruct(
    datasets: Sequence[Dataset],
    groups: Iterable[int] | None = None,
    labels: Mapping[int, str] | None = None,
    series_number: int = 1,
    series_uid: str | None = None,
) -> Dataset:
    """Return a new RT Structure Set with one ROI per overlay group over the images.

    Parameters
    ----------
    datasets : sequence of pydicom.dataset.Dataset
        One image (single- or enhanced multi-frame) or the images of one series, in any
        order; not changed.
    groups : iterable of int, optional
        The groups to export, in ROI order; default every group with a usable plane.
    labels : mapping of int to str, optional
        ROI names by group, overriding the plane's label.
    series_number : int, optional
        (0020,0011) of the new series.
    series_uid : str, optional
        (0020,000E) of the series to put the structure set in; default a new one.

    Raises
    ------
    InvalidArgumentError
        If an image has no patient geometry (nothing is made), the images do not share a
        Frame of Reference, a group has no plane or no pixel on any image, or a name is
        not a valid LO.
    """
    ordered = _ordered(datasets)
    planes = _chosen_groups(ordered, groups)
    return _export(ordered, planes, _placed(ordered, planes), labels, series_number, series_uid)


def _placed(ordered: Sequence[Dataset], planes: Mapping[int, OverlayPlane]
            ) -> dict[tuple[int, int], NDArray[np.bool_]]:
    """Return each chosen plane placed on each image that has it, by (image index, group)."""
    return {(i, group): image_mask(ds, group) for i, ds in enumerate(ordered)
            for group in planes if group in overlay_groups(ds)}


def _export(
    ordered: Sequence[Dataset],
    planes: Mapping[int, OverlayPlane],
    placed: Mapping[tuple[int, int], NDArray[np.bool_]],
    labels: Mapping[int, str] | None,
    series_number: int,
    series_uid: str | None,
) -> Dataset:
    """Build the structure set of :func:`export_rtstruct` from the planes placed on the images."""
    geometries = series_geometries(ordered, "contours")
    header = source_header(ordered[0], "an RT Structure Set")
    rs = Dataset()
    for keyword in _PATIENT_STUDY:
        if keyword in header:
            rs.add(copy_element(header[keyword]))
    for keyword in ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyDate", "StudyTime",
                    "ReferringPhysicianName", "StudyID", "AccessionNumber"):
        if keyword not in rs:
            setattr(rs, keyword, "")
    uid = generate_uid()
    rs.SOPClassUID = RTSTRUCT_STORAGE
    rs.SOPInstanceUID = uid
    rs.Modality = "RTSTRUCT"
    rs.SeriesInstanceUID = series_uid or generate_uid()
    rs.SeriesNumber = series_number
    rs.SeriesDescription = "Overlay planes as structures"
    rs.OperatorsName = ""
    rs.Manufacturer = MANUFACTURER
    rs.ManufacturerModelName = MODEL_NAME
    rs.SoftwareVersions = SOFTWARE_VERSION
    rs.DeviceSerialNumber = DEVICE_SERIAL_NUMBER
    rs.InstanceNumber = 1
    rs.FrameOfReferenceUID = geometries[0][0].frame_of_reference
    rs.PositionReferenceIndicator = header.get("PositionReferenceIndicator", "") or ""
    rs.StructureSetLabel = "OVERLAYS"
    rs.StructureSetName = "Overlay planes"
    rs.StructureSetDate = ""
    rs.StructureSetTime = ""
    frame_of_reference = geometries[0][0].frame_of_reference
    by_series: dict[str, list[Dataset]] = {}  # every image frame, under its own series
    for ds, g in zip(ordered, geometries, strict=True):
        series = str(ds.get("SeriesInstanceUID", "") or "")
        by_series.setdefault(series, []).extend(_image_reference(ds, f if len(g) > 1 else None)
                                             for f in range(len(g)))
    series_items = []
    for series, images in by_series.items():
        series_item = Dataset()
        series_item.SeriesInstanceUID = series
        series_item.ContourImageSequence = images
        series_items.append(series_item)
    study_item = Dataset()
    study_item.ReferencedSOPClassUID = UID("1.2.840.10008.3.1.2.3.1")  # Detached Study Management (retired)
    study_item.ReferencedSOPInstanceUID = header.StudyInstanceUID
    study_item.RTReferencedSeriesSequence = series_items
    reference = Dataset()
    reference.FrameOfReferenceUID = frame_of_reference
    reference.RTReferencedStudySequence = [study_item]
    rs.ReferencedFrameOfReferenceSequence = [reference]
    rois, contours, observations = [], [], []
    for number, (group, plane) in enumerate(planes.items(), start=1):
        name = _roi_name(plane, (labels or {}).get(group))
        items: list[Dataset] = []
        for index, (ds, frames) in enumerate(zip(ordered, geometries, strict=True)):
            mask = placed.get((index, group))
            if mask is None:
                continue
            for f, geometry in enumerate(frames):
                if mask[f].any():
                    frame = f if len(frames) > 1 else None
                    items += _contours(ds, geometry, frame, mask[f], len(items) + 1)
        if not items:
            raise InvalidArgumentError(
                f"Overlay group {group_hex(group)} has no pixel on the images, so it would be an empty "
                "structure; leave it out."
            )
        roi = Dataset()
        roi.ROINumber = number
        roi.ReferencedFrameOfReferenceUID = frame_of_reference
        roi.ROIName = name
        if plane.description:
            roi.ROIDescription = clean_lo(plane.description)
        roi.ROIGenerationAlgorithm = algorithm_type(plane)
        rois.append(roi)
        contour = Dataset()
        contour.ROIDisplayColor = list(default_color(group))
        contour.ContourSequence = DicomSequence(items)
        contour.ReferencedROINumber = number
        contours.append(contour)
        observation = Dataset()
        observation.ObservationNumber = number
        observation.ReferencedROINumber = number
        observation.RTROIInterpretedType = ""
        observation.ROIInterpreter = ""
        observations.append(observation)
    rs.StructureSetROISequence = rois
    rs.ROIContourSequence = contours
    rs.RTROIObservationsSequence = observations
    complete_derived(rs, header)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = RTSTRUCT_STORAGE
    meta.MediaStorageSOPInstanceUID = uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    rs.file_meta = meta
    return rs


def _roi_name(plane: OverlayPlane, label: str | None) -> str:
    text = (label if label is not None else segment_label(plane)).strip() or segment_label(plane)
    if len(text) > 64 or "\\" in text or any(ord(ch) < 32 for ch in text):
        raise InvalidArgumentError(
            f"The ROI name of plane {plane.group_hex} must be at most 64 characters without "
            "backslashes or control characters."
        )
    return text


# --------------------------------------------------------------------------- bytes, checked


def rtstruct_bytes(
    datasets: Sequence[Dataset],
    groups: Iterable[int] | None = None,
    labels: Mapping[int, str] | None = None,
    series_uid: str | None = None,
) -> bytes:
    """Return an RT Structure Set of the planes as file bytes, read back and checked.

    The bytes are read again and each ROI, filled by the even-odd rule, must equal its
    plane as placed on each image, bit for bit.

    Raises
    ------
    OverlayError
        As :func:`export_rtstruct`, or when the structure set read back differs.
    """
    ordered = _ordered(datasets)
    planes = _chosen_groups(ordered, groups)
    placed = _placed(ordered, planes)
    rs = _export(ordered, planes, placed, labels, 1, series_uid)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = to_bytes(rs)
    try:  # pydicom directly: load() would decode every number of the contours
        reread = dcmread(io.BytesIO(data))
    except Exception as exc:
        raise OverlayError(f"The RT Structure Set written cannot be read back ({exc}).") from None
    masks = roi_masks(ordered, reread)
    chosen = list(planes)
    for item in reread.StructureSetROISequence:
        number = int(item.ROINumber)
        group = chosen[number - 1]
        for index, mask in enumerate(masks[number]):
            expected = placed.get((index, group))
            if not np.array_equal(mask, expected if expected is not None else np.zeros_like(mask)):
                raise OverlayError(
                    f"The RT Structure Set read back differs from plane {group_hex(group)}, "
                    "so it is not offered."
                )
    return data
