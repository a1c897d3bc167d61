r"""Statistics of a plane: set pixels, area, bounding box, and the image's values under it.

Per image frame the plane lies on (a plane without frame attributes lies on every frame):
the set pixels on the image, the area in mm² by (0028,0030) *Pixel Spacing* (``None``
without it), the bounding box in 1-based image rows and columns (as Overlay Origin counts
them), and the mean, standard deviation (population, ``ddof=0``), minimum and maximum of the
Modality LUT values (Rescale Slope/Intercept applied) under the set pixels. ``total`` pools
every frame. When the image's values cannot be read (colour, undecodable), the value
statistics are ``None`` and ``values_note`` says why.

Speed (issue 18: a 4096² plane in 0.1 s): each frame is read in the plane's own bits, only
on the part of them that lies on the image and only inside their bounding box, never as an
image-sized mask; the image frame is decoded once, and for 8- and 16-bit images the values
under the plane are counted per stored bit pattern (:func:`numpy.bincount`) and summed from the
Modality LUT table of :class:`~overlay_core.render.pixels.FrameValues`, with no float copy of
the pixels.

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
from overlay_core.planes.placement import frame_map, image_shape, origin_from_offset, plane_window
from overlay_core.planes.reading import read_planes, unpack_plane
from overlay_core.planes.writing import Attributes, set_attributes
from overlay_core.render.pixels import FrameValues, frame_values

__all__ = [
    "FrameStatistics",
    "LastFrame",
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


#: Rows of the plane's box counted at once (see :meth:`_Sums.under`).
_BAND = 256


@dataclass(frozen=True)
class _OnImage:
    """A plane frame's set pixels on the image: their bounding box (0-based, end excluded) and count."""

    rows: slice
    cols: slice
    mask: NDArray[np.bool_]  # the plane's bits inside the box
    count: int

    def box(self) -> tuple[int, int, int, int]:
        """Return the box as 1-based first row, first column, last row, last column."""
        top, left = origin_from_offset((self.rows.start, self.cols.start))
        bottom, right = origin_from_offset((self.rows.stop - 1, self.cols.stop - 1))
        return (top, left, bottom, right)


def _on_image(plane: OverlayPlane, bits: NDArray[np.bool_], rows: int, cols: int) -> _OnImage | None:
    """Find one plane frame's set pixels on a ``rows x cols`` image (``None`` when there are none).

    >>> p = OverlayPlane(0x6000, 3, 3, origin=(0, 0))
    >>> bits = np.zeros((3, 3), bool); bits[0, 0] = bits[2, 1] = bits[1, 2] = True
    >>> found = _on_image(p, bits, 4, 4); found.box(), found.count
    ((1, 1, 2, 2), 2)
    """
    window = plane_window(plane, rows, cols)
    if window is None:
        return None
    image_rows, image_cols, plane_rows, plane_cols = window
    on = bits[plane_rows, plane_cols]
    used = np.flatnonzero(on.any(axis=1))
    if not used.size:
        return None
    on = on[used[0]:used[-1] + 1]
    across = np.flatnonzero(on.any(axis=0))
    on = on[:, across[0]:across[-1] + 1]
    top, left = image_rows.start + int(used[0]), image_cols.start + int(across[0])
    return _OnImage(slice(top, top + on.shape[0]), slice(left, left + on.shape[1]), on,
                    int(np.count_nonzero(on)))


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

    @classmethod
    def under(cls, reader: FrameValues, found: _OnImage) -> _Sums:
        """Sum the values under ``found``: by a count per stored bit pattern where it can."""
        if reader.table is None:
            return cls.of(reader.values(found.rows, found.cols)[found.mask])
        patterns, counts = reader.patterns(found.rows, found.cols), np.zeros(reader.table.size, np.int64)
        # By bands of rows: bincount copies its input to intp, and a band's copy stays in cache
        # (twice as fast as one count of the whole box on a 4096² plane).
        for top in range(0, patterns.shape[0], _BAND):
            band = slice(top, top + _BAND)
            counts += np.bincount(patterns[band][found.mask[band]], minlength=reader.table.size)
        present = np.flatnonzero(counts)
        values, weights = reader.table[present], counts[present].astype(np.float64)
        return cls(found.count, float(np.dot(weights, values)), float(np.dot(weights, values * values)),
                   float(values.min()), float(values.max()))

    def moments(self) -> tuple[float | None, float | None, float | None, float | None]:
        if not self.count:
            return None, None, None, None
        mean = self.total / self.count
        sd = float(np.sqrt(max(self.squares / self.count - mean * mean, 0.0)))
        return mean, sd, self.low, self.high


class LastFrame:
    """The image frame read last, kept for the rest of one call (statistics of every plane).

    Planes on one frame then share one decoding; holding one frame only keeps a long
    multi-frame image from filling memory. Made per call and dropped with it.
    """

    def __init__(self, ds: Dataset) -> None:
        self._ds = ds
        self._frame: int | None = None
        self._got: FrameValues | UnsupportedError | None = None

    def read(self, frame: int) -> FrameValues:
        """Return image frame ``frame`` read (raise its :class:`UnsupportedError` again if it failed)."""
        if self._frame != frame or self._got is None:
            try:
                self._got = frame_values(self._ds, frame)
            except UnsupportedError as exc:
                self._got = exc
            self._frame = frame
        if isinstance(self._got, UnsupportedError):
            raise self._got
        return self._got


def _frame(number: int, found: _OnImage | None, reader: FrameValues | None,
           area: float | None, sums: _Sums) -> FrameStatistics:
    """Statistics of one frame; ``reader`` reads its values (``None`` when they cannot be read)."""
    if found is None:
        return FrameStatistics(number, 0, None if area is None else 0.0, None, None, None, None, None)
    here = _Sums.under(reader, found) if reader is not None else _Sums()
    sums.add(here)
    area_mm2 = None if area is None else found.count * area
    return FrameStatistics(number, found.count, area_mm2, found.box(), *here.moments())


def plane_statistics(ds: Dataset, group: int, frame: int | None = None,
                     frames: LastFrame | None = None) -> PlaneStatistics:
    """Return the statistics of the plane in ``group``: every frame, or 0-based image frame ``frame``.

    ``frames`` shares the frame read last with other calls on the same dataset (see
    :func:`with_statistics`); by default each frame is read here and dropped after it.

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
        found = _on_image(plane, bits[k], rows, cols)
        reader = None
        if note is None and found is not None:
            try:
                reader = frames.read(f) if frames is not None else frame_values(ds, f)
            except UnsupportedError as exc:
                note = str(exc)
        out.append(_frame(f + 1, found, reader, area, sums))
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
    """Add ``"statistics"`` to every plane of an ``info --json`` document (``None`` where unusable).

    Planes on the same image frame share one decoding of it (:class:`LastFrame`).
    """
    by_group = {p.group_hex: p.group for p in read_planes(ds)}
    frames = LastFrame(ds)
    for plane in doc.get("overlays", []):
        group = by_group.get(plane.get("group"))
        try:
            stats = None if group is None else plane_statistics(ds, group, frames=frames)
            plane["statistics"] = None if stats is None else stats.document()
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
