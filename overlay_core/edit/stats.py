r"""Statistics of a plane: set pixels, area, bounding box, and the image's values under it.

Per image frame the plane lies on (a plane without frame attributes lies on every frame):
the set pixels on the image, the area in mm² by (0028,0030) *Pixel Spacing* (``None``
without it), the bounding box in 1-based image rows and columns (as Overlay Origin counts
them), and the mean, standard deviation (population, ``ddof=0``), minimum and maximum of the
Modality LUT values (Rescale Slope/Intercept applied) under the set pixels. ``total`` pools
every frame. When the image's values cannot be read (colour, undecodable), the value
statistics are ``None`` and ``values_note`` says why.

This module lives in :mod:`overlay_core.edit` rather than :mod:`overlay_core.audit` because
it needs the image's values (:mod:`overlay_core.render.pixels`) and writes (60xx,1301)
*ROI Area*, (60xx,1302) *ROI Mean* and (60xx,1303) *ROI Standard Deviation*
(:func:`write_roi_statistics`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from overlay_core.checks import check_frame_index
from overlay_core.dataset.spacing import pixel_spacing
from overlay_core.errors import InvalidArgumentError, OverlayError, UnsupportedError
from overlay_core.model import OverlayPlane, OverlayType
from overlay_core.planes.placement import frame_map, image_shape, origin_from_offset, to_image_space
from overlay_core.planes.reading import read_planes, unpack_plane
from overlay_core.planes.writing import Attributes, set_attributes
from overlay_core.render.pixels import modality_under

__all__ = [
    "FrameStatistics",
    "PlaneStatistics",
    "plane_statistics",
    "statistics_lines",
    "with_statistics",
    "write_roi_statistics",
]


@dataclass(frozen=True)
class FrameStatistics:
    """Statistics of one image frame (``frame`` is 1-based; 0 for the pooled total)."""

    frame: int
    set_pixels: int
    area_mm2: float | None
    bounding_box: tuple[int, int, int, int] | None  # first row, first col, last row, last col (1-based)
    mean: float | None
    sd: float | None
    minimum: float | None
    maximum: float | None


@dataclass(frozen=True)
class PlaneStatistics:
    """Statistics of one plane, per frame and pooled."""

    group: str
    spacing: tuple[float, float] | None
    frames: tuple[FrameStatistics, ...]
    total: FrameStatistics
    values_note: str | None

    def document(self) -> dict[str, Any]:
        """Return the statistics as a JSON-ready dict (tuples become lists)."""
        return asdict(self)


def _box(mask: NDArray[np.bool_]) -> tuple[int, int, int, int] | None:
    rows = np.flatnonzero(mask.any(axis=1))
    if not rows.size:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    top, left = origin_from_offset((int(rows[0]), int(cols[0])))
    bottom, right = origin_from_offset((int(rows[-1]), int(cols[-1])))
    return (top, left, bottom, right)


@dataclass
class _Sums:
    """Sums from which count, mean, SD, minimum and maximum follow (one pass each, no copies)."""

    count: int = 0
    total: float = 0.0
    squares: float = 0.0
    low: float = np.inf
    high: float = -np.inf

    def add(self, other: _Sums) -> None:
        self.count += other.count
        self.total += other.total
        self.squares += other.squares
        self.low, self.high = min(self.low, other.low), max(self.high, other.high)

    @classmethod
    def of(cls, values: NDArray[np.float64]) -> _Sums:
        # np.dot is one BLAS pass; values.std() makes two temporaries as large as the values.
        return cls(values.size, float(values.sum()), float(np.dot(values, values)),
                   float(values.min()), float(values.max()))

    def moments(self) -> tuple[float | None, float | None, float | None, float | None]:
        if not self.count:
            return None, None, None, None
        mean = self.total / self.count
        sd = float(np.sqrt(max(self.squares / self.count - mean * mean, 0.0)))
        return mean, sd, self.low, self.high


def _frame(number: int, mask: NDArray[np.bool_], values: NDArray[np.float64] | None,
           area: float | None, sums: _Sums) -> FrameStatistics:
    """Statistics of one frame; ``values`` are those under the mask."""
    count = int(np.count_nonzero(mask))
    here = _Sums.of(values) if values is not None and count else _Sums()
    sums.add(here)
    return FrameStatistics(number, count, None if area is None else count * area, _box(mask), *here.moments())


def plane_statistics(ds: Dataset, group: int, frame: int | None = None) -> PlaneStatistics:
    """Return the statistics of the plane in ``group``: every frame, or 0-based image frame ``frame``.

    Raises
    ------
    PlaneNotFoundError, InvalidOverlayError
        If the group holds no usable plane.
    InvalidArgumentError
        If the file has no image, or ``frame`` is out of range or not covered by the plane.
    """
    image_frames, rows, cols = image_shape(ds, "to measure the plane on")
    plane, bits, _ = unpack_plane(ds, group)
    pairs = frame_map(plane, image_frames)
    if frame is not None:
        check_frame_index(frame, image_frames, "the image")
        pairs = [(k, f) for k, f in pairs if f == frame]
        if not pairs:
            raise InvalidArgumentError(
                f"Overlay group {plane.group_hex} has no frame on image frame {frame + 1}."
            )
    spacing = pixel_spacing(ds)
    area = spacing[0] * spacing[1] if spacing else None
    note: str | None = None
    sums = _Sums()
    out = []
    for k, f in pairs:
        mask = to_image_space(plane, bits[k], rows, cols)
        values = None
        if note is None and mask.any():
            try:
                values = modality_under(ds, f, mask)
            except UnsupportedError as exc:
                note = str(exc)
        out.append(_frame(f + 1, mask, values, area, sums))
    count = sum(s.set_pixels for s in out)
    boxes = [s.bounding_box for s in out if s.bounding_box]
    box = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
           max(b[3] for b in boxes)) if boxes else None
    moments = sums.moments() if note is None else (None, None, None, None)
    total = FrameStatistics(0, count, None if area is None else count * area, box, *moments)
    return PlaneStatistics(plane.group_hex, spacing, tuple(out), total, note)


def write_roi_statistics(ds: Dataset, group: int) -> OverlayPlane:
    """Write (60xx,1301) ROI Area (set pixels), (60xx,1302) ROI Mean and (60xx,1303) ROI SD.

    The values pool every frame the plane lies on.

    Raises
    ------
    InvalidArgumentError
        If the plane is not of Type R, or has no set pixel on the image, or the image's
        values cannot be read.
    """
    plane, _, _ = unpack_plane(ds, group)
    if plane.type is not OverlayType.ROI:
        raise InvalidArgumentError(
            f"Overlay group {plane.group_hex} is of Type {plane.type.value}; "
            "ROI statistics belong to Type R planes."
        )
    stats = plane_statistics(ds, group)
    total = stats.total
    if total.mean is None or total.sd is None:
        reason = stats.values_note or "it has no set pixel on the image"
        raise InvalidArgumentError(
            f"Overlay group {plane.group_hex} has no ROI statistics to write: {reason}"
        )
    return set_attributes(ds, group, Attributes(roi_area=total.set_pixels, roi_mean=total.mean,
                                                roi_standard_deviation=total.sd))


def with_statistics(doc: dict[str, Any], ds: Dataset) -> dict[str, Any]:
    """Add ``"statistics"`` to every plane of an ``info --json`` document (``None`` where unusable)."""
    by_group = {p.group_hex: p.group for p in read_planes(ds)}
    for plane in doc.get("overlays", []):
        group = by_group.get(plane.get("group"))
        try:
            plane["statistics"] = None if group is None else plane_statistics(ds, group).document()
        except OverlayError:
            plane["statistics"] = None
    return doc


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.6g}"


def statistics_lines(stats: PlaneStatistics) -> list[str]:
    """Return the statistics as lines of text (the CLI's ``stats`` without ``--json``)."""
    unit = "no spacing" if stats.spacing is None else "mm²"
    lines = [f"Group {stats.group}: {stats.total.set_pixels} pixels set"
             + ("" if stats.total.area_mm2 is None else f", {stats.total.area_mm2:.6g} {unit}")
             + ("" if stats.spacing else " (no spacing)")]
    for s in (*stats.frames, stats.total) if len(stats.frames) > 1 else stats.frames:
        name = "all frames" if s.frame == 0 else f"frame {s.frame}"
        b = s.bounding_box
        box = "–" if b is None else f"rows {b[0]}–{b[2]}, columns {b[1]}–{b[3]}"
        lines.append(f"  {name}: {s.set_pixels} pixels; box {box}; mean {_number(s.mean)}, "
                     f"SD {_number(s.sd)}, min {_number(s.minimum)}, max {_number(s.maximum)}")
    if stats.values_note:
        lines.append(f"  values: {stats.values_note}")
    return lines
