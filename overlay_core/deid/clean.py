"""Clean Graphics: keep the overlay graphics, erase the text in them (PS3.15 E.3.3, CID 7050 113103).

PS3.15 Table E.1-1 gives (60xx,3000) *Overlay Data* and (60xx,4000) *Overlay Comments*
action C under the Clean Graphics Option: "replace with values of similar meaning known
not to contain identifying information". Here that means:

* **Overlay Data**: every frame of every plane, embedded planes included, is read by OCR
  (:mod:`overlay_core.deid.ocr`); the pixels of each text box found (grown by one pixel,
  as the engine's boxes hug the glyphs) are cleared, and every other pixel is kept. An
  embedded plane with text is moved to (60xx,3000) as it is cleaned (its bit is cleared
  from Pixel Data); a plane with no text is left as it is.
* **Overlay Comments**, **Overlay Label** (60xx,1500) and **Overlay Description**
  (60xx,0022): free text that cannot be known not to identify, all Type 3, so removed
  (Comments is C in Table E.1-1; Label and Description are not listed there and are
  treated as Comments is).
* (0008,0024) *Overlay Date* and (0008,0034) *Overlay Time* are removed (action X, which
  the Clean Graphics Option does not change).
* A 60xx group that cannot be read as a plane cannot be checked, so it is removed.

Words are first *found* (:func:`find_text`), so that a person can review them, then
*erased* (:func:`clean_graphics`), except those the reviewer chose to keep.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from scipy import ndimage

from overlay_core.deid import ocr
from overlay_core.deid.remove import prepare, remove_overlay_date_time
from overlay_core.errors import OverlayError
from overlay_core.model import group_hex
from overlay_core.planes.reading import DESCRIPTION, LABEL, overlay_groups, read_plane, tag, unpack_plane
from overlay_core.planes.writing import delete_plane, set_plane

__all__ = ["COMMENTS", "FoundText", "clean_graphics", "erase", "find_text", "frame_text", "text_words"]

#: (60xx,4000) Overlay Comments (retired).
COMMENTS = 0x4000

#: Pixels added around each engine box before erasing.
GROW = 1

#: The tallest word taken as overlay text (:data:`overlay_core.deid.ocr.MAX_TEXT_HEIGHT`).
MAX_TEXT_HEIGHT = ocr.MAX_TEXT_HEIGHT

_TEXT_ATTRIBUTES = (
    (LABEL, "Overlay Label"), (DESCRIPTION, "Overlay Description"), (COMMENTS, "Overlay Comments"),
)


@dataclass(frozen=True)
class FoundText:
    """One word found in a plane's frame.

    Attributes
    ----------
    id : str
        ``"<group>/<frame, 1-based>/<n>"``, stable for one dataset: the reviewer's handle.
    group : int
        The overlay group.
    frame : int
        The plane's frame, 0-based.
    text : str
        As the engine read it.
    box : tuple of int
        ``(top, left, bottom, right)`` in the plane's own pixels, exclusive ends.
    confidence : float
        The engine's confidence, 0-100.
    """

    id: str
    group: int
    frame: int
    text: str
    box: ocr.Box
    confidence: float


def _glyph_share(labels: NDArray[np.int32], objects: Sequence[Any], box: ocr.Box) -> float:
    """Share of the set pixels in ``box`` that belong to components about the box's height.

    A word read from a circle or a line crossing it has most of its pixels in one component
    much larger than the word: that is graphics, not text.
    """
    top, left, bottom, right = box
    inside = labels[top:bottom, left:right]
    ids, counts = np.unique(inside[inside > 0], return_counts=True)
    if counts.sum() == 0:
        return 0.0
    height, width = bottom - top, right - left
    glyph = 0
    for i, n in zip(ids, counts, strict=True):
        rows, cols = objects[int(i) - 1]
        if rows.stop - rows.start <= 1.5 * height + 2 and cols.stop - cols.start <= width + height:
            glyph += int(n)
    return glyph / int(counts.sum())


def text_words(bits: NDArray[np.bool_], words: Sequence[ocr.Word]) -> list[ocr.Word]:
    """Return the words of one frame that are text, not graphics read as letters.

    A word is text when its box is at most :data:`MAX_TEXT_HEIGHT` high and at least half
    of the set pixels in it belong to connected components about the box's size.
    """
    if not words:
        return []
    labels, _ = ndimage.label(bits, structure=np.ones((3, 3), bool))
    objects = ndimage.find_objects(labels)
    return [w for w in words
            if w.box[2] - w.box[0] <= MAX_TEXT_HEIGHT and _glyph_share(labels, objects, w.box) >= 0.5]


def frame_text(bits: NDArray[np.bool_]) -> list[ocr.Word]:
    """Return the words of one frame that are text (:func:`text_words` of what OCR reads).

    >>> frame_text(np.zeros((4, 4), bool))
    []
    """
    return text_words(bits, ocr.words_in(bits))


def find_text(ds: Dataset, decompress_image: bool = False) -> list[FoundText]:
    """Find the words in every frame of every usable plane (embedded ones included).

    Identical frames are read once, and all distinct frames of the file are read together
    (:func:`overlay_core.deid.ocr.words_in_frames`). ``decompress_image`` first decodes
    compressed Pixel Data that holds embedded planes (see
    :func:`overlay_core.deid.remove.prepare`).

    Raises
    ------
    UnsupportedError
        If the OCR engine is missing, or planes are embedded in compressed Pixel Data and
        ``decompress_image`` is false.
    """
    prepare(ds, decompress_image)
    distinct: dict[bytes, NDArray[np.bool_]] = {}
    where: list[tuple[int, int, bytes]] = []  # (group, frame, key of its bits)
    for group in overlay_groups(ds):
        try:
            _, bits, _ = unpack_plane(ds, group)
        except OverlayError:
            continue  # unreadable: clean_graphics removes it
        for frame in range(bits.shape[0]):
            key = hashlib.blake2b(np.packbits(bits[frame]).tobytes() + str(bits.shape).encode()).digest()
            distinct.setdefault(key, bits[frame])
            where.append((group, frame, key))
    keys = list(distinct)
    read = ocr.words_in_frames([distinct[k] for k in keys])
    words = {k: text_words(distinct[k], w) for k, w in zip(keys, read, strict=True)}
    return [FoundText(f"{group_hex(group)}/{frame + 1}/{n}", group, frame, w.text, w.box, w.confidence)
            for group, frame, key in where for n, w in enumerate(words[key])]


def erase(bits: NDArray[np.bool_], boxes: Sequence[ocr.Box]) -> NDArray[np.bool_]:
    """Return ``bits`` (one frame) with each box, grown by :data:`GROW`, cleared.

    >>> int(erase(np.ones((3, 4), bool), [(1, 1, 2, 2)]).sum())
    3
    """
    out = bits.copy()
    for top, left, bottom, right in boxes:
        out[max(0, top - GROW):bottom + GROW, max(0, left - GROW):right + GROW] = False
    return out


def _text_attributes(ds: Dataset, group: int) -> list[str]:
    removed = []
    for element, name in _TEXT_ATTRIBUTES:
        if tag(group, element) in ds:
            del ds[tag(group, element)]
            removed.append(name)
    return removed


def clean_graphics(
    ds: Dataset,
    found: Sequence[FoundText] | None = None,
    keep: Collection[str] = (),
    decompress_image: bool = False,
) -> dict[str, Any]:
    """Erase the text found in the planes and clean their text attributes, in place.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        Changed in place.
    found : sequence of FoundText, optional
        The words to act on, as :func:`find_text` returned them for ``ds`` (found now when
        not given).
    keep : collection of str
        Ids of found words to keep (a reviewer judged them not identifying).
    decompress_image : bool
        Decode compressed Pixel Data holding embedded planes first.

    Returns
    -------
    dict
        ``planes``: per group its action (``"cleaned"``, ``"unchanged"`` or ``"removed"``),
        ``frames_read``, per frame with words the words with their boxes and whether each
        was removed, the pixels erased and the text attributes removed; ``attributes``:
        Overlay Date/Time removed; ``decompressed``.

    Raises
    ------
    UnsupportedError
        As :func:`find_text`; ``ds`` is unchanged then.
    """
    if found is None:
        ocr.require_engine()  # before anything changes
    decompressed = prepare(ds, decompress_image)
    if found is None:
        found = find_text(ds)
    planes: list[dict[str, Any]] = []
    for group in overlay_groups(ds):
        entry: dict[str, Any] = {"group": group_hex(group)}
        try:
            plane, bits, _ = unpack_plane(ds, group)
        except OverlayError as exc:
            entry.update(action="removed", unusable=" ".join(str(exc).split()))
            try:
                delete_plane(ds, group)
            except OverlayError:
                for t in [t for t in ds.keys() if int(t) >> 16 == group]:
                    del ds[t]
            planes.append(entry)
            continue
        entry.update(embedded=plane.embedded, frames_read=int(bits.shape[0]), frames=[])
        cleaned = bits.copy()
        for frame in range(bits.shape[0]):
            words = [w for w in found if w.group == group and w.frame == frame]
            erased = [w.box for w in words if w.id not in keep]
            if erased:
                cleaned[frame] = erase(bits[frame], erased)
            if words:
                entry["frames"].append({"frame": frame + 1, "words": [
                    {"id": w.id, "text": w.text, "box": list(w.box), "confidence": round(w.confidence, 1),
                     "removed": w.id not in keep} for w in words]})
        erased_pixels = int(np.count_nonzero(bits & ~cleaned))
        entry["pixels_erased"] = erased_pixels
        entry["set_pixels"] = int(np.count_nonzero(cleaned))
        if erased_pixels:
            set_plane(ds, group, cleaned)  # an embedded plane moves to (60xx,3000) here
            entry["action"] = "cleaned" + (" (moved out of Pixel Data)" if plane.embedded else "")
        else:
            entry["action"] = "unchanged"
        entry["attributes_removed"] = _text_attributes(ds, group)
        read_plane(ds, group)  # still a plane
        planes.append(entry)
    return {"planes": planes, "attributes": remove_overlay_date_time(ds), "decompressed": decompressed}
