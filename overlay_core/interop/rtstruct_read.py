r"""Reading RT Structure Sets: their ROIs, and their contours filled on the images as planes.

Each ROI becomes a plane on the images it has contours on, found by the contour's
(3006,0016) *Contour Image Sequence* or, for files that give none (in the images' Frame
of Reference only), by the plane the contour lies in. Closed planar contours are filled
by the even-odd rule (:func:`overlay_core.interop.contours.fill_polygons`), so holes and
islands in holes come back, whoever wrote the file (rt-utils, a planning system, us).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.uid import UID

from overlay_core.errors import InvalidArgumentError, WrongReferenceError
from overlay_core.interop.contours import fill_polygons
from overlay_core.interop.geometry import FrameGeometry, series_geometries
from overlay_core.interop.new_planes import Planned, add_planes, clean_lo, free_groups, subtype_of
from overlay_core.model import OverlayPlane
from overlay_core.planes.reading import image_info
from overlay_core.planes.writing import Attributes

__all__ = [
    "CONTOUR_DATA",
    "RTSTRUCT_STORAGE",
    "RoiInfo",
    "import_rtstruct",
    "is_rtstruct",
    "read_rois",
    "roi_masks",
]

RTSTRUCT_STORAGE = UID("1.2.840.10008.5.1.4.1.1.481.3")
#: (3006,0050) *Contour Data*, read (and written) still encoded: see :func:`_points`.
CONTOUR_DATA = 0x30060050


@dataclass(frozen=True)
class RoiInfo:
    """One ROI of a structure set.

    Attributes
    ----------
    number : int
        (3006,0022) *ROI Number*.
    name, description, algorithm : str
        (3006,0026), (3006,0028), (3006,0036).
    """

    number: int
    name: str
    description: str
    algorithm: str


def is_rtstruct(ds: Dataset) -> bool:
    """Say whether a dataset is an RT Structure Set.

    >>> ds = Dataset(); ds.SOPClassUID = RTSTRUCT_STORAGE; is_rtstruct(ds)
    True
    """
    sop_class = str(ds.get("SOPClassUID", "") or "")
    return sop_class == RTSTRUCT_STORAGE or str(ds.get("Modality", "")) == "RTSTRUCT"



def read_rois(rs: Dataset) -> list[RoiInfo]:
    """Return the ROIs a structure set describes, in ROI-number order.

    Raises
    ------
    InvalidArgumentError
        If the dataset is not an RT Structure Set.
    """
    if not is_rtstruct(rs) or "StructureSetROISequence" not in rs:
        raise InvalidArgumentError("The file is not an RT Structure Set (RTSTRUCT).")
    out = []
    for item in rs.StructureSetROISequence:
        try:
            number = int(item.ROINumber)
        except (AttributeError, TypeError, ValueError):
            raise InvalidArgumentError("The RT Structure Set has an ROI without a valid ROI Number.") \
                from None
        out.append(RoiInfo(number, str(item.get("ROIName", "") or "").strip(),
                           str(item.get("ROIDescription", "") or "").strip(),
                           str(item.get("ROIGenerationAlgorithm", "") or "").strip()))
    return sorted(out, key=lambda r: r.number)


def _points(item: Dataset) -> NDArray[np.float64] | None:
    """Return a contour's points ``(n, 3)``, or None when it has fewer than three."""
    if CONTOUR_DATA not in item:
        return None
    raw = item.get_item(CONTOUR_DATA)  # still encoded when read from a file: parse it at once
    try:
        if isinstance(raw, RawDataElement) and isinstance(raw.value, bytes):
            array = np.asarray(raw.value.strip(b" \0").split(b"\\"), dtype=np.float64)
        else:
            value = item[CONTOUR_DATA].value
            values = value if isinstance(value, (MultiValue, list, tuple)) else [value]
            array = np.asarray([float(v) for v in values], dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidArgumentError(
            "The RT Structure Set has a contour whose Contour Data is not numbers."
        ) from None
    if array.size < 9 or array.size % 3 or not np.isfinite(array).all():
        return None
    return array.reshape(-1, 3)


class _Frames:
    """Every frame of the images, to find the one a contour lies on."""

    def __init__(self, ordered: Sequence[Dataset], geometries: Sequence[Sequence[FrameGeometry]]) -> None:
        self.by_uid = {str(ds.SOPInstanceUID): i for i, ds in enumerate(ordered)}
        self.frames = [(i, f, g) for i, frames in enumerate(geometries) for f, g in enumerate(frames)]
        positions = sorted({round(float(g.position @ g.normal), 4) for _, _, g in self.frames})
        gaps = np.diff(positions) if len(positions) > 1 else np.array([2.0])
        self.tolerance = max(float(np.min(gaps)) / 2, 1e-3)

    def find(self, item: Dataset, points: NDArray[np.float64], by_plane: bool) -> tuple[int, int] | None:
        """Return (image index, frame) of a contour: by its reference, else (``by_plane``) by its plane."""
        candidates = self.frames if by_plane else []
        referenced = False
        for ref in item.get("ContourImageSequence") or []:
            index = self.by_uid.get(str(ref.get("ReferencedSOPInstanceUID", "")))
            if index is not None:
                number = ref.get("ReferencedFrameNumber")
                candidates = [c for c in self.frames if c[0] == index
                              and (number in (None, "") or c[1] == int(number) - 1)]
                referenced = True
                break
        best: tuple[float, int, int] | None = None
        for index, frame, geometry in candidates:
            off = float(np.max(np.abs(geometry.to_pixels(points)[2])))
            if best is None or off < best[0]:
                best = (off, index, frame)
        # By its plane, a contour must lie on a slice (within half the gap to the next);
        # a contour that names its image goes there (of several frames, the nearest).
        if best is None or ((not referenced or len(candidates) > 1) and best[0] > self.tolerance):
            return None
        return best[1], best[2]


def roi_masks(
    datasets: Sequence[Dataset], rs: Dataset, rois: Sequence[int] | None = None
) -> dict[int, list[NDArray[np.bool_]]]:
    """Return each chosen ROI as image-space masks, one ``(frames, rows, cols)`` per image.

    The masks follow the order of ``datasets``. Closed planar contours are filled by the
    even-odd rule on the image frame they reference, or (without a reference to one of
    these images) the frame whose plane they lie in; other contours are ignored.

    Raises
    ------
    InvalidArgumentError
        If ``rs`` is not an RT Structure Set, an ROI number does not exist, or an image
        has no patient geometry.
    WrongReferenceError
        If a chosen ROI has no contour on these images.
    """
    described = {r.number: r for r in read_rois(rs)}
    chosen = list(described) if rois is None else list(dict.fromkeys(int(n) for n in rois))
    for number in chosen:
        if number not in described:
            names = ", ".join(str(n) for n in described) or "none"
            raise InvalidArgumentError(f"The RT Structure Set has no ROI {number}; its ROIs are {names}.")
    geometries = series_geometries(list(datasets), "the structures")
    frames = _Frames(datasets, geometries)
    shapes = [image_info(ds).shape for ds in datasets]
    polygons: dict[int, dict[tuple[int, int], list[NDArray[np.float64]]]] = {n: {} for n in chosen}
    # A contour that names none of these images is placed by the plane it lies in, but only
    # in the images' Frame of Reference: another one has other coordinates.
    ours = geometries[0][0].frame_of_reference
    same_frame = {int(item.ROINumber): str(item.get("ReferencedFrameOfReferenceUID", "") or "") in ("", ours)
                  for item in rs.StructureSetROISequence}
    for contour in rs.get("ROIContourSequence") or []:
        number = int(contour.get("ReferencedROINumber", -1))
        if number not in polygons:
            continue
        for item in contour.get("ContourSequence") or []:
            if str(item.get("ContourGeometricType", "")).strip() != "CLOSED_PLANAR":
                continue
            points = _points(item)
            if points is None:
                continue
            where = frames.find(item, points, same_frame.get(number, False))
            if where is None:
                continue
            rows, cols, _ = geometries[where[0]][where[1]].to_pixels(points)
            polygons[number].setdefault(where, []).append(np.stack([rows, cols], axis=1))
    out: dict[int, list[NDArray[np.bool_]]] = {}
    for number in chosen:
        masks = [np.zeros(shape, dtype=bool) for shape in shapes]
        for (index, frame), found in polygons[number].items():
            masks[index][frame] = fill_polygons(found, shapes[index][1:])
        if not any(m.any() for m in masks):
            raise WrongReferenceError(f"{_roi_name_of(described[number])} has no contour on these images.")
        out[number] = masks
    return out


def _roi_name_of(info: RoiInfo) -> str:
    return f'ROI {info.number} ("{info.name}")' if info.name else f"ROI {info.number}"


def import_rtstruct(
    datasets: Sequence[Dataset], rs: Dataset, rois: Sequence[int] | None = None
) -> list[list[OverlayPlane]]:
    r"""Add a structure set's ROIs as planes on the images they have contours on.

    Each ROI goes into one group, the first free on every image (so a series has each
    structure in the same group), as an image-sized plane at origin ``1\1`` labelled with
    the ROI name, on each image where it has pixels. All or nothing: on any error no
    image is changed.

    Returns
    -------
    list of list of OverlayPlane
        The new planes of each image, in the order of ``datasets``.

    Raises
    ------
    InvalidArgumentError, WrongReferenceError
        As :func:`roi_masks`; also when there are more ROIs than free groups.
    """
    masks = roi_masks(datasets, rs, rois)
    described = {r.number: r for r in read_rois(rs)}
    free = free_groups(datasets)
    if len(masks) > len(free):
        raise InvalidArgumentError(
            f"The RT Structure Set has {len(masks)} ROI(s) to import but only {len(free)} overlay group(s) "
            "are free on every image; choose fewer ROIs."
        )
    planned: list[Planned] = []
    for group, (number, per_image) in zip(free, masks.items(), strict=False):
        info = described[number]
        attrs = Attributes(origin=(1, 1), type="R", subtype=subtype_of(info.algorithm),
                           label=clean_lo(info.name), description=clean_lo(info.description))
        planned.append((group, per_image, attrs))
    return add_planes(datasets, planned)
