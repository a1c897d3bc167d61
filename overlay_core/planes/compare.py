"""The one comparison of two datasets' overlay planes: what differs, in sentences.

Planes are compared by what they mean (their attributes and their bits), not by how they
are stored: the VR of (60xx,3000) *Overlay Data* (OB or OW) and its length (an odd-length
Overlay Data gains its pad byte; a server may pad or re-type it) are not differences.
:data:`ATTRIBUTES` is the one table of plane attributes: the name a person reads, whether
a write (or a PACS store) must keep it, and whether the Export page lists a change of it
(:mod:`overlay_core.planes.changes`).

Used by every write (:func:`check_readback`, through
:func:`overlay_core.planes.writing.checked_bytes`) and by Store to PACS
(:func:`first_difference`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.tag import Tag

from overlay_core.errors import OverlayError, WriteCheckError
from overlay_core.model import OverlayPlane, group_hex
from overlay_core.planes.reading import DATA, load, overlay_groups, unpack_plane

__all__ = [
    "ATTRIBUTES",
    "Attribute",
    "check_readback",
    "differences",
    "first_difference",
    "no_difference",
    "shown_on_export",
]


@dataclass(frozen=True)
class Attribute:
    """One attribute of :class:`~overlay_core.model.OverlayPlane` and how it is compared.

    Attributes
    ----------
    field : str
        The :class:`~overlay_core.model.OverlayPlane` field.
    name : str
        The name a person reads.
    on_write : bool
        A written or stored file must keep it (else the write is refused).
    on_export : bool
        The Export page lists a change of it.
    """

    field: str
    name: str
    on_write: bool
    on_export: bool


#: Every plane attribute but the group (the key planes are matched by). Storage (VR, data
#: length) is never compared; the set-pixel count is covered by comparing the bits.
ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute("rows", "Rows", True, True),
    Attribute("columns", "Columns", True, True),
    Attribute("origin", "Origin", True, True),
    Attribute("type", "Type", True, True),
    Attribute("subtype", "Subtype", True, True),
    Attribute("label", "Label", True, True),
    Attribute("description", "Description", True, True),
    Attribute("frames", "Frames", True, True),
    Attribute("image_frame_origin", "Image frame origin", True, True),
    Attribute("frame_specific", "Frame-specific", True, False),
    Attribute("bits_allocated", "Bits allocated", True, False),
    Attribute("bit_position", "Bit position", True, False),
    Attribute("embedded", "Embedded in Pixel Data", True, True),
    Attribute("roi_area", "ROI area", True, True),
    Attribute("roi_mean", "ROI mean", True, True),
    Attribute("roi_standard_deviation", "ROI standard deviation", True, True),
    Attribute("vr", "VR of Overlay Data", False, False),
    Attribute("data_length", "Overlay Data length", False, False),
    Attribute("set_bits", "Set pixels", False, False),
)

# Every field but the group is in the table, so a new OverlayPlane field cannot be forgotten.
assert {a.field for a in ATTRIBUTES} == {f.name for f in fields(OverlayPlane)} - {"group"}


def shown_on_export() -> tuple[Attribute, ...]:
    """Return the attributes the Export page lists, in table order.

    >>> [a.name for a in shown_on_export()][:3]
    ['Rows', 'Columns', 'Origin']
    """
    return tuple(a for a in ATTRIBUTES if a.on_export)


_Usable = dict[int, tuple[OverlayPlane, NDArray[np.bool_]] | str]


def _usable(ds: Dataset) -> _Usable:
    out: _Usable = {}
    for group in overlay_groups(ds):
        try:
            plane, bits, _ = unpack_plane(ds, group)
        except OverlayError as exc:
            out[group] = str(exc)
        else:
            out[group] = (plane, bits)
    return out


def _show(value: object) -> str:
    return repr(getattr(value, "value", value))


def differences(expected: Dataset, found: Dataset) -> list[str]:
    """Return one sentence per difference between two datasets' overlay planes.

    Empty when every usable plane of ``expected`` is in ``found`` with the same attributes
    (those of :data:`ATTRIBUTES` compared on write) and bits, and ``found`` has no other
    usable plane. A group unusable in ``expected`` is not compared.

    Examples
    --------
    >>> from overlay_core.planes.writing import set_plane
    >>> a, b = Dataset(), Dataset()
    >>> _ = set_plane(a, 0x6000, np.eye(3, dtype=bool)); _ = set_plane(b, 0x6000, np.eye(3, dtype=bool))
    >>> differences(a, b)
    []
    >>> _ = set_plane(b, 0x6000, ~np.eye(3, dtype=bool)); differences(a, b)
    ['Group 6000 differs in 9 of its 9 pixels (frame 1 first).']
    >>> _ = b.add_new(0x60001500, "LO", "x"); differences(a, b)[0]
    "Group 6000 has Label 'x' instead of ''."
    """
    before, after = _usable(expected), _usable(found)
    out = []
    for group in sorted(set(before) | set(after)):
        name = f"Group {group_hex(group)}"
        old, new = before.get(group), after.get(group)
        if not isinstance(old, tuple):
            if isinstance(new, tuple):
                out.append(f"{name} is a plane in the written file but was not one before.")
            continue
        if new is None:
            out.append(f"{name} is missing from the written file.")
            continue
        if isinstance(new, str):
            out.append(f"{name} cannot be read back: {new}")
            continue
        (p_old, bits_old), (p_new, bits_new) = old, new
        for attribute in ATTRIBUTES:
            a, b = getattr(p_old, attribute.field), getattr(p_new, attribute.field)
            if attribute.on_write and a != b:
                out.append(f"{name} has {attribute.name} {_show(b)} instead of {_show(a)}.")
        if bits_old.shape != bits_new.shape:
            out.append(f"{name} has bits of shape {bits_new.shape} instead of {bits_old.shape}.")
        elif not np.array_equal(bits_old, bits_new):
            differ = bits_old != bits_new
            first = int(np.argmax(differ.reshape(differ.shape[0], -1).any(axis=1)))
            out.append(
                f"{name} differs in {int(differ.sum())} of its {differ.size} pixels "
                f"(frame {first + 1} first)."
            )
    return out


def first_difference(expected: Dataset, found: Dataset) -> str | None:
    """Return the first difference as a sentence (naming how many more), or ``None``.

    What Store to PACS reports when a server returns an instance with other planes.

    >>> from overlay_core.planes.writing import set_plane
    >>> a = Dataset(); _ = set_plane(a, 0x6000, np.eye(3, dtype=bool))
    >>> first_difference(a, a) is None, first_difference(a, Dataset())
    (True, 'Group 6000 is missing from the written file.')
    """
    found_differences = differences(expected, found)
    if not found_differences:
        return None
    more = len(found_differences) - 1
    first = found_differences[0]
    return first if not more else f"{first.rstrip('.')} (and {more} more difference(s))."


def no_difference(expected: Dataset, found: Dataset) -> bool:
    """Say whether ``found`` holds exactly the usable planes of ``expected``, attributes and bits.

    Storage is ignored: Overlay Data as OB or OW, with or without a pad byte.

    >>> from overlay_core.planes.writing import set_plane
    >>> a, b = Dataset(), Dataset()
    >>> _ = set_plane(a, 0x6000, np.eye(4, dtype=bool)); _ = set_plane(b, 0x6000, np.eye(4, dtype=bool))
    >>> b[0x60003000].VR = "OB"
    >>> no_difference(a, b), no_difference(a, Dataset())
    (True, False)
    """
    return not differences(expected, found)


def check_readback(ds: Dataset, data: bytes) -> None:
    """Read ``data`` back and raise unless it holds exactly ``ds``'s overlay planes.

    Pixel Data is read back only when a plane is embedded in it (the overlay groups come
    before it in the file), so checking a large file does not hold its image twice.

    Raises
    ------
    WriteCheckError
        Naming the first difference (and how many more there are).
    """
    # A group without Overlay Data may be a plane embedded in Pixel Data: read it then.
    pixels = any(Tag(group, DATA) not in ds for group in overlay_groups(ds))
    try:
        reread = load(data, pixels=pixels)
    except OverlayError as exc:
        raise WriteCheckError(f"The written file cannot be read back ({exc}).") from None
    first = first_difference(ds, reread)
    if first is not None:
        first = first.rstrip(".")
        raise WriteCheckError(
            f"The written file does not read back as edited ({first[0].lower()}{first[1:]})."
        )
