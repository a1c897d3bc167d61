"""Check a derived object read back (e.g. from a PACS) against the one sent and its image.

After a DICOM SEG, a presentation state, a burned-in Secondary Capture or an RT Structure
Set is stored somewhere and retrieved again, :func:`derived_difference` compares it with
what was sent and with the image it must reference: the same SOP Class and UIDs, the
image's study, references to the image's SOP Instance (and series) only, and the same
content: for a SEG the same segments, read with highdicom and placed on the image; for a
presentation state the same planes on the same frames; for a Secondary Capture the same
pixels; for a structure set the same ROIs, filled on the image.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from pydicom.dataset import Dataset

from overlay_core.errors import OverlayError, clause
from overlay_core.interop.gsps import GSPS_STORAGE, referenced_frames, state_planes
from overlay_core.interop.rtstruct import RTSTRUCT_STORAGE, read_rois, roi_masks
from overlay_core.interop.secondary_capture import SECONDARY_CAPTURE_STORAGE
from overlay_core.interop.seg import (
    LABELMAP_SEGMENTATION_STORAGE,
    SEGMENTATION_STORAGE,
    read_segments,
    segment_masks,
)
from overlay_core.model import group_hex

__all__ = ["derived_difference", "referenced_uids"]

_IDENTITY = {
    "SOPClassUID": "SOP Class UID",
    "SOPInstanceUID": "SOP Instance UID",
    "StudyInstanceUID": "Study Instance UID",
    "SeriesInstanceUID": "Series Instance UID",
}


def _uid(ds: Dataset, keyword: str) -> str:
    return str(ds.get(keyword, "") or "").strip()


def referenced_uids(ds: Dataset) -> tuple[set[str], set[str]]:
    """Return the SOP Instance UIDs and the Series Instance UIDs that ``ds`` references.

    SOP Instances: every (0008,1155) *Referenced SOP Instance UID*, at any depth. Series:
    the (0020,000E) of each item of (0008,1115) *Referenced Series Sequence*.

    >>> ref = Dataset(); ref.ReferencedSOPInstanceUID = "1.2.3"
    >>> series = Dataset(); series.SeriesInstanceUID = "1.2"; series.ReferencedImageSequence = [ref]
    >>> ds = Dataset(); ds.ReferencedSeriesSequence = [series]
    >>> referenced_uids(ds)
    ({'1.2.3'}, {'1.2'})
    """
    sops: set[str] = set()
    series: set[str] = set()
    for elem in ds.iterall():
        if elem.keyword == "ReferencedSOPInstanceUID":
            sops.add(str(elem.value).strip())
        elif elem.keyword in ("ReferencedSeriesSequence", "RTReferencedSeriesSequence"):
            series.update(_uid(item, "SeriesInstanceUID") for item in elem.value)
    for item in _study_references(ds):  # an RTSTRUCT names its study by a Study "SOP Instance"
        sops.discard(_uid(item, "ReferencedSOPInstanceUID"))
    return sops, series


def _study_references(ds: Dataset) -> list[Dataset]:
    return [study for frame in ds.get("ReferencedFrameOfReferenceSequence") or []
            for study in frame.get("RTReferencedStudySequence") or []]


def _seg_difference(sent: Dataset, found: Dataset, image: Dataset) -> str | None:
    if read_segments(found) != read_segments(sent):
        return "its segment labels, descriptions or algorithm types differ"
    expected, back = segment_masks(image, sent), segment_masks(image, found)
    for number, mask in expected.items():
        if not np.array_equal(back[number], mask):
            return f"segment {number} differs in {int((back[number] != mask).sum())} pixels on the image"
    return None


def _gsps_difference(sent: Dataset, found: Dataset, image: Dataset) -> str | None:
    if referenced_frames(found, image) != referenced_frames(sent, image):
        return "it references other frames of the image"
    expected = {p.group: p.mask for p in state_planes(sent, image)}
    back = {p.group: p.mask for p in state_planes(found, image)}
    if set(back) != set(expected):
        return "it shows other overlay planes"
    for group, mask in expected.items():
        if not np.array_equal(back[group], mask):
            return f"it shows plane {group_hex(group)} differently on the image"
    return None


def _rtstruct_difference(sent: Dataset, found: Dataset, image: Dataset) -> str | None:
    if read_rois(found) != read_rois(sent):
        return "its ROI names, descriptions or algorithms differ"
    expected, back = roi_masks([image], sent), roi_masks([image], found)
    for number, masks in expected.items():
        if not np.array_equal(back[number][0], masks[0]):
            return f"ROI {number} differs in {int((back[number][0] != masks[0]).sum())} pixels on the image"
    return None


def _sc_difference(sent: Dataset, found: Dataset, image: Dataset) -> str | None:
    try:
        same = np.array_equal(found.pixel_array, sent.pixel_array)
    except Exception as exc:
        return f"its pixels cannot be decoded ({clause(exc)})"
    return None if same else "its pixels differ"


_CONTENT: dict[str, Callable[[Dataset, Dataset, Dataset], str | None]] = {
    str(SEGMENTATION_STORAGE): _seg_difference,
    str(LABELMAP_SEGMENTATION_STORAGE): _seg_difference,
    str(GSPS_STORAGE): _gsps_difference,
    str(SECONDARY_CAPTURE_STORAGE): _sc_difference,
    str(RTSTRUCT_STORAGE): _rtstruct_difference,
}


def derived_difference(sent: Dataset, found: Dataset, image: Dataset) -> str | None:
    """Say how ``found`` differs from the derived object ``sent`` that references ``image``.

    Parameters
    ----------
    sent : pydicom.dataset.Dataset
        A SEG, GSPS or Secondary Capture as written and sent.
    found : pydicom.dataset.Dataset
        The same object as read back.
    image : pydicom.dataset.Dataset
        The image it must reference (as it is stored: its study, series and SOP UIDs).

    Returns
    -------
    str or None
        ``None`` when ``found`` is ``sent`` and references only ``image``; else a clause
        saying what differs first, e.g. ``"it references another instance than the image"``.
    """
    for keyword, name in _IDENTITY.items():
        if _uid(found, keyword) != _uid(sent, keyword):
            return f"its {name} is {_uid(found, keyword) or 'missing'} instead of {_uid(sent, keyword)}"
    if _uid(found, "StudyInstanceUID") != _uid(image, "StudyInstanceUID"):
        return "it is not in the study of the image"
    sops, series = referenced_uids(found)
    if sops != {_uid(image, "SOPInstanceUID")}:
        return "it references another instance than the image"
    if not series <= {_uid(image, "SeriesInstanceUID")}:
        return "it references another series than the image's"
    content = _CONTENT.get(_uid(sent, "SOPClassUID"))
    if content is None:
        return "it is not a SEG, a presentation state, a Secondary Capture or an RT Structure Set"
    try:
        return content(sent, found, image)
    except OverlayError as exc:
        return f"it cannot be read as sent ({clause(exc)})"
