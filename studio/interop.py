"""SEG, presentation state and burned-in Secondary Capture in the app.

Three pieces, each called with one line from its page:

* :func:`export_section` (Export): one download each for a SEG, a presentation state and
  a Secondary Capture of the active file, each written, read back and checked by the
  core (:func:`overlay_core.interop.seg.seg_bytes`, :func:`overlay_core.interop.gsps.gsps_bytes`,
  :func:`overlay_core.interop.secondary_capture.sc_bytes`) before it is offered;
* :func:`presentation_state_section` (Inspect): the planes a presentation state shows on
  the image it references, when both are open;
* :func:`seg_import_section` (Edit): upload a SEG of the active image and add its
  segments as planes (one undoable step).

:func:`derived_files` returns the same checked bytes by file name without any UI;
:func:`make_derived` makes one from any dataset (e.g. an instance as stored to a PACS), and
:func:`chosen_options` gives the planes, labels and frame chosen on Export.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping, Sequence
from typing import Any, cast

import pydicom
import streamlit as st
from pydicom.dataset import Dataset, FileMetaDataset

from overlay_core.errors import OverlayError
from overlay_core.interop import kinds
from overlay_core.interop.gsps import is_presentation_state, referenced_frames, state_planes
from overlay_core.interop.kinds import DerivedKind
from overlay_core.interop.seg import import_seg, read_segments, segment_label
from overlay_core.model import OverlayPlane, group_hex
from overlay_core.planes.placement import frame_map
from overlay_core.planes.reading import load
from overlay_core.render.compose import render
from overlay_core.render.styles import PlaneStyle, default_color
from studio import state
from studio.editor import editing
from studio.export import checked_bytes
from studio.state import LoadedFile, content_key
from studio.text import plain
from studio.view import MAX_DISPLAY

__all__ = [
    "DerivedKind",
    "chosen_options",
    "derived_bytes",
    "derived_files",
    "derived_name",
    "export_section",
    "make_derived",
    "presentation_state_section",
    "seg_import_section",
    "written_uid",
]

_FLASH = "edit.seg_flash"
_WANTED = "export.derived_wanted"  # ids of the files whose derived files the user asked for
#: Derived files kept per loaded file (an RGB Secondary Capture of 4096 x 4096 is 48 MB).
_MEMO_ENTRIES = 6


def _session() -> state.State:
    return cast(state.State, st.session_state)


def derived_name(entry: LoadedFile, kind: DerivedKind | str, frame: int | None = None) -> str:
    """Return the download name of a derived file, e.g. ``"scan-seg.dcm"``.

    >>> derived_name(LoadedFile("f1", "scan.dcm", 0, ""), "sc", 2)
    'scan-frame3-sc.dcm'
    """
    where = f"-frame{frame + 1}" if frame is not None else ""
    return f"{entry.stem}{where}-{DerivedKind.coerce(kind).suffix}.dcm"


def derived_bytes(
    entry: LoadedFile,
    kind: DerivedKind | str,
    groups: Sequence[int] | None = None,
    labels: Mapping[int, str] | None = None,
    frame: int = 0,
    sop_instance_uid: str | None = None,
) -> tuple[str, bytes]:
    """Return ``(file name, bytes)`` of one derived file, checked by the core; memoised.

    ``kind`` is ``"seg"``, ``"gsps"`` or ``"sc"``. ``groups`` chooses the planes (all by
    default): the segments of the SEG, the planes of the presentation state, the planes
    burned into the Secondary Capture of ``frame`` (0-based). The result is kept on the
    file (this session only), keyed by its content and the options, so reruns do not
    write again and UIDs stay the same until the content changes. ``sop_instance_uid``
    makes the file reference the image under that UID (the one the edited file is
    downloaded with, when it gets a new one).

    Raises
    ------
    OverlayError
        When the file cannot be made or fails its check (the message says why).
    """
    if entry.dataset is None:
        raise OverlayError(f"{entry.name} could not be read, so nothing can be made from it.")
    ds = entry.dataset if sop_instance_uid is None else _with_uid(entry.dataset, sop_instance_uid)
    planes = [p for p in entry.planes() if groups is None or p.group in groups]
    chosen = [p.group for p in planes]
    defaults = {p.group: segment_label(p) for p in planes}
    labels = {g: text for g, text in (labels or {}).items() if g in defaults and text != defaults[g]}
    named = kind in ("seg", "rtstruct")  # segment labels and ROI names; the others have frames
    options = repr((kind, sop_instance_uid, chosen, sorted(labels.items()) if named else None,
                    None if named else frame))
    content = content_key(entry)
    key = f"{content}|{hashlib.sha256(options.encode()).hexdigest()}"
    memo = entry.derived_memo
    if key in memo:
        return memo[key]
    where, data = make_derived(ds, kind, chosen, labels, frame)
    result = derived_name(entry, kind, where), data
    for stale in [k for k in memo if not k.startswith(content)]:
        del memo[stale]  # only the current content is kept ...
    if len(memo) >= _MEMO_ENTRIES:
        memo.clear()  # ... with a few sets of options at most
    memo[key] = result
    return result


def make_derived(
    ds: Dataset,
    kind: DerivedKind | str,
    groups: Sequence[int],
    labels: Mapping[int, str] | None = None,
    frame: int = 0,
    series_uid: str | None = None,
) -> tuple[int | None, bytes]:
    """Return one derived file of ``ds`` as checked bytes, and the frame its name mentions.

    The planes in ``groups`` (in that order) go into the SEG (with ``labels``), the
    presentation state (for ``frame`` only when planes differ per frame of a multi-frame
    image) or the Secondary Capture of ``frame`` (0-based), in the series ``series_uid``
    or a new one. The frame returned is ``None`` where the file covers the whole image.

    Raises
    ------
    OverlayError
        When the file cannot be made or fails its check (the message says why).
    """
    kind = DerivedKind.coerce(kind)
    where = kinds.covered_frame(ds, kind, groups, frame)
    chosen = where if kind is DerivedKind.GSPS else frame
    return where, kinds.derived_bytes(ds, kind, groups, labels=labels, frame=chosen, series_uid=series_uid)


def chosen_options(session: state.State, entry: LoadedFile) -> tuple[list[int], dict[int, str], int]:
    """Return the planes, segment labels and 0-based frame chosen for ``entry`` on Export.

    They are what *For other viewers* shows (its widgets' values in ``session``): every
    plane, the default labels and the first frame until the user changes them.
    """
    planes = entry.planes()
    picked = session.get(f"export.interop_planes.{entry.id}")
    groups = [p.group for p in planes if picked is None or p.group in picked]  # in plane order
    labels = {p.group: str(session.get(f"export.seg_label.{entry.id}.{p.group_hex}") or segment_label(p))
              for p in planes if p.group in groups}
    frames = entry.image_info().frames if entry.ok else 1
    first = first_plane_frame([p for p in planes if p.group in groups], frames)
    frame = int(session.get(f"export.interop_frame.{entry.id}") or first + 1) - 1
    return groups, labels, min(max(frame, 0), frames - 1)


def first_plane_frame(planes: Sequence[OverlayPlane], image_frames: int) -> int:
    """Return the first 0-based image frame that holds one of ``planes`` (0 when none does).

    Derived files default to it: image frame 1 of a plane that starts at frame 2 would be
    an empty burned-in image.

    >>> later = OverlayPlane(0x6000, 2, 2, frames=2, image_frame_origin=2, frame_specific=True)
    >>> first_plane_frame([later], 4), first_plane_frame([], 4)
    (1, 0)
    """
    covered = [image for p in planes for _, image in frame_map(p, image_frames)]
    return min(covered) if covered else 0


def _with_uid(ds: Dataset, uid: str) -> Dataset:
    """Return a view of ``ds`` (elements shared, none changed) with another SOP Instance UID."""
    view = Dataset()
    for elem in ds:
        if elem.keyword != "SOPInstanceUID":
            view.add(elem)
    view.SOPInstanceUID = uid
    view.file_meta = getattr(ds, "file_meta", FileMetaDataset())
    return view


def written_uid(entry: LoadedFile) -> str:
    """Return the SOP Instance UID of the edited file as downloaded with a new UID.

    Raises
    ------
    OverlayError
        As :func:`studio.export.checked_bytes`.
    """
    data = checked_bytes(entry, new_sop_instance_uid=True)  # memoised: the same UID every run
    return str(pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True).SOPInstanceUID)


def derived_files(entry: LoadedFile, frame: int = 0, sop_instance_uid: str | None = None
                  ) -> dict[str, bytes]:
    """Return every derived file of ``entry`` that can be made, by file name, with all planes.

    Files that cannot be made (e.g. a SEG of a file whose planes are all off the image)
    are left out; :func:`derived_bytes` says why for one kind.
    """
    out: dict[str, bytes] = {}
    for kind in DerivedKind:
        try:
            name, data = derived_bytes(entry, kind, frame=frame, sop_instance_uid=sop_instance_uid)
        except OverlayError:
            continue
        out[name] = data
    return out


# --------------------------------------------------------------------------- Export page


def _offer(entry: LoadedFile, kind: DerivedKind, label: str, help_text: str, **options: Any) -> None:
    try:
        name, data = derived_bytes(entry, kind, **options)
    except OverlayError as exc:
        st.error(plain(f"{label}: {exc}"))
        return
    st.download_button(f"{label} ({plain(name)})", data=data, file_name=name, mime="application/dicom",
                       key=f"export.{kind}", icon=":material/download:", help=help_text,
                       on_click="ignore")


def export_section(entry: LoadedFile) -> None:
    """Draw the Export page's SEG, presentation state and Secondary Capture downloads."""
    planes = entry.planes()
    info = entry.image_info()
    if not planes or info.rows == 0:
        return
    st.subheader("For other viewers: SEG, presentation state, burned-in image")
    uid = None
    if st.session_state.get("export.new_uid"):
        try:
            uid = written_uid(entry)
        except OverlayError:
            uid = None  # the download above says why
    st.caption("Each file is made when you ask, then written, read back and checked before it is offered. "
               "All three keep the "
               "patient and study, start a new series and reference the image"
               + (" under the new SOP Instance UID of the download above." if uid else "."))
    names = {p.group: f"{p.group_hex} {p.label or p.description}".strip() for p in planes}
    groups = st.multiselect("Planes", list(names), default=list(names), format_func=lambda g: names[g],
                            key=f"export.interop_planes.{entry.id}")
    if not groups:
        st.info("Choose at least one plane.")
        return
    frame = 0
    if info.frames > 1:
        first = first_plane_frame([p for p in planes if p.group in groups], info.frames)
        st.session_state.setdefault(f"export.interop_frame.{entry.id}", first + 1)  # the first with a plane
        frame = int(st.number_input(
            "Image frame (for the burned-in image, and for the presentation state when planes differ "
            "per frame)", 1, info.frames, key=f"export.interop_frame.{entry.id}")) - 1
    labels: dict[int, str] = {}
    with st.expander("Segment labels", expanded=False):
        for plane in planes:
            if plane.group in groups:
                labels[plane.group] = st.text_input(
                    f"Segment label of {plane.group_hex}", segment_label(plane), max_chars=64,
                    key=f"export.seg_label.{entry.id}.{plane.group_hex}")
    wanted: set[str] = st.session_state.setdefault(_WANTED, set())
    if entry.id not in wanted:  # made on request: three writes and checks the user may not need
        st.button("Make the SEG, presentation state and burned-in image", key=f"export.make.{entry.id}",
                  icon=":material/build:", on_click=wanted.add, args=(entry.id,),
                  help="Once asked, they are made again whenever this file changes.")
        return
    _offer(entry, DerivedKind.SEG, "DICOM SEG", "One segment per plane, placed on the image as it is shown.",
           groups=groups, labels=labels, sop_instance_uid=uid)
    _offer(entry, DerivedKind.GSPS, "Presentation state",
           "A Grayscale Softcopy Presentation State that references this image and shows the planes.",
           groups=groups, frame=frame, sop_instance_uid=uid)
    _offer(entry, DerivedKind.SC, "Burned-in Secondary Capture",
           "An RGB image of the frame with the planes painted in, for viewers that show no overlays.",
           groups=groups, frame=frame, sop_instance_uid=uid)


# --------------------------------------------------------------------------- Inspect page


def _pairs(entry: LoadedFile) -> list[tuple[LoadedFile, LoadedFile]]:
    """Return (state, image) pairs among the open files that involve ``entry``."""
    readable = [f for f in state.files(_session()) if f.ok]
    states = [f for f in readable if f.dataset is not None and is_presentation_state(f.dataset)]
    out = []
    for ps in states:
        for image in readable:
            if image is ps or image.dataset is None or ps.dataset is None or entry not in (ps, image):
                continue
            if image.image_info().rows == 0:
                continue
            try:
                referenced_frames(ps.dataset, image.dataset)
            except OverlayError:
                continue
            out.append((ps, image))
    return out


def presentation_state_section(entry: LoadedFile) -> None:
    """Show, for each open presentation state/image pair involving ``entry``, the state's planes.

    Nothing is drawn when no such pair is open.
    """
    for ps, image in _pairs(entry):
        assert ps.dataset is not None and image.dataset is not None
        st.subheader(f"Presentation state {plain(ps.name)} on {plain(image.name)}")
        try:
            shown = state_planes(ps.dataset, image.dataset)
            frames = referenced_frames(ps.dataset, image.dataset)
        except OverlayError as exc:
            st.error(plain(str(exc)))
            continue
        if not shown:
            st.info("The presentation state activates no overlay plane.")
            continue
        frame = frames[0] if frames else 0
        if len(frames) > 1:
            frame = st.select_slider("Frame", options=frames, value=frames[0],
                                     format_func=lambda f: str(f + 1),
                                     key=f"inspect.ps_frame.{ps.id}.{image.id}")
        styles = [PlaneStyle(p.group, default_color(p.group)) for p in shown]
        try:
            view = render(image.dataset, frame=frame, styles=styles,
                          masks={p.group: p.mask[frame] for p in shown}, max_size=MAX_DISPLAY)
        except OverlayError as exc:
            st.error(plain(str(exc)))
            continue
        st.image(view.png(), caption=f"Frame {frame + 1}, shown at {view.scale:.0%}",
                 width=view.geometry.display_width, output_format="PNG")
        st.dataframe(
            [{"group": group_hex(p.group), "layer": p.layer,
              "from": "presentation state" if p.from_state else "image",
              "label": p.plane.label, "pixels on the image": int(p.mask.sum())} for p in shown],
            hide_index=True, key=f"inspect.ps_table.{ps.id}.{image.id}",
        )


# --------------------------------------------------------------------------- Edit page


def seg_import_section(entry: LoadedFile) -> None:
    """Upload a SEG of the active image and add its segments as planes (undoable)."""
    flash = st.session_state.pop(_FLASH, None)
    if flash:
        st.success(flash)
    with st.expander("Import a DICOM SEG of this image", expanded=False):
        upload = st.file_uploader("SEG file", key=f"edit.seg_upload.{entry.id}")
        if upload is None:
            return
        try:
            seg = load(upload.getvalue())
            segments = read_segments(seg)
        except OverlayError as exc:
            st.error(plain(str(exc)))
            return
        names = {s.number: f"{s.number}: {s.label or s.description or 'segment'}" for s in segments}
        chosen = st.multiselect("Segments", list(names), default=list(names), format_func=lambda n: names[n],
                                key=f"edit.seg_segments.{entry.id}")
        crop = st.checkbox("Crop each new plane to its content", value=True, key=f"edit.seg_crop.{entry.id}")
        if st.button("Add as planes", key="edit.seg_import", icon=":material/add_photo_alternate:",
                     disabled=not chosen):
            try:
                planes = editing.run(entry, "import SEG", lambda d: import_seg(d, seg, chosen, crop=crop))
            except OverlayError as exc:
                st.error(plain(str(exc)))
                return
            editing.bump_nonce(_session())
            st.session_state[_FLASH] = (f"Added {len(planes)} plane(s) from the SEG: "
                                        f"{', '.join(p.group_hex for p in planes)}.")
            st.rerun()
