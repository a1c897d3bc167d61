r"""The editing API: masks and drawings combined with planes, the same for the app and the CLI.

:func:`apply_mask` combines a mask (an array, or a PNG or ``.npy`` file's bytes) with a
plane by a :class:`Mode` (``draw``, ``erase``, ``replace``) in a :class:`Space` (the
``plane``'s own pixels or the ``image``'s); :func:`apply_canvas` rasterises a canvas
drawing and combines it the same way. Both validate everything first and write once
through :func:`overlay_core.planes.writing.set_plane`, so a bad call raises an
:class:`~overlay_core.errors.OverlayError` and leaves the dataset as it was. Wrap a call
in :meth:`overlay_core.edit.history.History.change` to make it undoable. Plane operations
(resize, crop, invert, ...) are in :mod:`overlay_core.edit.operations`.

Coordinates: masks are ``numpy.bool_`` arrays indexed ``(row, col)`` from the top-left.
A *plane-space* mask has the plane's Overlay Rows x Overlay Columns; an *image-space*
mask has the image's Rows x Columns. They are related by (60xx,0050) *Overlay Origin*
through :mod:`overlay_core.planes.placement` only. ``frame`` is a 0-based index into the
plane's own frames.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydicom.dataset import Dataset

from overlay_core.checks import check_frame_index
from overlay_core.errors import InvalidArgumentError, OverlayError, PlaneNotFoundError
from overlay_core.files.masks import read_mask
from overlay_core.model import Choice, OverlayPlane, group_hex, parse_group
from overlay_core.planes.placement import (
    frame_map,
    image_shape,
    origin_from_offset,
    origin_offset,
    plane_window,
    to_plane_space,
)
from overlay_core.planes.reading import overlay_groups, unpack_plane
from overlay_core.planes.writing import Attributes, first_free_group, set_plane

if TYPE_CHECKING:
    from overlay_core.render.geometry import ViewGeometry

__all__ = [
    "Mode",
    "Space",
    "apply_canvas",
    "apply_mask",
    "check_plane_frame",
    "combine",
    "dropped_outside",
    "grown",
]


class Mode(Choice):
    """How a stroke combines with a plane: ``draw`` (OR), ``erase`` (AND NOT), ``replace``."""

    DRAW = "draw"
    ERASE = "erase"
    REPLACE = "replace"


class Space(Choice):
    """Which pixels a mask covers: the whole ``image`` or the ``plane`` itself."""

    IMAGE = "image"
    PLANE = "plane"


def combine(bits: NDArray[np.bool_], stroke: NDArray[np.bool_], mode: Mode | str) -> NDArray[np.bool_]:
    """Combine a plane's bits with a stroke of the same shape.

    >>> a, b = np.array([True, True, False]), np.array([False, True, True])
    >>> [combine(a, b, m).astype(int).tolist() for m in ("draw", "erase", "replace")]
    [[1, 1, 1], [1, 0, 0], [0, 1, 1]]
    """
    mode = Mode.coerce(mode)
    if np.shape(bits) != np.shape(stroke):
        raise InvalidArgumentError(
            f"The stroke's shape {np.shape(stroke)} does not match the plane's {np.shape(bits)}."
        )
    stroke = np.asarray(stroke, dtype=bool)
    if mode is Mode.DRAW:
        return np.asarray(bits, dtype=bool) | stroke
    if mode is Mode.ERASE:
        return np.asarray(bits, dtype=bool) & ~stroke
    return stroke.copy()


def check_plane_frame(plane: OverlayPlane, frame: int) -> None:
    """Raise unless ``frame`` is a 0-based index of one of the plane's frames."""
    check_frame_index(frame, plane.frames, f"overlay group {plane.group_hex}")


def _size(shape: tuple[int, ...]) -> str:
    return " x ".join(map(str, shape[-2:]))


def _check_shape(mask: NDArray[np.bool_], frames: int, rows: int, cols: int, what: str) -> None:
    """Raise unless a 2-D mask is ``rows x cols`` and a 3-D one also has ``frames`` frames."""
    if mask.shape[-2:] != (rows, cols):
        raise InvalidArgumentError(f"The mask is {_size(mask.shape)} pixels but {what} is {rows} x {cols}.")
    if mask.ndim == 3 and mask.shape[0] != frames:
        raise InvalidArgumentError(f"The mask has {mask.shape[0]} frames but {what} has {frames}.")


def _check_image_mask(mask: NDArray[np.bool_], shape: tuple[int, int, int]) -> None:
    """Check an image-space mask: the image's rows and columns, and one frame or the image's frames."""
    frames, rows, cols = shape
    _check_shape(mask, 1 if mask.ndim == 3 and mask.shape[0] == 1 else frames, rows, cols, "the image")


def _as_mask(data: bytes | ArrayLike) -> NDArray[np.bool_]:
    mask = read_mask(bytes(data)) if isinstance(data, (bytes, bytearray)) else np.asarray(data) != 0
    if mask.ndim not in (2, 3) or 0 in mask.shape:
        raise InvalidArgumentError(f"A mask must be 2-D or 3-D and not empty, not of shape {mask.shape}.")
    return np.asarray(mask, dtype=bool)


# --- the editing API ------------------------------------------------------------------------


def _image_space_bits(
    plane: OverlayPlane, bits: NDArray[np.bool_], mask: NDArray[np.bool_], mode: Mode,
    image_shape: tuple[int, int, int],
) -> NDArray[np.bool_]:
    """Combine an image-space mask with every plane frame, through the plane's placement."""
    frames, rows, cols = image_shape
    if mask.ndim == 2 or (mask.shape[0] == 1 and frames > 1):
        mask = np.broadcast_to(mask.reshape(rows, cols), image_shape)
    window = plane_window(plane, rows, cols)
    if window is None:
        raise InvalidArgumentError(f"Overlay group {plane.group_hex} lies wholly outside the image.")
    ir, ic, pr, pc = window
    new = bits.copy()
    seen: dict[int, NDArray[np.bool_]] = {}
    for k, f in frame_map(plane, frames):
        part = mask[f, ir, ic]
        if k in seen:
            if not np.array_equal(seen[k], part):
                raise InvalidArgumentError(
                    f"Overlay group {plane.group_hex} applies to every image frame, so the mask's "
                    "frames must be identical (or give a 2-D mask)."
                )
            continue
        seen[k] = part
        new[k, pr, pc] = combine(bits[k, pr, pc], part, mode)
    return new


def apply_mask(
    ds: Dataset,
    group: int | None,
    mask: bytes | ArrayLike,
    mode: Mode | str = Mode.DRAW,
    space: Space | str = Space.PLANE,
    frame: int | None = 0,
) -> OverlayPlane:
    r"""Combine a mask with a plane: the one editing call of the app and the command line.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        Changed in place; unchanged when the call raises.
    group : int or None
        The plane's group; ``None`` is the first free group.
    mask : bytes or array_like
        A PNG or ``.npy`` file's bytes (:func:`overlay_core.files.masks.read_mask`) or an array;
        non-zero is set. 2-D ``(rows, cols)`` or 3-D ``(frames, rows, cols)``.
    mode : Mode or str
        ``draw`` sets the mask's pixels, ``erase`` clears them, ``replace`` makes the plane
        equal to the mask.
    space : Space or str
        ``plane``: the mask has the plane's own rows and columns. ``image``: it has the
        image's; only the part of the plane on the image changes, through (60xx,0050)
        *Overlay Origin* and (60xx,0051) *Image Frame Origin*, and pixels off the plane
        are dropped.
    frame : int or None
        The 0-based plane frame a 2-D mask changes; the other frames are kept. ``None``:
        the whole plane; a 2-D image-space mask then applies to every image frame, and in
        plane space ``replace`` takes the mask's size (the plane may be resized). A 3-D
        mask always covers the whole plane (its frames are the plane's in plane space,
        the image's in image space).

    Returns
    -------
    OverlayPlane
        The plane as now stored.

    Raises
    ------
    PlaneNotFoundError
        If ``group`` holds no plane and ``mode`` is not ``replace``.
    InvalidOverlayError
        If ``group`` holds an unusable plane (``replace`` of the whole plane overwrites it).
    InvalidArgumentError
        If the mask cannot be read, or its size, the mode, the space or the frame does not
        fit (the message gives both sizes).

    Notes
    -----
    A missing plane is created by ``replace`` at origin ``1\1``: in image space the mask
    must have the image's size, in plane space it may have any. An embedded plane is
    migrated to (60xx,3000) *Overlay Data* on the way.

    Examples
    --------
    >>> ds = Dataset(); ds.Rows, ds.Columns = 2, 3
    >>> apply_mask(ds, None, np.ones((2, 3)), "replace", "image").shape
    (1, 2, 3)
    >>> apply_mask(ds, 0x6000, [[0, 1, 1], [0, 0, 0]], "erase").set_bits
    4
    """
    mode, space = Mode.coerce(mode), Space.coerce(space)
    stroke = _as_mask(mask)
    target = first_free_group(ds) if group is None else parse_group(group)
    whole = frame is None or stroke.ndim == 3
    shape = image_shape(ds, "to place the plane on") if space is Space.IMAGE else None
    existing = target in overlay_groups(ds)
    unpacked = None
    if existing:
        try:
            unpacked = unpack_plane(ds, target)
        except OverlayError:
            if not (mode is Mode.REPLACE and frame is None):
                raise
    if unpacked is None:
        if mode is not Mode.REPLACE:
            raise PlaneNotFoundError(
                f'The file has no overlay plane in group {group_hex(target)} for mode "{mode}"; '
                'use "replace" to create one.'
            )
        if shape is not None:
            _check_image_mask(stroke, shape)
        return set_plane(ds, target, stroke, Attributes(origin=(1, 1)))
    plane, bits, _ = unpacked
    what = f"overlay group {plane.group_hex}"
    if shape is not None and whole:
        _check_image_mask(stroke, shape)
        new = _image_space_bits(plane, bits, stroke, mode, shape)
    elif shape is not None:
        assert frame is not None
        check_plane_frame(plane, frame)
        _check_shape(stroke, 1, shape[1], shape[2], "the image")
        new = bits.copy()
        new[frame] = combine(bits[frame], to_plane_space(plane, stroke), mode)
    elif whole:
        stack = stroke if stroke.ndim == 3 else stroke[np.newaxis]
        if mode is Mode.REPLACE and frame is None:
            new = stack
        else:
            _check_shape(stack, plane.frames, plane.rows, plane.columns, what)
            new = combine(bits, stack, mode)
    else:
        assert frame is not None
        check_plane_frame(plane, frame)
        _check_shape(stroke, 1, plane.rows, plane.columns, what)
        new = bits.copy()
        new[frame] = combine(bits[frame], stroke, mode)
    return set_plane(ds, target, new)


def _outside_message(plane: OverlayPlane, rows: int, cols: int) -> str:
    """Say where the plane lies on the image, for a drawing that missed it entirely."""
    row, col = origin_offset(plane.origin)
    rr = max(row, 0), min(row + plane.rows, rows) - 1
    cc = max(col, 0), min(col + plane.columns, cols) - 1
    # Said 1-based, as people count rows (and as the Overlay Origin is).
    where = (f"which covers image rows {rr[0] + 1}–{rr[1] + 1} and columns {cc[0] + 1}–{cc[1] + 1}"
             if rr[0] <= rr[1] and cc[0] <= cc[1] else "which lies wholly outside the image")
    return (f"Nothing you drew lies on plane {plane.group_hex}, {where}; nothing was changed. "
            "Draw inside the plane, or resize it to the image first.")


def grown(plane: OverlayPlane, bits: NDArray[np.bool_], stroke: NDArray[np.bool_]
           ) -> tuple[OverlayPlane, NDArray[np.bool_]] | None:
    r"""Return the plane (and its bits) grown to hold an image-space ``stroke``, or ``None``.

    ``stroke`` is image-sized, so the plane never grows past the image; a plane already
    holding every set pixel of the stroke is not changed (``None``). Every frame is padded
    alike; the Overlay Origin moves when the plane grows up or left.

    >>> p = OverlayPlane(0x6000, 2, 2, origin=(2, 2))
    >>> s = np.zeros((5, 5), bool); s[4, 0] = True
    >>> q, b = grown(p, np.ones((1, 2, 2), bool), s)
    >>> (q.rows, q.columns, q.origin), b[0].astype(int).tolist()
    ((4, 3, (2, 1)), [[0, 1, 1], [0, 1, 1], [0, 0, 0], [0, 0, 0]])
    """
    rows_set, cols_set = np.nonzero(stroke.any(axis=1))[0], np.nonzero(stroke.any(axis=0))[0]
    if not rows_set.size:
        return None
    r0, c0 = origin_offset(plane.origin)
    top, left = min(r0, int(rows_set[0])), min(c0, int(cols_set[0]))
    bottom = max(r0 + plane.rows, int(rows_set[-1]) + 1)
    right = max(c0 + plane.columns, int(cols_set[-1]) + 1)
    if (top, left, bottom, right) == (r0, c0, r0 + plane.rows, c0 + plane.columns):
        return None
    new = np.zeros((bits.shape[0], bottom - top, right - left), dtype=bool)
    new[:, r0 - top:r0 - top + plane.rows, c0 - left:c0 - left + plane.columns] = bits
    origin = origin_from_offset((top, left))
    return replace(plane, rows=bottom - top, columns=right - left, origin=origin), new


def apply_canvas(
    ds: Dataset,
    group: int,
    json_data: Mapping[str, Any] | None,
    view: ViewGeometry,
    mode: Mode | str = Mode.DRAW,
    frame: int = 0,
    fill: bool | None = None,
    grow: bool = False,
    in_place: bool = True,
) -> OverlayPlane:
    r"""Rasterise a canvas drawing onto one frame of a plane, as :func:`apply_mask` combines it.

    The drawing (:func:`overlay_core.edit.fabric.rasterize`) is rasterised at the plane's native
    resolution, in its own coordinates (its origin and size). A missing ``group`` becomes
    an empty image-sized plane at origin ``1\1`` first. With ``grow``, a drawn (not erased)
    stroke reaching past the plane grows it to hold the stroke (:func:`grown`: Rows, Columns
    and Overlay Origin change, never past the image); without it, what falls outside the
    plane is dropped. With ``in_place`` (the default) a drawing that needs neither is
    written to the rows it touches only (:mod:`overlay_core.edit.in_place`: the same bytes,
    without unpacking the whole plane).

    Raises
    ------
    InvalidArgumentError
        If nothing is drawn, or nothing drawn lies on the plane (e.g. beside a plane smaller
        than the image, without ``grow``); the message says where the plane lies.
    """
    mode = Mode.coerce(mode)
    if not json_data or not json_data.get("objects"):
        raise InvalidArgumentError("There is nothing to apply: draw on the image first.")
    from overlay_core.edit.in_place import apply_in_place  # it imports this module

    done = apply_in_place(ds, group, json_data, view, mode, frame, fill, grow) if in_place else None
    if done is not None:  # only the rows under the drawing were touched
        return done
    if group in overlay_groups(ds):
        plane, bits, _ = unpack_plane(ds, group)
    else:
        plane = OverlayPlane(parse_group(group), view.image_rows, view.image_cols)
        bits = np.zeros((1, view.image_rows, view.image_cols), bool)
    check_plane_frame(plane, frame)
    from overlay_core.edit.fabric import rasterize  # the canvas's drawing: the CLI never needs it

    attrs = None
    stroke = None
    if grow and mode is not Mode.ERASE:
        image_sized = OverlayPlane(plane.group, view.image_rows, view.image_cols)
        whole = rasterize(json_data, view, image_sized, fill=fill)
        bigger = grown(plane, bits, whole)
        if bigger is not None:
            plane, bits = bigger
            attrs = Attributes(origin=plane.origin)
        if (plane.rows, plane.columns, plane.origin) == (whole.shape[0], whole.shape[1], image_sized.origin):
            stroke = whole  # the plane is the image: the stroke is already in its coordinates
    if stroke is None:
        stroke = rasterize(json_data, view, plane, fill=fill)
    if not stroke.any():
        raise InvalidArgumentError(_outside_message(plane, view.image_rows, view.image_cols))
    new = bits.copy()
    new[frame] = combine(bits[frame], stroke, mode)
    return set_plane(ds, plane.group, new, attrs)


def dropped_outside(json_data: Mapping[str, Any] | None, view: ViewGeometry, plane: OverlayPlane,
                    fill: bool | None = None) -> int:
    """Count the image pixels of a drawing that lie outside ``plane`` (what a kept size drops).

    >>> from overlay_core.render.geometry import fit_view
    >>> line = {"type": "Line", "left": 2, "top": 0.5, "originX": "center", "originY": "center",
    ...         "x1": -2, "y1": 0, "x2": 2, "y2": 0, "stroke": "black", "strokeWidth": 1}
    >>> dropped_outside({"objects": [line]}, fit_view(4, 4), OverlayPlane(0x6000, 2, 2))
    2
    """
    from overlay_core.edit.fabric import rasterize  # the canvas's drawing: the CLI never needs it

    image_plane = OverlayPlane(plane.group, view.image_rows, view.image_cols)
    whole = rasterize(json_data, view, image_plane, fill=fill)
    inside = np.zeros_like(whole)
    r0, c0 = origin_offset(plane.origin)
    rs, cs = max(r0, 0), max(c0, 0)
    re, ce = min(r0 + plane.rows, whole.shape[0]), min(c0 + plane.columns, whole.shape[1])
    if rs < re and cs < ce:
        inside[rs:re, cs:ce] = True
    return int((whole & ~inside).sum())
