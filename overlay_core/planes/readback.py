"""The read-back check: written bytes must hold the same planes, bit for bit.

Planes are compared by what they mean (attributes and bits), not by how they are
stored: the length and VR of (60xx,3000) may change on writing (an odd-length Overlay
Data gains its pad byte), and that is not a difference. Each difference is named in one
sentence, so a refusal says what differs instead of only counting planes.
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np
from pydicom.dataset import Dataset
from pydicom.tag import Tag

from overlay_core.errors import OverlayError, WriteCheckError
from overlay_core.model import OverlayPlane, group_hex
from overlay_core.planes.reading import DATA, load, overlay_groups, unpack_plane

__all__ = ["check_readback", "plane_differences"]

#: Plane attributes that describe storage, not the plane; they may change on writing.
_STORAGE = {"vr", "data_length"}


def _usable(ds: Dataset) -> dict[int, tuple[OverlayPlane, np.ndarray] | str]:
    out: dict[int, tuple[OverlayPlane, np.ndarray] | str] = {}
    for group in overlay_groups(ds):
        try:
            plane, bits, _ = unpack_plane(ds, group)
        except OverlayError as exc:
            out[group] = str(exc)
        else:
            out[group] = (plane, bits)
    return out


def plane_differences(expected: Dataset, found: Dataset) -> list[str]:
    """Return one sentence per difference between two datasets' overlay planes.

    Empty when every usable plane of ``expected`` is in ``found`` with the same
    attributes and bits, and ``found`` has no other plane.

    >>> from overlay_core.planes.writing import set_plane
    >>> a, b = Dataset(), Dataset()
    >>> _ = set_plane(a, 0x6000, np.eye(3, dtype=bool)); _ = set_plane(b, 0x6000, np.eye(3, dtype=bool))
    >>> plane_differences(a, b)
    []
    >>> _ = set_plane(b, 0x6000, ~np.eye(3, dtype=bool)); plane_differences(a, b)
    ['Group 6000 differs in 9 of its 9 pixels (frame 1 first).']
    """
    before, after = _usable(expected), _usable(found)
    out = []
    for group in sorted(set(before) | set(after)):
        name = f"Group {group_hex(group)}"
        old, new = before.get(group), after.get(group)
        if isinstance(old, str) or old is None:
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
        for f in fields(OverlayPlane):
            if f.name in _STORAGE or f.name == "set_bits":
                continue
            a, b = getattr(p_old, f.name), getattr(p_new, f.name)
            if a != b:
                out.append(f"{name} has {f.name.replace('_', ' ')} {b!r} instead of {a!r}.")
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
    differences = plane_differences(ds, reread)
    if differences:
        more = f" (and {len(differences) - 1} more difference(s))" if len(differences) > 1 else ""
        first = differences[0].rstrip(".")
        raise WriteCheckError(
            f"The written file does not read back as edited ({first[0].lower()}{first[1:]}{more})."
        )
