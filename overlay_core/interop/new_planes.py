r"""Imported masks become new planes: the free groups, the attributes, and all or nothing.

What importing a SEG, an RT Structure Set and a NIfTI volume share: each imported mask
goes into a group free on every image, as an image-sized plane at origin ``1\1``; every
plane is first set on a scratch copy of each header, so an error changes no image.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from overlay_core.edit.operations import crop_to_content
from overlay_core.model import OVERLAY_GROUPS, OverlayPlane
from overlay_core.planes.reading import overlay_groups, unpack_plane
from overlay_core.planes.writing import USER_SUBTYPE, Attributes, set_plane

__all__ = [
    "AUTOMATED_SUBTYPE", "Planned", "add_planes", "clean_lo", "crop_plane", "free_groups", "subtype_of",
]

#: (60xx,0045) *Overlay Subtype* of a plane an algorithm made (a SEG's or ROI's AUTOMATIC).
AUTOMATED_SUBTYPE = "AUTOMATED"

#: One new plane: its group, its image-space mask on each image (in the order of the images),
#: and its attributes.
Planned = tuple[int, Sequence[NDArray[np.bool_]], Attributes]


def clean_lo(text: str) -> str:
    r"""Make text fit an LO: one line, no backslash, at most 64 characters.

    >>> clean_lo(" Left\\right\n lung ")
    'Left/right lung'
    """
    return " ".join(str(text).replace("\\", "/").split())[:64]


def subtype_of(algorithm: str) -> str:
    """Return the Overlay Subtype for a SEG's or ROI's algorithm type: MANUAL is USER.

    >>> subtype_of("manual"), subtype_of("AUTOMATIC"), subtype_of("SEMIAUTOMATIC")
    ('USER', 'AUTOMATED', '')
    """
    return {"MANUAL": USER_SUBTYPE, "AUTOMATIC": AUTOMATED_SUBTYPE}.get(algorithm.upper(), "")


def free_groups(datasets: Sequence[Dataset]) -> list[int]:
    """Return the overlay groups that no image of ``datasets`` uses, in order."""
    used = {g for ds in datasets for g in overlay_groups(ds)}
    return [g for g in OVERLAY_GROUPS if g not in used]


def add_planes(
    datasets: Sequence[Dataset],
    planned: Sequence[Planned],
    then: Callable[[Dataset, int], OverlayPlane] | None = None,
) -> list[list[OverlayPlane]]:
    """Set each planned plane on every image where its mask has a pixel; all or nothing.

    Every step runs first on a scratch copy of each header (without Pixel Data), so a
    plane that cannot be set leaves every image as it was.

    Parameters
    ----------
    datasets : sequence of pydicom.dataset.Dataset
        The images; changed in place.
    planned : sequence of Planned
        The new planes, in the order they are set.
    then : callable, optional
        A step after setting each plane (such as :func:`crop_plane`), returning the plane.

    Returns
    -------
    list of list of OverlayPlane
        The new planes of each image, in the order of ``datasets``.
    """
    for index, ds in enumerate(datasets):
        scratch = Dataset()
        for elem in ds:
            if elem.keyword != "PixelData":
                scratch.add(elem)
        _set(scratch, index, planned, then)
    return [_set(ds, index, planned, then) for index, ds in enumerate(datasets)]


def _set(ds: Dataset, index: int, planned: Sequence[Planned],
         then: Callable[[Dataset, int], OverlayPlane] | None) -> list[OverlayPlane]:
    out = []
    for group, masks, attrs in planned:
        if masks[index].any():
            plane = set_plane(ds, group, masks[index], attrs)
            out.append(then(ds, group) if then is not None else plane)
    return out


def crop_plane(ds: Dataset, group: int) -> OverlayPlane:
    """Crop a plane to its content: rows and columns, then leading and trailing empty frames.

    Nothing moves on the image: the origin and the first image frame follow the crop.
    """
    plane = crop_to_content(ds, group)
    if not plane.frame_specific or plane.frames == 1:
        return plane
    _, bits, _ = unpack_plane(ds, group)
    used = np.flatnonzero(bits.any(axis=(1, 2)))
    first, last = int(used[0]), int(used[-1]) + 1
    if (first, last) == (0, plane.frames):
        return plane
    return set_plane(ds, group, bits[first:last],
                     Attributes(image_frame_origin=plane.image_frame_origin + first))
