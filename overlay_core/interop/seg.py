r"""Overlay planes to and from DICOM Segmentation (SEG), through highdicom.

Export: each chosen plane becomes one BINARY segment, placed on the image by
:func:`overlay_core.planes.placement.image_mask` (clipped to the image; a multi-frame plane on
the image frames it applies to), so the SEG holds exactly the pixels a viewer shows for
the plane. Every SEG frame references its source image frame in (0008,9124) *Derivation
Image Sequence* (with (0008,1160) *Referenced Frame Number* for a multi-frame image).

Import: the segments of a SEG that references the open image become planes in the
first free groups, image-sized at origin ``1\1`` (optionally cropped to their content);
SEG frames go to the image frames they reference.

Segment attributes and plane attributes correspond so that a round trip keeps them:

=======================================  =============================================
plane                                    segment
=======================================  =============================================
(60xx,1500) *Overlay Label*              (0062,0005) *Segment Label* (else the
                                         description, else ``Overlay 6000``)
(60xx,0022) *Overlay Description*        (0062,0006) *Segment Description*
(60xx,0045) *Overlay Subtype* ``USER``   (0062,0008) *Segment Algorithm Type* MANUAL
``AUTOMATED``                            AUTOMATIC
anything else                            SEMIAUTOMATIC
=======================================  =============================================
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.uid import UID

from overlay_core.errors import InvalidArgumentError, OverlayError, WrongReferenceError, clause
from overlay_core.interop.derived import chosen_planes, complete_derived, new_instance, source_header
from overlay_core.interop.new_planes import (
    AUTOMATED_SUBTYPE,
    Planned,
    add_planes,
    clean_lo,
    crop_plane,
    free_groups,
    subtype_of,
)
from overlay_core.interop.seg_frames import multi_frame_labelmap, multi_frame_seg
from overlay_core.interop.seg_references import frame_references, frame_segments
from overlay_core.model import OverlayPlane
from overlay_core.planes.placement import image_mask
from overlay_core.planes.reading import image_info, load
from overlay_core.planes.writing import USER_SUBTYPE, Attributes, to_bytes

__all__ = [
    "LABELMAP_SEGMENTATION_STORAGE",
    "SEGMENTATION_STORAGE",
    "SegmentInfo",
    "algorithm_type",
    "export_seg",
    "import_seg",
    "read_segments",
    "seg_bytes",
    "segment_label",
    "segment_masks",
]

SEGMENTATION_STORAGE = UID("1.2.840.10008.5.1.4.1.1.66.4")
#: Label Map Segmentation Storage (Supplement 243): one label value per pixel.
LABELMAP_SEGMENTATION_STORAGE = UID("1.2.840.10008.5.1.4.1.1.66.7")


@dataclass(frozen=True)
class SegmentInfo:
    """One segment of a SEG: its number and descriptive attributes.

    Attributes
    ----------
    number : int
        (0062,0004) *Segment Number*, 1-based.
    label, description, algorithm_type : str
        (0062,0005), (0062,0006) and (0062,0008).
    """

    number: int
    label: str
    description: str
    algorithm_type: str


def algorithm_type(plane: OverlayPlane) -> str:
    """Return the Segment Algorithm Type for a plane: MANUAL for subtype USER.

    >>> algorithm_type(OverlayPlane(0x6000, 1, 1, subtype="USER")), algorithm_type(OverlayPlane(0x6000, 1, 1))
    ('MANUAL', 'SEMIAUTOMATIC')
    """
    subtype = plane.subtype.strip().upper()
    if subtype == USER_SUBTYPE:
        return "MANUAL"
    return "AUTOMATIC" if subtype == AUTOMATED_SUBTYPE else "SEMIAUTOMATIC"


def segment_label(plane: OverlayPlane) -> str:
    """Return a plane's segment label: its label, else its description, else ``Overlay G``.

    >>> segment_label(OverlayPlane(0x6002, 1, 1, description="lesion"))
    'lesion'
    """
    text = plane.label or plane.description or f"Overlay {plane.group_hex}"
    return text[:64]


def _codes() -> tuple[Any, Any, Any]:
    from pydicom.sr.codedict import codes

    # CID 7150 "Spatial and Relational Concept" with "Image Region": an overlay says where,
    # not what; a viewer's terminology editor can refine it.
    return codes.SCT.SpatialAndRelationalConcept, codes.DCM.ImageRegion, codes.DCM.ImageProcessing


def _description(plane: OverlayPlane, number: int, label: str | None) -> Any:
    import highdicom as hd

    category, kind, family = _codes()
    algorithm = algorithm_type(plane)
    identification = None
    if algorithm != "MANUAL":
        name = f"overlay plane {plane.group_hex}" + (f" ({plane.subtype})" if plane.subtype else "")
        identification = hd.AlgorithmIdentificationSequence(name=name[:64], family=family, version="unknown")
    text = (label if label is not None else segment_label(plane)).strip() or segment_label(plane)
    if len(text) > 64 or "\\" in text or any(ord(ch) < 32 for ch in text):
        raise InvalidArgumentError(
            f"The segment label of plane {plane.group_hex} must be at most 64 characters "
            "without backslashes or control characters."
        )
    item = hd.seg.SegmentDescription(
        segment_number=number, segment_label=text, segmented_property_category=category,
        segmented_property_type=kind, algorithm_type=algorithm,
        algorithm_identification=identification,
    )
    if plane.description:
        item.SegmentDescription = plane.description
    return item


def export_seg(
    ds: Dataset,
    groups: Iterable[int] | None = None,
    labels: Mapping[int, str] | None = None,
    series_number: int = 1,
    series_uid: str | None = None,
    labelmap: bool = False,
) -> Dataset:
    """Return a new BINARY (or LABELMAP) DICOM Segmentation with one segment per plane.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The image and its planes; not changed.
    groups : iterable of int, optional
        The planes to export, in segment order; default every usable plane.
    labels : mapping of int to str, optional
        Segment labels by group, overriding :func:`segment_label`.
    series_number : int, optional
        (0020,0011) of the new series.
    series_uid : str, optional
        (0020,000E) of the series to put the SEG in; default a new one.
    labelmap : bool, optional
        Write a LABELMAP SEG (Label Map Segmentation Storage): each pixel holds the
        number of its segment, so the planes must not overlap.

    Returns
    -------
    pydicom.dataset.Dataset
        A :class:`highdicom.seg.Segmentation` with a new SOP Instance UID.

    Raises
    ------
    InvalidArgumentError
        If a group is not a usable plane, a plane has no pixel on the image (it would be
        an empty segment), the image lacks what a SEG must reference, ``series_uid``
        is not a valid UID, or (``labelmap``) two planes overlap.
    """
    import highdicom as hd

    planes = chosen_planes(ds, groups)
    header = source_header(ds, "a SEG")
    info = image_info(ds)
    masks = np.stack([image_mask(ds, p.group) for p in planes], axis=-1)  # (frames, rows, cols, segments)
    for i, plane in enumerate(planes):
        if not masks[..., i].any():
            raise InvalidArgumentError(
                f"Overlay group {plane.group_hex} has no pixel on the image, so it would be an "
                "empty segment; leave it out."
            )
    if labelmap:
        _refuse_overlap(planes, masks)
    descriptions = [_description(p, i + 1, (labels or {}).get(p.group)) for i, p in enumerate(planes)]
    common: dict[str, Any] = dict(
        segmentation_type="LABELMAP" if labelmap else "BINARY", segment_descriptions=descriptions,
        **new_instance(series_number, series_uid=series_uid), content_label="OVERLAYS",
        content_description="Overlay planes converted to segments",
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if info.frames == 1:
                seg: Dataset = hd.seg.Segmentation(
                    source_images=[header], pixel_array=masks.astype(np.uint8), **common
                )
            elif labelmap:
                seg = multi_frame_labelmap(header, masks, common)
            else:
                seg = multi_frame_seg(header, masks, common)
    except OverlayError:
        raise
    except Exception as exc:
        raise InvalidArgumentError(f"highdicom could not make a SEG of this image: {clause(exc)}.") from None
    complete_derived(seg, header)
    return seg


def _refuse_overlap(planes: Sequence[OverlayPlane], masks: NDArray[np.bool_]) -> None:
    """Refuse planes that share a pixel: a label map holds one segment per pixel."""
    for i in range(len(planes)):
        for j in range(i + 1, len(planes)):
            shared = int(np.count_nonzero(masks[..., i] & masks[..., j]))
            if shared:
                raise InvalidArgumentError(
                    f"Overlay groups {planes[i].group_hex} and {planes[j].group_hex} overlap in {shared} "
                    "pixel(s), so they cannot share a LABELMAP SEG; export a BINARY SEG instead."
                )


# --------------------------------------------------------------------------- reading


def read_segments(seg: Dataset) -> list[SegmentInfo]:
    """Return the segments a SEG describes, in segment-number order.

    Raises
    ------
    InvalidArgumentError
        If the dataset is not a DICOM Segmentation.
    """
    if str(seg.get("SOPClassUID", "")) not in (SEGMENTATION_STORAGE, LABELMAP_SEGMENTATION_STORAGE) \
            or "SegmentSequence" not in seg:
        raise InvalidArgumentError("The file is not a DICOM Segmentation (SEG).")
    out = []
    for item in seg.SegmentSequence:
        if int(item.SegmentNumber) == 0:
            continue  # a label map's background (highdicom describes it): not a segment to import
        out.append(SegmentInfo(
            number=int(item.SegmentNumber),
            label=str(item.get("SegmentLabel", "") or "").strip(),
            description=str(item.get("SegmentDescription", "") or "").strip(),
            algorithm_type=str(item.get("SegmentAlgorithmType", "") or "").strip(),
        ))
    return sorted(out, key=lambda s: s.number)


def segment_masks(
    ds: Dataset, seg: Dataset, segments: Sequence[int] | None = None
) -> dict[int, NDArray[np.bool_]]:
    """Return each chosen segment as an image-space mask ``(frames, rows, cols)`` of ``ds``.

    SEG frames go to the image frames they reference; a FRACTIONAL segment is set where
    its value is at least one half.

    Raises
    ------
    WrongReferenceError
        If the SEG, or a chosen segment, references no frame of this image.
    InvalidArgumentError
        If ``seg`` is not a SEG, a segment number does not exist or is empty, or the
        SEG's size differs from the image's.
    """
    import highdicom as hd

    described = {s.number: s for s in read_segments(seg)}
    chosen = list(described) if segments is None else list(dict.fromkeys(int(n) for n in segments))
    for number in chosen:
        if number not in described:
            raise InvalidArgumentError(
                f"The SEG has no segment {number}; its segments are {_numbers(described)}."
            )
    info = image_info(ds)
    uid = str(ds.get("SOPInstanceUID", "") or "")
    refs = frame_references(seg, uid)
    if not refs or not uid:
        raise WrongReferenceError(
            "The SEG does not reference this image (no SEG frame names its SOP Instance UID)."
        )
    if (int(seg.Rows), int(seg.Columns)) != (info.rows, info.columns):
        raise InvalidArgumentError(
            f"The SEG is {seg.Rows} x {seg.Columns} pixels but the image is {info.rows} x {info.columns}."
        )
    frames_present = {n for item in seg.get("PerFrameFunctionalGroupsSequence", [])
                      for n in frame_segments(seg, item)}
    for number in chosen:
        name = _segment_name(described[number])
        if number not in frames_present:
            raise InvalidArgumentError(f"{name} is empty (the SEG has no frame for it).")
        if number not in refs:
            raise WrongReferenceError(f"{name} does not reference this image.")
        if None in refs[number] and info.frames > 1:
            raise InvalidArgumentError(
                f"{name} references this multi-frame image without saying which frame "
                "(Referenced Frame Number is missing)."
            )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = hd.seg.Segmentation.from_dataset(seg, copy=True)
            if info.frames == 1:
                pixels = parsed.get_pixels_by_source_instance(
                    [uid], segment_numbers=chosen, combine_segments=False,
                    ignore_spatial_locations=True)
            else:
                pixels = parsed.get_pixels_by_source_frame(
                    uid, list(range(1, info.frames + 1)), segment_numbers=chosen,
                    combine_segments=False, ignore_spatial_locations=True,
                    assert_missing_frames_are_empty=True)
    except OverlayError:
        raise
    except Exception as exc:
        raise InvalidArgumentError(f"highdicom could not read the SEG's pixels: {clause(exc)}.") from None
    out: dict[int, NDArray[np.bool_]] = {}
    for i, number in enumerate(chosen):
        mask = np.asarray(pixels[..., i]) >= (0.5 if pixels.dtype.kind == "f" else 1)
        if not mask.any():
            raise InvalidArgumentError(f"{_segment_name(described[number])} has no pixel set on this image.")
        out[number] = mask.reshape(info.shape)
    return out


def _numbers(described: Mapping[int, SegmentInfo]) -> str:
    return ", ".join(str(n) for n in described) or "none"


def _segment_name(info: SegmentInfo) -> str:
    return f'Segment {info.number} ("{info.label}")' if info.label else f"Segment {info.number}"


def import_seg(
    ds: Dataset, seg: Dataset, segments: Sequence[int] | None = None, crop: bool = False
) -> list[OverlayPlane]:
    r"""Add a SEG's segments to the image as planes in the first free groups.

    Each plane is image-sized at origin ``1\1`` (frame-specific on a multi-frame image),
    labelled from the segment; with ``crop`` it shrinks to its content, nothing moving on
    the image. All or nothing: on any error ``ds`` is unchanged.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The image; changed in place.
    seg : pydicom.dataset.Dataset
        A SEG that references ``ds``.
    segments : sequence of int, optional
        Segment numbers to import, in order; default all.
    crop : bool, optional
        Crop each new plane to its set pixels.

    Returns
    -------
    list of OverlayPlane
        The new planes, in segment order.

    Raises
    ------
    WrongReferenceError, InvalidArgumentError
        As :func:`segment_masks`; also when there are more segments than free groups.
    """
    masks = segment_masks(ds, seg, segments)
    described = {s.number: s for s in read_segments(seg)}
    free = free_groups([ds])
    if len(masks) > len(free):
        raise InvalidArgumentError(
            f"The SEG has {len(masks)} segment(s) to import but the image has only {len(free)} free "
            "overlay group(s); choose fewer segments."
        )
    planned: list[Planned] = []
    for group, (number, mask) in zip(free, masks.items(), strict=False):
        info = described[number]
        attrs = Attributes(
            origin=(1, 1), type="G", subtype=subtype_of(info.algorithm_type),
            label=clean_lo(info.label), description=clean_lo(info.description),
        )
        planned.append((group, [mask], attrs))
    return add_planes([ds], planned, then=crop_plane if crop else None)[0]


# --------------------------------------------------------------------------- bytes, checked


def seg_bytes(
    ds: Dataset,
    groups: Iterable[int] | None = None,
    labels: Mapping[int, str] | None = None,
    series_uid: str | None = None,
    labelmap: bool = False,
) -> bytes:
    """Return a SEG of the planes as file bytes, after reading them back and checking them.

    The bytes are read with :func:`overlay_core.planes.reading.load` and highdicom, and every
    segment must equal its plane as placed on the image, bit for bit. The SEG goes into
    the series ``series_uid``, or a new one (see :func:`export_seg`); ``labelmap``
    writes a LABELMAP SEG.

    Raises
    ------
    OverlayError
        As :func:`export_seg`, or when the SEG read back differs.
    """
    planes = chosen_planes(ds, groups)
    seg = export_seg(ds, [p.group for p in planes], labels, series_uid=series_uid, labelmap=labelmap)
    data = to_bytes(seg)
    reread = load(data)
    masks = segment_masks(ds, reread)
    for number, plane in enumerate(planes, start=1):
        if not np.array_equal(masks[number], image_mask(ds, plane.group)):
            raise OverlayError(
                f"The SEG read back differs from plane {plane.group_hex}, so it is not offered."
            )
    try:
        import highdicom as hd

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            hd.seg.segread(io.BytesIO(data))
    except Exception as exc:
        raise OverlayError(f"highdicom cannot read the SEG written: {clause(exc)}.") from None
    return data
