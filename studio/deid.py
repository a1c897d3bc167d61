"""Export → *De-identify overlays*: remove them, or erase the text in them after a review.

One call line on the Export page, :func:`deid_section`. Two choices:

* **Remove every overlay** (PS3.15 Basic Profile): one click, one undoable step.
* **Clean Graphics**: *Find text* runs the OCR (:func:`overlay_core.deid.clean.find_text`)
  over every plane and frame; the words found are drawn as boxes on the plane (red: will
  be erased, green: kept), each with a checkbox; *Erase the text* applies the choice, cleans
  the text attributes and records the method, as one undoable step (the Edit page's undo,
  or *Undo* here). The found words are kept per file and per content, so an edit elsewhere
  asks for a new search instead of erasing stale boxes.

Either way the Download above then offers the de-identified file, written through the one
checked write path. The header (names, IDs, dates outside the overlays) is not touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from overlay_core.deid.clean import GROW, FoundText, clean_graphics, find_text
from overlay_core.deid.decompress import compressed_sentence, embedded_in_compressed
from overlay_core.deid.profiles import Profile, finish
from overlay_core.deid.remove import remove_overlays
from overlay_core.errors import OverlayError
from overlay_core.model import group_hex
from overlay_core.planes.placement import frame_map, origin_offset
from overlay_core.planes.reading import frame_bits, image_info, overlay_groups, read_plane
from overlay_core.render.compose import render
from studio.editor import editing
from studio.state import LoadedFile, content_key
from studio.text import plain
from studio.view import MAX_DISPLAY

__all__ = ["Search", "boxes_on_image", "deid_section", "review_image"]

_SEARCH = "export.deid.search"  # session key: {file id: Search}
_FLASH = "export.deid.flash"
#: History labels of the two steps (the Edit page lists them for undo).
REMOVE_LABEL = "de-identify: remove overlays"
CLEAN_LABEL = "de-identify: clean graphics"

_REMOVE_RGB, _KEEP_RGB = (230, 40, 40), (40, 180, 60)


@dataclass(frozen=True)
class Search:
    """The words found in one file, for the content they were found in."""

    key: str
    found: tuple[FoundText, ...]


def review_image(bits: NDArray[np.bool_], words: Sequence[FoundText], keep: set[str]) -> NDArray[np.uint8]:
    """Return one plane frame as RGB with each word's box drawn: red erased, green kept.

    The box drawn is the one erased (the engine's box grown by
    :data:`overlay_core.deid.clean.GROW`). Small planes are doubled so the boxes can be seen.

    >>> w = FoundText("6000/1/0", 0x6000, 0, "AB", (1, 1, 3, 4), 90.0)
    >>> img = review_image(np.zeros((6, 6), bool), [w], set())
    >>> img.shape, img[0, 0].tolist()
    ((12, 12, 3), [230, 40, 40])
    """
    grey = np.where(bits, 255, 40).astype(np.uint8)
    scale = 2 if max(bits.shape) < 400 else 1
    picture = Image.fromarray(np.stack([grey] * 3, axis=-1)).resize(
        (bits.shape[1] * scale, bits.shape[0] * scale), Image.Resampling.NEAREST)
    draw = ImageDraw.Draw(picture)
    for word in words:
        top, left, bottom, right = word.box
        box = (max(0, left - GROW) * scale, max(0, top - GROW) * scale,
               (right + GROW) * scale - 1, (bottom + GROW) * scale - 1)
        draw.rectangle(box, outline=_KEEP_RGB if word.id in keep else _REMOVE_RGB, width=max(1, scale))
    return np.asarray(picture)


def boxes_on_image(ds: Any, group: int, frame: int, words: Sequence[FoundText], keep: set[str]
                   ) -> tuple[NDArray[np.uint8], int] | None:
    """Return the image frame a plane frame lies on, rendered with its planes, and the boxes drawn.

    The app's own rendering (:func:`overlay_core.render.compose.render`, at most
    :data:`studio.view.MAX_DISPLAY` wide) with each box moved by the plane's Overlay Origin
    and scaled to the view. ``None`` when the file has no image or the plane frame lies on
    no image frame; the caller then shows the plane alone (:func:`review_image`).

    Returns
    -------
    (numpy.ndarray, int)
        The RGB view and the 0-based image frame shown.
    """
    info = image_info(ds)
    if info.rows == 0:
        return None
    plane = read_plane(ds, group)
    frames = dict(frame_map(plane, info.frames))
    if frame not in frames:
        return None
    try:
        view = render(ds, frame=frames[frame], max_size=MAX_DISPLAY)
    except OverlayError:
        return None
    picture = Image.fromarray(view.image)
    draw = ImageDraw.Draw(picture)
    r0, c0 = origin_offset(plane.origin)
    scale = view.scale
    for word in words:
        top, left, bottom, right = word.box
        box = ((c0 + left - GROW) * scale, (r0 + top - GROW) * scale,
               (c0 + right + GROW) * scale, (r0 + bottom + GROW) * scale)
        draw.rectangle(box, outline=_KEEP_RGB if word.id in keep else _REMOVE_RGB, width=2)
    return np.asarray(picture), frames[frame]


def _searches() -> dict[str, Search]:
    found: dict[str, Search] = st.session_state.setdefault(_SEARCH, {})
    return found


def _word_key(entry: LoadedFile, word: FoundText) -> str:
    return f"export.deid.remove.{entry.id}.{word.id}"


def _remove_step(ds: Any) -> dict[str, Any]:
    return finish(ds, Profile.REMOVE, remove_overlays(ds))


def _clean_step(found: Sequence[FoundText], keep: set[str]) -> Any:
    def step(ds: Any) -> dict[str, Any]:
        return finish(ds, Profile.CLEAN_GRAPHICS, clean_graphics(ds, found, keep=keep))
    return step


def _apply(entry: LoadedFile, label: str, step: Any) -> None:
    try:
        report = editing.run(entry, label, step)
    except OverlayError as exc:
        st.error(plain(str(exc)))
        return
    _searches().pop(entry.id, None)
    planes = report.get("planes", [])
    if report["profile"] == Profile.REMOVE:
        text = f"Removed {len(planes)} overlay group(s)"
    else:
        erased = sum(1 for p in planes for f in p.get("frames", []) for w in f["words"] if w["removed"])
        pixels = sum(int(p.get("pixels_erased", 0)) for p in planes)
        text = f"Erased {erased} word(s) ({pixels} pixels) and cleaned the overlay text attributes"
    st.session_state[_FLASH] = (f"{text}; recorded as {report['code']['meaning']} "
                                f"({report['code']['value']}). Download the file above.")
    editing.bump_nonce(st.session_state)
    st.rerun()


def _undo_offer(entry: LoadedFile) -> None:
    steps = editing.history(entry)
    if steps.undo_label in (REMOVE_LABEL, CLEAN_LABEL):
        if st.button("Undo the de-identification", key="export.deid.undo", icon=":material/undo:"):
            editing.step_and_rerun(entry)


def _review(entry: LoadedFile, search: Search) -> None:
    assert entry.dataset is not None
    if not search.found:
        st.info("No text was found in the overlays. Clean Graphics still removes their Label, "
                "Description and Comments and records the method.")
    keep = {w.id for w in search.found if not st.session_state.get(_word_key(entry, w), True)}
    groups = sorted({w.group for w in search.found})
    where = "image"
    if groups:
        where = str(st.radio("Show the boxes", ["image", "plane"], horizontal=True,
                             key=f"export.deid.where.{entry.id}",
                             format_func={"image": "on the image", "plane": "on the plane alone"}.get))
    for group in groups:
        words = [w for w in search.found if w.group == group]
        frames = sorted({w.frame for w in words})
        frame = frames[0]
        if len(frames) > 1:
            frame = int(st.selectbox(f"Frame of {group_hex(group)} to show", frames,
                                     format_func=lambda f: f"frame {f + 1}",
                                     key=f"export.deid.frame.{entry.id}.{group_hex(group)}"))
        try:
            _, bits = frame_bits(entry.dataset, group, frame)
        except OverlayError as exc:
            st.error(plain(str(exc)))
            continue
        shown = [w for w in words if w.frame == frame]
        on_image = boxes_on_image(entry.dataset, group, frame, shown, keep) if where == "image" else None
        if on_image is not None:
            st.image(on_image[0], width="content", output_format="PNG",
                     caption=f"Plane {group_hex(group)}, frame {frame + 1}, on image frame "
                             f"{on_image[1] + 1}: red boxes are erased, green kept")
        else:
            st.image(review_image(bits, shown, keep), width="content", output_format="PNG",
                     caption=f"Plane {group_hex(group)}, frame {frame + 1}: red boxes are erased, green kept")
        for word in words:
            st.checkbox(f"Erase {plain(repr(word.text))} (plane {group_hex(group)}, frame {word.frame + 1}, "
                        f"rows {word.box[0] + 1}–{word.box[2]}, columns {word.box[1] + 1}–{word.box[3]}, "
                        f"confidence {word.confidence:.0f})",
                        value=True, key=_word_key(entry, word))
    erase = len(search.found) - len(keep)
    if st.button(f"Erase the text ({erase} of {len(search.found)} word(s)) and clean the attributes",
                 key="export.deid.apply", type="primary", icon=":material/ink_eraser:"):
        _apply(entry, CLEAN_LABEL, _clean_step(search.found, keep))


def deid_section(entry: LoadedFile) -> None:
    """Draw Export's *De-identify overlays*: remove them, or find, review and erase their text."""
    if entry.dataset is None:
        return
    st.subheader("De-identify overlays")
    flash = st.session_state.pop(_FLASH, None)
    if flash:
        st.success(flash, icon=":material/verified_user:")
    _undo_offer(entry)
    if not overlay_groups(entry.dataset) and not embedded_in_compressed(entry.dataset):
        st.caption("This file has no overlay groups to de-identify.")
        return
    st.caption("Overlays can carry names, IDs and dates as pixels. This cleans the overlays only "
               "(60xx groups and overlay bits in Pixel Data), never the rest of the header: use a "
               "header de-identification tool for that (see README, De-identification).")
    profile = st.radio(
        "How", [Profile.REMOVE.value, Profile.CLEAN_GRAPHICS.value], horizontal=True,
        key="export.deid.profile",
        format_func={Profile.REMOVE.value: "Remove every overlay (Basic Profile)",
                     Profile.CLEAN_GRAPHICS.value: "Keep the graphics, erase the text (Clean Graphics)"}.get,
    )
    blocked = embedded_in_compressed(entry.dataset)
    if blocked:  # the app never re-encodes Pixel Data; the CLI's --decompress does it
        st.error(plain(compressed_sentence(entry.dataset, blocked).replace(
            "choose decompress", "the command line's deid --decompress does")))
        return
    if profile == Profile.REMOVE.value:
        if st.button("Remove every overlay", key="export.deid.remove", icon=":material/layers_clear:"):
            _apply(entry, REMOVE_LABEL, _remove_step)
        return
    key = content_key(entry)
    search = _searches().get(entry.id)
    if search is not None and search.key != key:
        search = None  # the file changed since: its boxes may no longer be where they were
    if st.button("Find text in the overlays", key="export.deid.find", icon=":material/search:"):
        try:
            with st.spinner("Reading every plane and frame…"):
                search = Search(key, tuple(find_text(entry.dataset)))
        except OverlayError as exc:
            st.error(plain(str(exc)))
            return
        _searches()[entry.id] = search
    if search is not None:
        _review(entry, search)
