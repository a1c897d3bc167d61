"""What changed in a file's overlay planes between two datasets (as loaded, as edited).

The export page shows this list before a user downloads an edited file. Planes are
compared group by group: a group only in the edited dataset was *added*, one only in
the loaded dataset was *deleted*, and one in both is *edited* when any attribute or any
bit differs. Bits are compared where they lie on the image (so a crop that keeps every
pixel in place changes no pixel) unless the plane kept its size and origin, in which case
the plane's own bitmaps are compared bit for bit.
"""

from __future__ import annotations

import copy  # noqa: F401  (used by the doctests)
import enum
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from overlay_core.errors import OverlayError
from overlay_core.model import OverlayPlane, group_hex
from overlay_core.planes.compare import shown_on_export
from overlay_core.planes.placement import place, plane_window
from overlay_core.planes.reading import image_info, overlay_groups, unpack_plane

__all__ = ["AttributeChange", "ChangeKind", "PlaneChange", "plane_changes"]


class ChangeKind(enum.StrEnum):
    """How a group changed."""

    ADDED = "added"
    EDITED = "edited"
    DELETED = "deleted"


@dataclass(frozen=True)
class AttributeChange:
    """One attribute of a plane, before and after (``None`` where the plane is absent)."""

    name: str
    before: object
    after: object


@dataclass(frozen=True)
class PlaneChange:
    """How one overlay group changed.

    Attributes
    ----------
    group : int
        The overlay group, ``0x6000``...
    kind : ChangeKind
        Added, edited or deleted.
    attributes : tuple of AttributeChange
        The attributes whose values differ (all of them for an added or deleted plane).
    pixels_set, pixels_cleared : int
        Pixels newly set and newly cleared (see the module docstring for where they are
        counted).
    pixels_dropped_outside : int
        Set pixels that lay outside the image and are gone (e.g. *Resize to the image*).
    pixels_moved_outside : int
        Set pixels that lay on the image and now lie outside it (e.g. a new origin); they
        are still stored but no longer shown.
    unusable : bool
        True when the group could not be read as a plane on one side; then only the
        fact that its elements differ is known.
    """

    group: int
    kind: ChangeKind
    attributes: tuple[AttributeChange, ...] = ()
    pixels_set: int = 0
    pixels_cleared: int = 0
    unusable: bool = False
    pixels_dropped_outside: int = 0
    pixels_moved_outside: int = 0

    @property
    def summary(self) -> str:
        """One line for a person, e.g. ``"6000 edited: 12 pixels set, label 'a' -> 'b'"``.

        >>> PlaneChange(0x6002, ChangeKind.ADDED, pixels_set=5).summary
        'Plane 6002 added: 5 pixels set'
        >>> PlaneChange(0x6000, ChangeKind.EDITED, pixels_dropped_outside=3).summary
        'Plane 6000 edited: 3 set pixels outside the image dropped'
        """
        parts: list[str] = []
        if self.pixels_set:
            parts.append(f"{self.pixels_set} pixel{'s' if self.pixels_set != 1 else ''} set")
        if self.pixels_cleared:
            parts.append(f"{self.pixels_cleared} pixel{'s' if self.pixels_cleared != 1 else ''} cleared")
        if self.pixels_dropped_outside:
            n = self.pixels_dropped_outside
            parts.append(f"{n} set pixel{'s' if n != 1 else ''} outside the image dropped")
        if self.pixels_moved_outside:
            n = self.pixels_moved_outside
            parts.append(f"{n} set pixel{'s' if n != 1 else ''} moved outside the image (kept, not shown)")
        if self.kind is ChangeKind.EDITED:
            parts.extend(f"{a.name} {a.before!r} -> {a.after!r}" for a in self.attributes)
        if self.unusable:
            parts.append("the group is not a usable plane on one side")
        text = f"Plane {group_hex(self.group)} {self.kind.value}"
        return f"{text}: {', '.join(parts)}" if parts else text


def _plane(ds: Dataset, group: int) -> tuple[OverlayPlane, NDArray[np.bool_]] | None:
    try:
        plane, bits, _ = unpack_plane(ds, group)
    except OverlayError:
        return None
    return plane, bits


def _group_elements(ds: Dataset, group: int) -> list[tuple[int, str, object]]:
    return [(int(e.tag), str(e.VR), e.value) for e in ds if int(e.tag) >> 16 == group]


def _attributes(
    before: OverlayPlane | None, after: OverlayPlane | None
) -> tuple[AttributeChange, ...]:
    out = []
    for attribute in shown_on_export():
        old = None if before is None else getattr(before, attribute.field)
        new = None if after is None else getattr(after, attribute.field)
        if old != new:
            out.append(AttributeChange(attribute.name, _plain(old), _plain(new)))
    return tuple(out)


def _plain(value: object) -> object:
    """Enum members as their stored value, so that they print as in the file."""
    return value.value if isinstance(value, enum.Enum) else value


def _bit_counts(
    before: tuple[OverlayPlane, NDArray[np.bool_]] | None,
    after: tuple[OverlayPlane, NDArray[np.bool_]] | None,
    image_shape: tuple[int, int, int] | None,
) -> tuple[int, int]:
    """Return ``(newly set, newly cleared)`` pixels."""
    if before is None or after is None:
        present = after if after is not None else before
        assert present is not None
        count = int(np.count_nonzero(present[1]))
        return (count, 0) if after is not None else (0, count)
    (p0, b0), (p1, b1) = before, after
    same_layout = b0.shape == b1.shape and p0.origin == p1.origin
    if not same_layout and image_shape is not None:
        b0, b1 = place(p0, b0, image_shape), place(p1, b1, image_shape)
    elif not same_layout:  # no image to place them on: count whole bitmaps
        return max(0, int(np.count_nonzero(b1)) - int(np.count_nonzero(b0))), max(
            0, int(np.count_nonzero(b0)) - int(np.count_nonzero(b1))
        )
    return int(np.count_nonzero(b1 & ~b0)), int(np.count_nonzero(b0 & ~b1))


def _outside(plane: OverlayPlane, bits: NDArray[np.bool_], rows: int, cols: int) -> int:
    """Count the set pixels of the plane (all frames) that lie outside a ``rows x cols`` image."""
    window = plane_window(plane, rows, cols)
    on_image = 0 if window is None else int(np.count_nonzero(bits[:, window[2], window[3]]))
    return int(np.count_nonzero(bits)) - on_image


def _outside_counts(
    before: tuple[OverlayPlane, NDArray[np.bool_]] | None,
    after: tuple[OverlayPlane, NDArray[np.bool_]] | None,
    image_shape: tuple[int, int, int] | None,
) -> tuple[int, int]:
    """Return ``(dropped outside, moved outside)`` for a plane edited in size or place."""
    if before is None or after is None or image_shape is None:
        return 0, 0
    (p0, b0), (p1, b1) = before, after
    if b0.shape == b1.shape and p0.origin == p1.origin:
        return 0, 0
    _, rows, cols = image_shape
    out0, out1 = _outside(p0, b0, rows, cols), _outside(p1, b1, rows, cols)
    return max(0, out0 - out1), max(0, out1 - out0)


def plane_changes(before: Dataset, after: Dataset) -> list[PlaneChange]:
    """List how the overlay planes of ``after`` differ from those of ``before``.

    Parameters
    ----------
    before : pydicom.dataset.Dataset
        The dataset as loaded.
    after : pydicom.dataset.Dataset
        The dataset as edited.

    Returns
    -------
    list of PlaneChange
        In group order; unchanged groups are left out.

    Examples
    --------
    >>> from overlay_core.planes.writing import set_plane
    >>> a, b = Dataset(), Dataset()
    >>> _ = set_plane(a, 0x6000, np.zeros((2, 2), bool))
    >>> _ = set_plane(b, 0x6000, np.eye(2, dtype=bool))
    >>> [c.summary for c in plane_changes(a, b)]
    ['Plane 6000 edited: 2 pixels set']

    Resizing a plane that reached beyond the image to the image drops what lay outside:

    >>> from overlay_core.edit.operations import resize_to_image
    >>> b.Rows = b.Columns = 1; resized = copy.deepcopy(b); _ = resize_to_image(resized, 0x6000)
    >>> [c.summary for c in plane_changes(b, resized)]
    ['Plane 6000 edited: 1 set pixel outside the image dropped, Rows 2 -> 1, Columns 2 -> 1']
    """
    info = image_info(after)
    image_shape = info.shape if info.rows else None
    groups = sorted(set(overlay_groups(before)) | set(overlay_groups(after)))
    changes: list[PlaneChange] = []
    for group in groups:
        in_before = group in overlay_groups(before)
        in_after = group in overlay_groups(after)
        kind = (
            ChangeKind.EDITED if in_before and in_after
            else ChangeKind.ADDED if in_after else ChangeKind.DELETED
        )
        old = _plane(before, group) if in_before else None
        new = _plane(after, group) if in_after else None
        if (in_before and old is None) or (in_after and new is None):
            if _group_elements(before, group) != _group_elements(after, group):
                changes.append(PlaneChange(
                    group, kind, _attributes(old and old[0], new and new[0]), unusable=True,
                ))
            continue
        attributes = _attributes(old and old[0], new and new[0])
        pixels_set, pixels_cleared = _bit_counts(old, new, image_shape)
        dropped, moved = _outside_counts(old, new, image_shape)
        if kind is ChangeKind.EDITED and not (attributes or pixels_set or pixels_cleared or dropped or moved):
            continue
        changes.append(PlaneChange(group, kind, attributes, pixels_set, pixels_cleared,
                                   pixels_dropped_outside=dropped, pixels_moved_outside=moved))
    return changes
