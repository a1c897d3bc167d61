"""The editor's background, redrawn only where something changed.

A stroke changes one plane, so the editor keeps, per browser session, the layers a view
is made of and rebuilds only the stale ones:

* the frame shown in the view (the *base*: :func:`overlay_core.render.display.frame_view`, the
  rule every view of the core follows: a shrunk greyscale view averaged, then windowed),
  keyed by the Pixel Data's digest and the view;
* each plane's frame pooled to the view, keyed by a digest of that plane's elements. When
  a stroke changed a plane of the same size and place, only the band of display rows over
  the image rows whose bits changed is pooled again (:func:`_band_update`): the changed
  rows are found by comparing the packed Overlay Data, and only they are unpacked.

Painting the planes on the base (:func:`overlay_core.render.compose.compose` at display size) and
encoding the PNG are then all a stroke costs; the PNG of the last picture of each view is
kept, so a run that changed nothing encodes nothing. The memo lives in ``st.session_state`` (never
shared between sessions) and holds a few entries only.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from overlay_core.files.masks import encode_png
from overlay_core.model import OverlayPlane
from overlay_core.planes.placement import frame_map, origin_from_offset, origin_offset
from overlay_core.planes.reading import frame_bits, read_plane
from overlay_core.render.compose import compose, pool_mask
from overlay_core.render.display import frame_view
from overlay_core.render.geometry import Region, ViewGeometry, fit_view
from overlay_core.render.styles import PlaneStyle
from overlay_core.render.windowing import Voi
from studio.editor.views import signature
from studio.state import LoadedFile, State

__all__ = ["MEMO", "Background", "background", "group_digest", "plane_frame_for"]

#: Session-state key of the memo.
MEMO = "edit.layers"
#: Entries kept: a few frames, bases and plane layers.
MEMO_ENTRIES = 48


@dataclass(frozen=True)
class Background:
    """A rendered view: PNG bytes, its geometry, why the image is black (if it is), the window used."""

    png: bytes
    geometry: ViewGeometry
    missing_reason: str | None
    voi: Voi | None = None
    #: :func:`studio.editor.views.signature` of the picture (the browser checks it is shown).
    signature: list[list[int]] | None = None


def _memo(state: State) -> OrderedDict[tuple[Any, ...], Any]:
    memo = state.get(MEMO)
    if not isinstance(memo, OrderedDict):
        memo = OrderedDict()
        state[MEMO] = memo
    return memo


def _cached(memo: OrderedDict[tuple[Any, ...], Any], key: tuple[Any, ...], make: Any) -> Any:
    if key in memo:
        memo.move_to_end(key)
        return memo[key]
    value = make()
    memo[key] = value
    while len(memo) > MEMO_ENTRIES:
        memo.popitem(last=False)
    return value


def group_digest(ds: Dataset, group: int) -> str:
    """Return a digest of every element of one overlay group (changes when the plane does).

    >>> from overlay_core.planes.writing import set_plane
    >>> ds = Dataset(); _ = set_plane(ds, 0x6000, np.eye(2, dtype=bool))
    >>> a = group_digest(ds, 0x6000); _ = set_plane(ds, 0x6000, np.ones((2, 2), bool))
    >>> a == group_digest(ds, 0x6000)
    False
    """
    h = hashlib.sha1()
    for elem in ds.group_dataset(group):
        value = elem.value
        h.update(f"{int(elem.tag):08X}{elem.VR}".encode())
        h.update(bytes(value) if isinstance(value, (bytes, bytearray)) else repr(value).encode())
    return h.hexdigest()


def _digest(ds: Dataset, group: int, memo: OrderedDict[tuple[Any, ...], Any]) -> str:
    """Return :func:`group_digest`, hashing the Overlay Data only when it is a new object.

    A stroke replaces the (60xx,3000) value; a run that changed nothing reuses its digest
    (hashing 2 MB of a 4096² plane on every run, for the view and the overview, was wasted).
    """
    data = ds.get((group, 0x3000))
    value = data.value if data is not None else None
    known = memo.get(("data-ref", group))
    if known is None or known[0] is not value:
        known = (value, hashlib.sha1(bytes(value or b"")).hexdigest())
        memo[("data-ref", group)] = known
    h = hashlib.sha1(str(known[1]).encode())
    for elem in ds.group_dataset(group):
        if elem.tag.element != 0x3000:
            h.update(f"{int(elem.tag):08X}{elem.VR}{elem.value!r}".encode())
    return h.hexdigest()


def _frame_bits(memo: OrderedDict[tuple[Any, ...], Any], ds: Dataset, file_id: str, group: int, digest: str,
                frame: int) -> tuple[OverlayPlane, NDArray[np.bool_]]:
    """Unpack one plane frame once for the view and the overview alike; only the latest is kept."""
    key = ("bits", file_id, group, frame)
    known = memo.get(key)
    if known is None or known[0] != digest:
        known = (digest, *frame_bits(ds, group, frame))
        memo[key] = known
    return known[1], known[2]


def _shape_of(plane: OverlayPlane) -> tuple[Any, ...]:
    """Return what must not change for a pooled layer to be updated in place: size, place, frames."""
    return (plane.rows, plane.columns, plane.origin, plane.frames, plane.image_frame_origin,
            plane.frame_specific, plane.embedded)


def _data_of(ds: Dataset, plane: OverlayPlane) -> bytes | None:
    elem = None if plane.embedded else ds.get((plane.group, 0x3000))
    value = elem.value if elem is not None else None
    return value if isinstance(value, bytes) else None


def _row_spans(n: int, d: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Return, for each of ``d`` display rows, the first and end source rows it shows (of ``n``).

    As :func:`overlay_core.render.compose.pool_mask` pools: a shrunk display row gathers the
    source rows whose centres fall in it; an enlarged one shows the row under its centre.

    >>> [a.tolist() for a in _row_spans(4, 2)], [a.tolist() for a in _row_spans(2, 4)]
    ([[0, 2], [2, 4]], [[0, 0, 1, 1], [1, 1, 2, 2]])
    """
    k = np.arange(d, dtype=np.intp)
    if d > n:
        first = (2 * k + 1) * n // (2 * d)
        return first, first + 1
    first = (2 * k * n + d - 1) // (2 * d)
    return first, np.append(first[1:], n)


def _changed_rows(old: bytes, new: bytes, plane: OverlayPlane, frame: int) -> tuple[int, int] | None:
    """Return the plane rows ``[first, end)`` of ``frame`` whose bits differ (``(0, 0)``: none)."""
    if len(old) != len(new):
        return None
    a, b = np.frombuffer(old, np.uint8), np.frombuffer(new, np.uint8)
    size = plane.rows * plane.columns
    lo, hi = frame * size // 8, min(((frame + 1) * size + 7) // 8, len(a))
    diff = np.flatnonzero(a[lo:hi] != b[lo:hi])
    if not diff.size:
        return (0, 0)
    bit0 = (lo + int(diff[0])) * 8 - frame * size
    bit1 = (lo + int(diff[-1]) + 1) * 8 - frame * size
    return (max(bit0, 0) // plane.columns, min((bit1 + plane.columns - 1) // plane.columns, plane.rows))


def _unpack_rows(data: bytes, plane: OverlayPlane, frame: int, first: int, end: int) -> NDArray[np.bool_]:
    """Unpack plane rows ``[first, end)`` of one frame (LSB first), nothing else."""
    start = frame * plane.rows * plane.columns + first * plane.columns
    count = (end - first) * plane.columns
    chunk = np.frombuffer(data, np.uint8)[start // 8:(start + count + 7) // 8 + 1]
    bits = np.unpackbits(chunk, bitorder="little")[start % 8:start % 8 + count]
    return bits.astype(bool).reshape(end - first, plane.columns)


def _band_update(last: Any, plane: OverlayPlane, data: bytes | None, frame: int, w: Region,
                 window_view: ViewGeometry) -> NDArray[np.bool_] | None:
    """Return the pooled layer of the previous stroke with only the changed band pooled again.

    ``None`` when that cannot be done (no previous layer, another size or place, an
    embedded plane); the caller then pools the whole frame.
    """
    if last is None or data is None or last[1] is None or last[0] != _shape_of(plane):
        return None
    changed = _changed_rows(last[1], data, plane, frame)
    if changed is None:
        return None
    pooled: NDArray[np.bool_] = last[2]
    r0, c0 = origin_offset(plane.origin)
    a, b = changed[0] + r0 - w.row0, changed[1] + r0 - w.row0  # in window rows
    a, b = max(a, 0), min(b, w.rows)
    if a >= b:
        return pooled  # nothing changed in view
    first, end = _row_spans(w.rows, window_view.display_height)
    hit = np.flatnonzero((first < b) & (end > a))
    if not hit.size:
        return pooled
    k0, k1 = int(hit[0]), int(hit[-1]) + 1
    src0, src1 = int(first[k0]), int(end[k1 - 1])  # window rows that make up display rows k0..k1
    band_region = Region(w.row0 + src0, w.col0, src1 - src0, w.cols)
    # the band of the window mask, from the plane rows under it only
    p0 = max(band_region.row0 - r0, 0)
    p1 = min(band_region.row0 + band_region.rows - r0, plane.rows)
    band = np.zeros((band_region.rows, w.cols), dtype=bool)
    if p0 < p1:
        rows = _unpack_rows(data, plane, frame, p0, p1)
        band_plane = OverlayPlane(plane.group, p1 - p0, plane.columns,
                                  origin=origin_from_offset((r0 + p0, c0)))
        band = _window_mask(band_plane, rows, band_region)
    new = pooled.copy()
    local = first[k0:k1] - src0
    if window_view.display_height > w.rows:
        rows_out = band[local]
    else:
        rows_out = np.logical_or.reduceat(band, local, axis=0)
    new[k0:k1] = _pool_columns(rows_out, w.cols, window_view.display_width)
    return new


def _pool_columns(rows: NDArray[np.bool_], n: int, d: int) -> NDArray[np.bool_]:
    """Pool the columns of a band of display rows as :func:`pool_mask` pools them."""
    first, _ = _row_spans(n, d)
    if d > n:
        return np.asarray(rows[:, first])
    return np.asarray(np.logical_or.reduceat(rows, first, axis=1))


def _pixel_digest(ds: Dataset, memo: OrderedDict[tuple[Any, ...], Any]) -> str:
    value = ds.get("PixelData")
    known = memo.get(("pixel-ref",))
    if known is not None and known[0] is value:
        return str(known[1])
    digest = hashlib.sha1(bytes(value or b"")).hexdigest()
    memo[("pixel-ref",)] = (value, digest)
    return digest


def plane_frame_for(plane: OverlayPlane, image_frame: int, image_frames: int) -> int | None:
    """Return the plane frame that lies on ``image_frame`` (0-based), or ``None``.

    >>> p = OverlayPlane(0x6000, 2, 2, frames=2, image_frame_origin=2, frame_specific=True)
    >>> [plane_frame_for(p, f, 4) for f in range(4)]
    [None, 0, 1, None]
    """
    for k, f in frame_map(plane, max(image_frames, 1)):
        if f == image_frame:
            return k
    return None


def _window_mask(plane: OverlayPlane, bits: NDArray[np.bool_], window: Region) -> NDArray[np.bool_]:
    """Return the part of one plane frame that lies in ``window``, in window coordinates (read only)."""
    r0, c0 = origin_offset(plane.origin)
    rs, cs = max(r0, window.row0), max(c0, window.col0)
    re = min(r0 + plane.rows, window.row0 + window.rows)
    ce = min(c0 + plane.columns, window.col0 + window.cols)
    if (rs, cs, re, ce) == (window.row0, window.col0, window.row0 + window.rows, window.col0 + window.cols):
        return bits[rs - r0:re - r0, cs - c0:ce - c0]  # the plane covers the window: no copy
    out = np.zeros((window.rows, window.cols), dtype=bool)
    if rs < re and cs < ce:
        out[rs - window.row0:re - window.row0, cs - window.col0:ce - window.col0] = \
            bits[rs - r0:re - r0, cs - c0:ce - c0]
    return out


def background(
    entry: LoadedFile,
    frame: int,
    view: ViewGeometry,
    styles: Sequence[PlaneStyle],
    state: State,
    voi: Voi | None = None,
    level: int = 1,
) -> Background:
    """Render image frame ``frame`` in ``view`` with the planes ``styles`` names.

    ``voi``: the window (default: the file's, as Inspect shows it first); ``level``: the
    PNG's zlib level (0 stores it: the fastest, for a browser on the same machine).

    Each plane is drawn with its frame that lies on ``frame`` (a plane without one is left
    out). Only layers whose content changed since the last call are rebuilt.

    Raises
    ------
    OverlayError
        If the frame is out of range or a plane cannot be read.
    """
    ds = entry.dataset
    assert ds is not None
    memo = _memo(state)
    pixels = _pixel_digest(ds, memo)
    w = view.region
    size = (view.display_height, view.display_width)
    shown = _cached(memo, ("base", entry.id, pixels, frame, voi, w, size),
                    lambda: frame_view(ds, frame, voi, view))
    base = shown.pixels
    window_view = fit_view(w.rows, w.cols, width=view.display_width)
    info_frames = entry.image_info().frames
    masks: dict[int, NDArray[np.bool_]] = {}
    digests = {style.group: _digest(ds, style.group, memo) for style in styles if style.visible}
    # the picture as a whole: a run that changed nothing (a key, a rerun) encodes nothing
    picture_key = ("picture", entry.id, pixels, frame, voi, w, size, tuple(styles), tuple(digests.items()),
                   level)
    known = memo.get(picture_key)
    if isinstance(known, Background):
        memo.move_to_end(picture_key)
        return known
    for style in styles:
        if not style.visible:
            continue
        digest = digests[style.group]

        def layer(group: int = style.group, digest: str = digest) -> NDArray[np.bool_] | None:
            plane = read_plane(ds, group)
            k = plane_frame_for(plane, frame, info_frames)
            if k is None:
                return None
            last_key = ("plane-last", entry.id, group, frame, w, size)
            data = _data_of(ds, plane)
            updated = _band_update(memo.get(last_key), plane, data, k, w, window_view)
            if updated is None:
                plane, bits = _frame_bits(memo, ds, entry.id, group, digest, k)
                updated = pool_mask(_window_mask(plane, bits, w), window_view)
            memo[last_key] = (_shape_of(plane), data, updated)
            return updated

        pooled = _cached(memo, ("plane", entry.id, style.group, digest, frame, w, size), layer)
        if pooled is not None:
            masks[style.group] = pooled
    display = fit_view(*size)
    pixels_out = compose(base, masks, list(styles), display)
    made = Background(encode_png(pixels_out, compress_level=level), view, shown.missing_reason, shown.voi,
                      signature(pixels_out))
    for old in [k for k in memo if k[0] == "picture" and k[1] == entry.id and k[5:7] == (w, size)]:
        del memo[old]  # one picture per view: a stroke's picture replaces the last one
    memo[picture_key] = made
    return made
