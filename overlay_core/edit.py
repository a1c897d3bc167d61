r"""Editing planes: drawing modes, plane operations, threshold, mask import and export.

Every function takes the dataset and a group, validates everything first, and writes
through :func:`overlay_core.writing.set_plane` or
:func:`~overlay_core.writing.set_attributes`, so a bad call raises an
:class:`~overlay_core.errors.OverlayError` and leaves the dataset as it was. Record a
:class:`~overlay_core.history.History` item before calling them to make them undoable.

Coordinates: masks are ``numpy.bool_`` arrays indexed ``(row, col)`` from the top-left.
A *plane-space* mask has the plane's Overlay Rows x Overlay Columns; an *image-space*
mask has the image's Rows x Columns. They are related by (60xx,0050) *Overlay Origin*
through :func:`overlay_core.placement.plane_window` only. ``frame`` is a 0-based index
into the plane's own frames; multi-frame planes are edited one frame at a time and the
other frames are kept as they are.
"""

from __future__ import annotations

import enum
import io
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from pydicom.dataset import Dataset

from .canvas import rasterize
from .errors import InvalidArgumentError
from .geometry import ViewGeometry
from .model import OverlayPlane, coerce_choice
from .placement import origin_from_offset, origin_offset, plane_window
from .reading import image_info, overlay_groups, unpack_plane
from .writing import Attributes, first_free_group, set_attributes, set_plane

__all__ = [
    "Mode",
    "Space",
    "apply_canvas",
    "apply_mask",
    "clear",
    "combine",
    "crop_to_content",
    "export_png",
    "import_mask",
    "invert",
    "move",
    "read_mask_file",
    "resize_to_image",
    "threshold_plane",
    "to_image_space",
    "to_plane_space",
]


class Mode(enum.StrEnum):
    """How a stroke combines with a plane: ``draw`` (OR), ``erase`` (AND NOT), ``replace``."""

    DRAW = "draw"
    ERASE = "erase"
    REPLACE = "replace"

    @classmethod
    def coerce(cls, value: Mode | str) -> Mode:
        """Return ``value`` as a :class:`Mode`, accepting its name or value in any case.

        >>> Mode.coerce("Erase")
        <Mode.ERASE: 'erase'>
        """
        return coerce_choice(cls, value, "mode")


class Space(enum.StrEnum):
    """Which pixels a mask file covers: the whole ``image`` or the ``plane`` itself."""

    IMAGE = "image"
    PLANE = "plane"

    @classmethod
    def coerce(cls, value: Space | str) -> Space:
        """Return ``value`` as a :class:`Space`.

        >>> Space.coerce("PLANE")
        <Space.PLANE: 'plane'>
        """
        return coerce_choice(cls, value, "mask space")


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


# --- plane and image space ------------------------------------------------------------------


def to_plane_space(plane: OverlayPlane, mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Cut an image-space ``(rows, cols)`` mask to the plane's pixels (outside is unset).

    >>> p = OverlayPlane(0x6000, 2, 2, origin=(2, 2))
    >>> to_plane_space(p, np.eye(3, dtype=bool)).astype(int).tolist()
    [[1, 0], [0, 1]]
    """
    out = np.zeros((plane.rows, plane.columns), dtype=bool)
    window = plane_window(plane, *np.shape(mask)[-2:])
    if window is not None:
        ir, ic, pr, pc = window
        out[pr, pc] = np.asarray(mask, dtype=bool)[ir, ic]
    return out


def to_image_space(plane: OverlayPlane, bits: NDArray[np.bool_], rows: int, cols: int) -> NDArray[np.bool_]:
    """Place one plane-space ``(rows, cols)`` frame on a ``rows x cols`` image, clipped.

    >>> p = OverlayPlane(0x6000, 2, 2, origin=(0, 0))
    >>> to_image_space(p, np.ones((2, 2), bool), 2, 2).astype(int).tolist()
    [[1, 0], [0, 0]]
    """
    out = np.zeros((rows, cols), dtype=bool)
    window = plane_window(plane, rows, cols)
    if window is not None:
        ir, ic, pr, pc = window
        out[ir, ic] = np.asarray(bits, dtype=bool)[pr, pc]
    return out


def _image_size(ds: Dataset) -> tuple[int, int, int]:
    info = image_info(ds)
    if info.rows == 0:
        raise InvalidArgumentError("The file has no image (no Rows and Columns) to place the plane on.")
    return info.frames, info.rows, info.columns


def _check_frame(plane: OverlayPlane, frame: int) -> None:
    if not 0 <= frame < plane.frames:
        raise InvalidArgumentError(
            f"Frame index {frame} is out of range: overlay group {plane.group_hex} has "
            f"{plane.frames} frame(s), indices 0 to {plane.frames - 1}."
        )


# --- drawing --------------------------------------------------------------------------------


def apply_mask(
    ds: Dataset, group: int, mask: NDArray[np.generic], mode: Mode | str = Mode.DRAW, frame: int = 0
) -> OverlayPlane:
    """Combine a plane-space mask with one frame of the plane in ``group``.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        Changed in place.
    group : int
        An existing plane (an embedded one is migrated to Overlay Data).
    mask : array_like
        ``(plane rows, plane columns)``; non-zero is the stroke.
    mode : Mode or str
        ``draw`` sets the stroke's pixels, ``erase`` clears them, ``replace`` makes the
        frame equal to the stroke.
    frame : int
        0-based plane frame; the other frames are kept.

    Returns
    -------
    OverlayPlane
        The plane as now stored.

    Raises
    ------
    PlaneNotFoundError, InvalidOverlayError
        If ``group`` holds no usable plane.
    InvalidArgumentError
        If the mode, the frame or the mask's shape does not fit.

    Examples
    --------
    >>> ds = Dataset(); _ = set_plane(ds, 0x6000, np.eye(2, dtype=bool))
    >>> apply_mask(ds, 0x6000, [[0, 1], [0, 1]], "erase").set_bits
    1
    """
    mode = Mode.coerce(mode)
    plane, bits, _ = unpack_plane(ds, group)
    _check_frame(plane, frame)
    stroke = np.asarray(mask)
    if stroke.shape != (plane.rows, plane.columns):
        raise InvalidArgumentError(
            f"The mask is {' x '.join(map(str, stroke.shape))} pixels but overlay group "
            f"{plane.group_hex} is {plane.rows} x {plane.columns}."
        )
    new = bits.copy()
    new[frame] = combine(bits[frame], stroke != 0, mode)
    return set_plane(ds, group, new)


def apply_canvas(
    ds: Dataset,
    group: int,
    json_data: Mapping[str, Any] | None,
    view: ViewGeometry,
    mode: Mode | str = Mode.DRAW,
    frame: int = 0,
    fill: bool | None = None,
) -> OverlayPlane:
    """Rasterise the canvas drawing onto the plane (see :func:`overlay_core.canvas.rasterize`).

    The drawing is rasterised at the plane's native resolution, in its own coordinates
    (its origin and size), then combined with ``frame`` as :func:`apply_mask` does.
    """
    mode = Mode.coerce(mode)
    plane, _, _ = unpack_plane(ds, group)
    stroke = rasterize(json_data, view, plane, fill=fill)
    return apply_mask(ds, group, stroke, mode, frame)


# --- plane operations -----------------------------------------------------------------------


def resize_to_image(ds: Dataset, group: int) -> OverlayPlane:
    r"""Make the plane exactly the image's size at origin ``1\1``.

    Every pixel that lies on the image stays where it is; pixels outside the image are
    dropped.

    Examples
    --------
    >>> ds = Dataset(); ds.Rows = ds.Columns = 3
    >>> _ = set_plane(ds, 0x6000, np.ones((1, 1), bool), Attributes(origin=(2, 3)))
    >>> p = resize_to_image(ds, 0x6000)
    >>> p.shape, p.origin, unpack_plane(ds, 0x6000)[1][0, 1, 2]
    ((1, 3, 3), (1, 1), np.True_)
    """
    _, rows, cols = _image_size(ds)
    plane, bits, _ = unpack_plane(ds, group)
    new = np.stack([to_image_space(plane, frame_bits, rows, cols) for frame_bits in bits])
    return set_plane(ds, group, new, Attributes(origin=(1, 1)))


def crop_to_content(ds: Dataset, group: int) -> OverlayPlane:
    """Shrink the plane to the bounding box of its set pixels (over all its frames).

    Overlay Rows/Columns and Overlay Origin change together, so nothing moves on the
    image.

    Raises
    ------
    InvalidArgumentError
        If the plane has no set pixel: there is no content to crop to.

    Examples
    --------
    >>> ds = Dataset(); m = np.zeros((4, 4), bool); m[2, 1] = m[3, 2] = True
    >>> p = crop_to_content(ds, set_plane(ds, 0x6000, m).group)
    >>> p.shape, p.origin
    ((1, 2, 2), (3, 2))
    """
    plane, bits, _ = unpack_plane(ds, group)
    any_frame = np.any(bits, axis=0)
    rows = np.flatnonzero(any_frame.any(axis=1))
    cols = np.flatnonzero(any_frame.any(axis=0))
    if not len(rows):
        raise InvalidArgumentError(
            f"Overlay group {plane.group_hex} has no set pixels, so there is nothing to crop to."
        )
    r0, c0 = int(rows[0]), int(cols[0])
    r1, c1 = int(rows[-1]) + 1, int(cols[-1]) + 1
    row_off, col_off = origin_offset(plane.origin)
    origin = origin_from_offset((row_off + r0, col_off + c0))
    return set_plane(ds, group, bits[:, r0:r1, c0:c1], Attributes(origin=origin))


def move(ds: Dataset, group: int, origin: tuple[int, int]) -> OverlayPlane:
    r"""Move the plane on the image: set its 1-based (60xx,0050) *Overlay Origin*.

    >>> ds = Dataset(); _ = set_plane(ds, 0x6000, np.eye(2, dtype=bool))
    >>> move(ds, 0x6000, (-4, 10)).origin
    (-4, 10)
    """
    return set_attributes(ds, group, Attributes(origin=(int(origin[0]), int(origin[1]))))


def invert(ds: Dataset, group: int, frame: int | None = None) -> OverlayPlane:
    """Invert the plane's bits within its own extent: one frame, or every frame (``None``).

    >>> ds = Dataset(); _ = set_plane(ds, 0x6000, np.eye(2, dtype=bool))
    >>> invert(ds, 0x6000).set_bits
    2
    """
    plane, bits, _ = unpack_plane(ds, group)
    new = bits.copy()
    if frame is None:
        new = ~new
    else:
        _check_frame(plane, frame)
        new[frame] = ~new[frame]
    return set_plane(ds, group, new)


def clear(ds: Dataset, group: int, frame: int | None = None) -> OverlayPlane:
    """Unset every bit of one frame, or of every frame (``None``); the plane stays.

    >>> ds = Dataset(); _ = set_plane(ds, 0x6000, np.eye(2, dtype=bool))
    >>> clear(ds, 0x6000).set_bits
    0
    """
    plane, bits, _ = unpack_plane(ds, group)
    new = bits.copy()
    if frame is None:
        new[:] = False
    else:
        _check_frame(plane, frame)
        new[frame] = False
    return set_plane(ds, group, new)


# --- threshold ------------------------------------------------------------------------------


def _modality_frame(ds: Dataset, frame: int) -> NDArray[np.float64]:
    """Return one frame's Modality LUT values (rescaled units, e.g. HU)."""
    from .render import modality_frame

    return modality_frame(ds, frame)


def threshold_plane(
    ds: Dataset,
    low: float,
    high: float,
    frame: int | None = 0,
    group: int | None = None,
    attrs: Attributes | None = None,
) -> OverlayPlane:
    r"""Make an image-sized plane of the pixels whose intensity lies in a range.

    The intensity is the Modality LUT value (rescaled units such as HU); ``low`` and
    ``high`` are both included.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A greyscale image; changed in place.
    low, high : float
        The intensity range.
    frame : int or None
        The 0-based image frame to threshold. On a multi-frame image the plane is
        frame-specific: one frame whose (60xx,0051) *Image Frame Origin* is ``frame + 1``.
        ``None`` thresholds every frame into a plane with as many frames.
    group : int, optional
        Where to write (replacing any plane there); the first free group by default.
    attrs : Attributes, optional
        Attributes to set; by default the description says the range.

    Raises
    ------
    InvalidArgumentError
        If ``low > high``, the frame is out of range, or no group is free.
    UnsupportedError
        If the image cannot be decoded or is in colour.
    """
    if not (np.isfinite(low) and np.isfinite(high)) or low > high:
        raise InvalidArgumentError(
            f"The intensity range must be two numbers with low <= high, not {low} to {high}."
        )
    frames, _, _ = _image_size(ds)
    target = first_free_group(ds) if group is None else group
    indices = list(range(frames)) if frame is None else [frame]
    masks = []
    for index in indices:
        values = _modality_frame(ds, index)
        masks.append((values >= low) & (values <= high))
    attrs = attrs or Attributes(description=f"Intensity {low:g} to {high:g}")
    changes: dict[str, Any] = {"origin": (1, 1)}
    if frames > 1 and frame is not None:
        changes["image_frame_origin"] = frame + 1
    elif frames > 1:
        changes["image_frame_origin"] = 1
    attrs = Attributes(**{**attrs.__dict__, **changes})
    return set_plane(ds, target, np.stack(masks), attrs)


# --- mask files -----------------------------------------------------------------------------


def read_mask_file(data: bytes) -> NDArray[np.bool_]:
    """Read a PNG or NumPy ``.npy`` mask: non-zero is set.

    A PNG with transparency is set where it is not transparent; an opaque PNG (grey,
    palette or colour) where its colour is not black. An ``.npy`` array may be 2-D
    ``(rows, cols)`` or 3-D ``(frames, rows, cols)``, of booleans or numbers.

    Returns
    -------
    numpy.ndarray
        ``numpy.bool_``, 2-D or 3-D.

    Raises
    ------
    InvalidArgumentError
        If the bytes are neither a readable PNG nor a usable ``.npy`` array.

    Examples
    --------
    >>> buffer = io.BytesIO(); np.save(buffer, np.eye(2))
    >>> read_mask_file(buffer.getvalue()).tolist()
    [[True, False], [False, True]]
    """
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                opened = Image.open(io.BytesIO(data))
                opened.load()
        except Exception:
            raise InvalidArgumentError("The PNG mask could not be read; it may be damaged.") from None
        image: Image.Image = opened
        if image.mode in ("P", "PA"):
            image = image.convert("RGBA")
        arr = np.asarray(image)
        if arr.ndim == 2:
            return np.asarray(arr != 0)
        if image.mode in ("LA", "RGBA") and not (arr[..., -1] == arr.max(initial=0)).all():
            return np.asarray(arr[..., -1] != 0)
        colour = arr[..., :-1] if image.mode in ("LA", "RGBA") else arr
        return np.asarray(colour.any(axis=-1))
    if data[:6] == b"\x93NUMPY":
        try:
            arr = np.load(io.BytesIO(data), allow_pickle=False)
        except Exception:
            raise InvalidArgumentError("The .npy mask could not be read; it may be damaged.") from None
        if arr.dtype.kind not in "biuf" or arr.ndim not in (2, 3) or 0 in arr.shape:
            raise InvalidArgumentError(
                f"The .npy mask must be a 2-D or 3-D array of booleans or numbers, not a "
                f"{arr.ndim}-D array of {arr.dtype} with shape {arr.shape}."
            )
        return np.asarray(arr != 0)
    raise InvalidArgumentError("The mask file is neither a PNG image nor a NumPy .npy array.")


def import_mask(
    ds: Dataset,
    data: bytes | NDArray[np.generic],
    group: int | None = None,
    space: Space | str = Space.IMAGE,
    mode: Mode | str = Mode.REPLACE,
    frame: int = 0,
) -> OverlayPlane:
    r"""Import a PNG or ``.npy`` mask (or an array) into a plane.

    Into a new plane (``group`` is ``None`` or empty): an image-space mask must have
    the image's size and gives an image-sized plane at origin ``1\1``; a plane-space mask
    may have any size and also lies at origin ``1\1``.

    Into an existing plane: an image-space mask must have the image's size and is cut to
    the plane (pixels outside the plane are dropped; resize the plane to the image first
    to keep them); a plane-space mask must have the plane's size. It is combined with
    ``frame`` by ``mode`` (``replace`` by default); a 3-D mask covers every frame.

    Raises
    ------
    InvalidArgumentError
        If the file cannot be read, or its size does not match (the message gives both
        sizes).

    Examples
    --------
    >>> ds = Dataset(); ds.Rows, ds.Columns = 2, 3
    >>> import_mask(ds, np.ones((2, 3))).shape
    (1, 2, 3)
    """
    space = Space.coerce(space)
    mode = Mode.coerce(mode)
    mask = read_mask_file(data) if isinstance(data, (bytes, bytearray)) else np.asarray(data) != 0
    if mask.ndim not in (2, 3) or 0 in mask.shape:
        raise InvalidArgumentError(f"A mask must be 2-D or 3-D and not empty, not of shape {mask.shape}.")
    size = " x ".join(map(str, mask.shape[-2:]))
    if space is Space.IMAGE:
        _, rows, cols = _image_size(ds)
        if mask.shape[-2:] != (rows, cols):
            raise InvalidArgumentError(
                f"The mask is {size} pixels but the image is {rows} x {cols}; "
                "an image-space mask must have the image's size."
            )
    target = first_free_group(ds) if group is None else group
    if target not in overlay_groups(ds):
        return set_plane(ds, target, mask, Attributes(origin=(1, 1)))
    plane, bits, _ = unpack_plane(ds, target)

    def plane_frame(m: NDArray[np.bool_]) -> NDArray[np.bool_]:
        if space is Space.IMAGE:
            return to_plane_space(plane, m)
        if m.shape != (plane.rows, plane.columns):
            raise InvalidArgumentError(
                f"The mask is {size} pixels but overlay group {plane.group_hex} is "
                f"{plane.rows} x {plane.columns}; a plane-space mask must have the plane's size."
            )
        return m

    if mask.ndim == 3:
        if mask.shape[0] != plane.frames:
            raise InvalidArgumentError(
                f"The mask has {mask.shape[0]} frames but overlay group {plane.group_hex} has {plane.frames}."
            )
        new = np.stack([combine(b, plane_frame(m), mode) for b, m in zip(bits, mask, strict=True)])
    else:
        _check_frame(plane, frame)
        new = bits.copy()
        new[frame] = combine(bits[frame], plane_frame(mask), mode)
    return set_plane(ds, target, new)


def export_png(ds: Dataset, group: int, frame: int = 0, space: Space | str = Space.PLANE) -> bytes:
    r"""Export one frame of a plane as a black-and-white PNG (set pixels white).

    ``plane`` space gives the plane's own Rows x Columns; ``image`` space places it on
    the image at its origin, clipped to the image. :func:`read_mask_file` reads it back.

    >>> ds = Dataset(); _ = set_plane(ds, 0x6000, np.eye(2, dtype=bool))
    >>> read_mask_file(export_png(ds, 0x6000)).tolist()
    [[True, False], [False, True]]
    """
    space = Space.coerce(space)
    plane, bits, _ = unpack_plane(ds, group)
    _check_frame(plane, frame)
    out = bits[frame]
    if space is Space.IMAGE:
        _, rows, cols = _image_size(ds)
        out = to_image_space(plane, out, rows, cols)
    buffer = io.BytesIO()
    Image.fromarray(out.astype(np.uint8) * 255).save(buffer, format="PNG")
    return buffer.getvalue()

