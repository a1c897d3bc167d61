"""Remove every overlay: the Basic Application Confidentiality Profile for overlays (PS3.15 E.1).

PS3.15 Table E.1-1 gives action X (remove) to (60xx,3000) *Overlay Data* and (60xx,4000)
*Overlay Comments*, and to (0008,0024) *Overlay Date* and (0008,0034) *Overlay Time*. A
plane without its data is meaningless, so every element of every 60xx group goes, odd
(private) and out-of-range ones too; retired planes embedded in native Pixel Data have
their bit cleared in every pixel word (:func:`overlay_core.planes.writing.delete_plane`),
so the image's own bits (those up to *High Bit*) are unchanged bit for bit.

Embedded planes in compressed Pixel Data are refused in one sentence unless
``decompress`` is given (:mod:`overlay_core.deid.decompress`).
"""

from __future__ import annotations

from typing import Any

from pydicom.dataset import Dataset

from overlay_core.deid.decompress import compressed_sentence, decompress, embedded_in_compressed
from overlay_core.errors import OverlayError, UnsupportedError
from overlay_core.model import FIRST_GROUP, group_hex
from overlay_core.planes.reading import read_plane
from overlay_core.planes.writing import delete_plane

__all__ = ["OVERLAY_DATE_TIME", "remove_overlay_date_time", "remove_overlays"]

#: (0008,0024) Overlay Date and (0008,0034) Overlay Time: action X in PS3.15 Table E.1-1.
OVERLAY_DATE_TIME = (0x00080024, 0x00080034)

_LAST_60XX = 0x60FF


def remove_overlay_date_time(ds: Dataset) -> list[str]:
    """Remove Overlay Date and Overlay Time; return the keywords removed."""
    removed = []
    for t in OVERLAY_DATE_TIME:
        if t in ds:
            removed.append(str(ds[t].keyword))
            del ds[t]
    return removed


def prepare(ds: Dataset, decompress_image: bool) -> bool:
    """Refuse, or decompress, a file whose planes are embedded in compressed Pixel Data.

    Returns
    -------
    bool
        Whether the image was decompressed.

    Raises
    ------
    UnsupportedError
        With :func:`~overlay_core.deid.decompress.compressed_sentence` unless ``decompress_image``.
    """
    groups = embedded_in_compressed(ds)
    if not groups:
        return False
    if not decompress_image:
        raise UnsupportedError(compressed_sentence(ds, groups))
    decompress(ds)
    return True


def remove_overlays(ds: Dataset, decompress_image: bool = False) -> dict[str, Any]:
    """Remove every 60xx group and clear embedded overlay bits; return what was removed.

    Returns
    -------
    dict
        ``planes``: per group its size, frames, whether it was embedded and what happened to
        its bits; ``other_groups``: odd or out-of-range 60xx groups removed;
        ``attributes``: Overlay Date/Time removed; ``decompressed``.

    Raises
    ------
    UnsupportedError
        If planes are embedded in compressed Pixel Data and ``decompress_image`` is false;
        ``ds`` is unchanged then.

    Examples
    --------
    >>> from overlay_core.planes.writing import set_plane
    >>> import numpy as np
    >>> ds = Dataset(); _ = set_plane(ds, 0x6000, np.eye(2, dtype=bool))
    >>> remove_overlays(ds)["planes"][0]["action"], len(ds)
    ('removed', 0)
    """
    decompressed = prepare(ds, decompress_image)
    planes: list[dict[str, Any]] = []
    groups = sorted({int(t) >> 16 for t in ds.keys() if FIRST_GROUP <= int(t) >> 16 <= _LAST_60XX})
    others = []
    for group in groups:
        entry: dict[str, Any] = {"group": group_hex(group) if group % 2 == 0 else f"{group:04X}"}
        try:
            plane = read_plane(ds, group)
            entry.update(rows=plane.rows, columns=plane.columns, frames=plane.frames,
                         embedded=plane.embedded, set_pixels=plane.set_bits)
        except OverlayError as exc:
            entry["unusable"] = " ".join(str(exc).split())
        try:
            delete_plane(ds, group)
            entry["action"] = "removed"
            if entry.get("embedded"):
                entry["embedded_bits"] = "cleared"
        except UnsupportedError as exc:  # e.g. the plane's bit holds image data: the pixels stay
            entry["action"] = "removed"
            entry["embedded_bits"] = f"left in Pixel Data: {' '.join(str(exc).split())}"
        except OverlayError:  # not a plane group at all (odd or out of range)
            entry["action"] = "removed"
            others.append(entry["group"])
        for t in [t for t in ds.keys() if int(t) >> 16 == group]:
            del ds[t]
        if entry["group"] not in others:
            planes.append(entry)
    return {"planes": planes, "other_groups": others, "attributes": remove_overlay_date_time(ds),
            "decompressed": decompressed}
