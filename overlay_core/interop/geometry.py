r"""Where an image's pixels lie in the patient: the geometry RTSTRUCT and NIfTI need.

DICOM (PS3.3 C.7.6.2.1.1) places the centre of pixel ``(row, col)`` (0-based) at

    P = (0020,0032) Image Position + col * Δc * X + row * Δr * Y

where X and Y are the row and column direction cosines of (0020,0037) *Image Orientation
(Patient)* (X points along a row, towards higher columns) and (0028,0030) *Pixel Spacing*
is ``Δr\Δc`` (the spacing between rows, then between columns). Coordinates are LPS
millimetres in the image's (0020,0052) *Frame of Reference*.

A single-frame image has one geometry; an enhanced multi-frame image has one per frame
(Plane Position, Plane Orientation and Pixel Measures functional groups, per frame or
shared). An image without them has no patient geometry and :func:`frame_geometries`
refuses it with one sentence.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from overlay_core.errors import InvalidArgumentError
from overlay_core.planes.reading import image_info

__all__ = ["FrameGeometry", "frame_geometries", "series_geometries"]

_Floats = NDArray[np.float64]
_NO_GEOMETRY = (
    "{what} has no patient geometry (Frame of Reference UID, Image Position and Orientation "
    "(Patient), Pixel Spacing), so {purpose} cannot be placed in the patient; nothing was written."
)


@dataclass(frozen=True, eq=False)
class FrameGeometry:
    """One image frame in the patient coordinate system (LPS, mm).

    Attributes
    ----------
    position : numpy.ndarray
        ``(3,)`` centre of the top-left pixel.
    row_direction, column_direction : numpy.ndarray
        ``(3,)`` unit vectors X (along a row) and Y (down a column).
    spacing : tuple of float
        ``(Δr, Δc)``: between rows, between columns.
    frame_of_reference : str
        (0020,0052) *Frame of Reference UID*.
    """

    position: NDArray[np.float64]
    row_direction: NDArray[np.float64]
    column_direction: NDArray[np.float64]
    spacing: tuple[float, float]
    frame_of_reference: str
    normal: NDArray[np.float64] = field(init=False)  # the slice normal X × Y

    def __post_init__(self) -> None:
        object.__setattr__(self, "normal", np.cross(self.row_direction, self.column_direction))

    def to_patient(self, rows: NDArray[np.float64], cols: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return the patient points ``(n, 3)`` of (fractional) pixel coordinates.

        >>> x, y = np.array([1., 0, 0]), np.array([0., 1, 0])
        >>> g = FrameGeometry(np.array([10., 0, 0]), x, y, (2.0, 0.5), "1")
        >>> g.to_patient(np.array([1.0]), np.array([4.0])).tolist()
        [[12.0, 2.0, 0.0]]
        """
        dr, dc = self.spacing
        return (self.position[None, :] + np.outer(cols * dc, self.row_direction)
                + np.outer(rows * dr, self.column_direction))

    def to_pixels(self, points: NDArray[np.float64]) -> tuple[_Floats, _Floats, _Floats]:
        """Return ``(rows, cols, distance)`` of patient points: pixel coordinates and distance off the plane.

        >>> x, y = np.array([1., 0, 0]), np.array([0., 1, 0])
        >>> g = FrameGeometry(np.array([10., 0, 0]), x, y, (2.0, 0.5), "1")
        >>> [v.tolist() for v in g.to_pixels(np.array([[12.0, 2.0, 0.25]]))]
        [[1.0], [4.0], [0.25]]
        """
        d = np.asarray(points, dtype=np.float64) - self.position[None, :]
        dr, dc = self.spacing
        return d @ self.column_direction / dr, d @ self.row_direction / dc, d @ self.normal

    def affine(self) -> NDArray[np.float64]:
        """Return the 4 x 4 LPS affine of voxel ``(col, row, 0)`` (slice axis: the normal, 1 mm)."""
        dr, dc = self.spacing
        out = np.eye(4)
        out[:3, 0] = self.row_direction * dc
        out[:3, 1] = self.column_direction * dr
        out[:3, 2] = self.normal
        out[:3, 3] = self.position
        return out


def _floats(value: object, count: int) -> NDArray[np.float64] | None:
    try:
        numbers = [float(v) for v in value]  # type: ignore[attr-defined]
    except (TypeError, ValueError, OverflowError):
        return None
    if len(numbers) != count or not all(math.isfinite(n) for n in numbers):
        return None
    return np.asarray(numbers, dtype=np.float64)


def _item(seq_owner: Dataset | None, keyword: str) -> Dataset | None:
    if seq_owner is None:
        return None
    seq = seq_owner.get(keyword)
    return seq[0] if seq else None


def _one(position: object, orientation: object, spacing: object, frame_of_reference: str
         ) -> FrameGeometry | None:
    ipp, iop, ps = _floats(position, 3), _floats(orientation, 6), _floats(spacing, 2)
    if ipp is None or iop is None or ps is None or not frame_of_reference or min(ps) <= 0:
        return None
    x, y = iop[:3], iop[3:]
    if abs(np.linalg.norm(x) - 1) > 1e-3 or abs(np.linalg.norm(y) - 1) > 1e-3 or abs(x @ y) > 1e-3:
        return None
    return FrameGeometry(ipp, x / np.linalg.norm(x), y / np.linalg.norm(y), (float(ps[0]), float(ps[1])),
                         frame_of_reference)


def frame_geometries(ds: Dataset, purpose: str = "contours", what: str = "The image") -> list[FrameGeometry]:
    """Return the geometry of each frame of an image.

    Raises
    ------
    InvalidArgumentError
        If any frame lacks a Frame of Reference, position, orientation or spacing
        (one sentence, naming ``what`` and ``purpose``).
    """
    frames = image_info(ds).frames
    uid = str(ds.get("FrameOfReferenceUID", "") or "").strip()
    if "PerFrameFunctionalGroupsSequence" not in ds:
        one = _one(ds.get("ImagePositionPatient"), ds.get("ImageOrientationPatient"),
                   ds.get("PixelSpacing"), uid)
        if one is None or frames != 1:
            raise InvalidArgumentError(_NO_GEOMETRY.format(what=what, purpose=purpose))
        return [one]
    shared = _item(ds, "SharedFunctionalGroupsSequence")
    per_frame = list(ds.PerFrameFunctionalGroupsSequence)
    if len(per_frame) != frames:
        raise InvalidArgumentError(_NO_GEOMETRY.format(what=what, purpose=purpose))
    out = []
    for item in per_frame:
        def attr(group: str, keyword: str, item: Dataset = item) -> object:
            found = _item(item, group) or _item(shared, group)
            return None if found is None else found.get(keyword)

        one = _one(attr("PlanePositionSequence", "ImagePositionPatient"),
                   attr("PlaneOrientationSequence", "ImageOrientationPatient"),
                   attr("PixelMeasuresSequence", "PixelSpacing"), uid)
        if one is None:
            raise InvalidArgumentError(_NO_GEOMETRY.format(what=what, purpose=purpose))
        out.append(one)
    return out


def series_geometries(datasets: Sequence[Dataset], purpose: str = "contours") -> list[list[FrameGeometry]]:
    """Return :func:`frame_geometries` of each image; all must share one Frame of Reference.

    Raises
    ------
    InvalidArgumentError
        If an image has no geometry, or two images have different Frames of Reference.
    """
    names = [f"Image {i + 1} of the series" for i in range(len(datasets))]
    if len(datasets) == 1:
        names = ["The image"]
    out = [frame_geometries(ds, purpose, name) for ds, name in zip(datasets, names, strict=True)]
    uids = {g.frame_of_reference for frames in out for g in frames}
    if len(uids) > 1:
        raise InvalidArgumentError(
            f"The images have {len(uids)} different Frames of Reference, so {purpose} cannot share one; "
            "give the images of one series."
        )
    return out
