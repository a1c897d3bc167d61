r"""Intensity-limited editing: the one range rule every tool and stroke shares (Slicer's *masking*).

With an :class:`IntensityRange` set, an edit may change only the image pixels whose value
lies in ``[low, high]`` (both included): whatever a brush, shape, fill or other tool does,
pixels outside the range keep the value they had before it. Values are the Modality LUT
values (Rescale Slope/Intercept applied: HU on CT), the same whatever the Photometric
Interpretation. Plane pixels off the image have no value, so they never change under a range.

The rule is applied *after* a change, by :func:`limited` (a context manager around any
edit), so the tools themselves need not know about it::

    with history.change(ds, "Brush"), limited(ds, group, IntensityRange(-100, 300)):
        apply_canvas(ds, group, drawing, view)
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from overlay_core.edit.history import History
from overlay_core.errors import InvalidArgumentError
from overlay_core.model import OverlayPlane
from overlay_core.planes.placement import frame_map, image_shape, origin_offset, to_plane_space
from overlay_core.planes.reading import overlay_groups, unpack_plane
from overlay_core.planes.writing import set_plane
from overlay_core.render.pixels import FrameValues, frame_values

__all__ = ["IntensityRange", "limited", "restrict"]


@dataclass(frozen=True)
class IntensityRange:
    """The values ``low`` to ``high`` (both included) an edit may change.

    >>> r = IntensityRange.parse("-100, 300")
    >>> r, r.contains(np.array([-101.0, -100, 300, 300.5])).tolist()
    (IntensityRange(low=-100.0, high=300.0), [False, True, True, False])
    """

    low: float
    high: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high)) or self.low > self.high:
            raise InvalidArgumentError(
                f"The intensity range must be two numbers with low <= high, not {self.low} to {self.high}."
            )

    @classmethod
    def parse(cls, text: str) -> IntensityRange:
        """Read ``"LOW,HIGH"`` (the CLI's ``--within``)."""
        parts = str(text).split(",")
        try:
            low, high = (float(p) for p in parts)
        except ValueError:
            raise InvalidArgumentError(
                f'"{text}" is not an intensity range; give two numbers as LOW,HIGH, e.g. -100,300.'
            ) from None
        return cls(low, high)

    def contains(self, values: NDArray[np.floating]) -> NDArray[np.bool_]:
        """Whether each value lies in the range."""
        return (values >= self.low) & (values <= self.high)

    def of_frame(self, values: FrameValues) -> NDArray[np.bool_]:
        """Whether each pixel of a frame (:func:`~overlay_core.render.pixels.frame_values`) is in range.

        The same flags as ``contains(modality_frame(ds, frame))``, without a float copy of the frame.
        """
        return values.within(self.low, self.high)


def _source_frame(before: OverlayPlane, after: OverlayPlane, k: int) -> int | None:
    """Return the frame of ``before`` on the image frame(s) of ``after``'s frame ``k``."""
    if not before.frame_specific:
        return 0
    if not after.frame_specific:
        return 0 if before.frames else None
    index = after.image_frame_origin + k - before.image_frame_origin
    return index if 0 <= index < before.frames else None


def _shifted(before: OverlayPlane, bits: NDArray[np.bool_], after: OverlayPlane) -> NDArray[np.bool_]:
    """Place one frame of ``before`` in ``after``'s box (both in absolute image coordinates)."""
    out = np.zeros((after.rows, after.columns), dtype=bool)
    (br, bc), (ar, ac) = origin_offset(before.origin), origin_offset(after.origin)
    r0, c0 = max(br, ar), max(bc, ac)
    r1, c1 = min(br + before.rows, ar + after.rows), min(bc + before.columns, ac + after.columns)
    if r0 < r1 and c0 < c1:
        out[r0 - ar:r1 - ar, c0 - ac:c1 - ac] = bits[r0 - br:r1 - br, c0 - bc:c1 - bc]
    return out


def restrict(
    ds: Dataset,
    group: int,
    before: tuple[OverlayPlane, NDArray[np.bool_]] | None,
    within: IntensityRange,
    values: dict[int, NDArray[np.bool_]] | None = None,
    image_frame: int | None = None,
) -> OverlayPlane | None:
    """Put back every pixel outside ``within`` to what it was ``before`` a change.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        Changed in place.
    group : int
        The plane that changed.
    before : (OverlayPlane, numpy.ndarray) or None
        The plane and its bits before the change; ``None`` if it did not exist (then
        pixels outside the range are unset).
    within : IntensityRange
        The range.
    values : dict, optional
        A cache of in-range masks by 0-based image frame, filled as frames are read.
    image_frame : int, optional
        The 0-based image frame edited (the app's shown frame): its values decide, and only
        the plane frame on it may change. By default every plane frame may change, where its
        pixels are in range on every image frame it lies on.

    Returns
    -------
    OverlayPlane or None
        The plane as now stored, ``None`` when the change removed it.
    """
    if group not in overlay_groups(ds):
        return None
    cache = {} if values is None else values
    frames = image_shape(ds, "to limit an edit to an intensity range")[0]
    after, bits, _ = unpack_plane(ds, group)
    final = bits.copy()
    allowed = np.zeros(after.shape, dtype=bool)
    seen: set[int] = set()
    for k, f in frame_map(after, frames):
        if image_frame is not None and f != image_frame:
            continue
        if f not in cache:
            cache[f] = within.of_frame(frame_values(ds, f))
        part = to_plane_space(after, cache[f])
        # A plane frame shown on several image frames may change where every one is in range.
        allowed[k] = allowed[k] & part if k in seen else part
        seen.add(k)
    for k in range(after.frames):
        old = np.zeros((after.rows, after.columns), dtype=bool)
        if before is not None:
            source = _source_frame(before[0], after, k)
            if source is not None:
                old = _shifted(before[0], before[1][source], after)
        final[k] = np.where(allowed[k], bits[k], old)
    if np.array_equal(final, bits):
        return after
    return set_plane(ds, group, final)


@contextmanager
def limited(ds: Dataset, group: int, within: IntensityRange | None,
            image_frame: int | None = None) -> Iterator[FrameValues | None]:
    """Limit the change made inside the block to the pixels whose value lies in ``within``.

    ``None`` limits nothing; ``image_frame`` as in :func:`restrict`. The image's values are
    read before the block runs, so an image without greyscale values fails before anything
    changes; if limiting fails afterwards, the change is undone and the error raised.

    The block gets the frame it read (image frame ``image_frame``, or 0), for a tool that
    reads values too, so the frame is decoded once per call: ``with limited(...) as values:
    fill(..., values=values)``. It is ``None`` when ``within`` is ``None``.

    Raises
    ------
    InvalidArgumentError, UnsupportedError
        If the file has no image, or its values cannot be read (colour, undecodable).

    Examples
    --------
    >>> ds = Dataset(); ds.Rows, ds.Columns = 1, 3; ds.BitsAllocated = ds.BitsStored = 8
    >>> ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    >>> ds.PixelRepresentation, ds.HighBit, ds.PixelData = 0, 7, bytes([10, 50, 90, 0])
    >>> from pydicom.uid import ExplicitVRLittleEndian
    >>> from pydicom.dataset import FileMetaDataset
    >>> ds.file_meta = FileMetaDataset(); ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    >>> _ = set_plane(ds, 0x6000, np.zeros((1, 3), bool))
    >>> with limited(ds, 0x6000, IntensityRange(40, 100)):
    ...     _ = set_plane(ds, 0x6000, np.ones((1, 3), bool))
    >>> unpack_plane(ds, 0x6000)[1].astype(int).tolist()
    [[[0, 1, 1]]]
    """
    if within is None:
        yield None
        return
    first = 0 if image_frame is None else image_frame
    values = frame_values(ds, first)
    cache = {first: within.of_frame(values)}
    before = unpack_plane(ds, group)[:2] if group in overlay_groups(ds) else None
    undo = History(max_items=1)
    undo.record(ds, "before the limited change")
    yield values
    try:
        restrict(ds, group, before, within, cache, image_frame)
    except BaseException:
        undo.undo(ds)
        raise
