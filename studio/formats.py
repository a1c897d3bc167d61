"""RT Structure Sets and NIfTI masks in the app: made on Export, imported on Open.

Two pieces, each called with one line from its page:

* :func:`export_section` (Export): an RT Structure Set and a NIfTI mask of the planes of
  the whole series the active file belongs to (every open instance of its Series
  Instance UID, in series order; one file when it is alone), made when asked, written,
  read back and checked by the core (:func:`overlay_core.interop.rtstruct.rtstruct_bytes`,
  :func:`overlay_core.interop.nifti.nifti_bytes`) before they are offered;
* :func:`import_section` (Open): an RT Structure Set, a SEG or a NIfTI mask opened with
  its images is offered for import as planes, one undoable step on each image it adds
  planes to. NIfTI files are not DICOM: :func:`hold_masks` keeps them (in this session
  only) before the uploads are opened.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any, cast

import streamlit as st
from pydicom.dataset import Dataset

from overlay_core.errors import OverlayError
from overlay_core.interop.nifti import import_nifti, nifti_bytes
from overlay_core.interop.roundtrip import referenced_uids
from overlay_core.interop.rtstruct import import_rtstruct, is_rtstruct, rtstruct_bytes
from overlay_core.interop.seg import import_seg, read_segments
from overlay_core.model import OverlayPlane, group_hex
from studio import budget, series, state
from studio.editor import editing
from studio.state import LoadedFile, content_key
from studio.text import plain

__all__ = ["ImportCandidate", "candidates", "distinct_images", "export_section", "hold_masks",
           "import_section", "import_source", "made"]

_WANTED = "export.formats_wanted"  # ids of the files whose series the user asked files of
_MEMO = "formats.memo"  # (kind, contents, groups) -> (name, bytes); a few entries
_HELD = "formats.held"  # NIfTI uploads: id -> (name, bytes)
_FLASH = "open.formats_flash"
_MEMO_ENTRIES = 4
_NIFTI_SUFFIXES = (".nii", ".nii.gz")


def _session() -> state.State:
    return cast(state.State, st.session_state)


# --------------------------------------------------------------------------- Export page


def made(kind: str, images: Sequence[LoadedFile], groups: Sequence[int]) -> tuple[str, bytes]:
    """Return ``(file name, checked bytes)`` of the RTSTRUCT or NIfTI of ``images``; memoised.

    ``kind`` is ``"rtstruct"`` or ``"nifti"``. The result is kept for the session, keyed
    by the content of every image and the planes, so reruns do not write again.

    Raises
    ------
    OverlayError
        When the file cannot be made or fails its check (the message says why).
    """
    datasets = [e.dataset for e in images if e.dataset is not None]
    contents = "|".join(content_key(e) for e in images)
    key = hashlib.sha256(repr((kind, contents, list(groups))).encode()).hexdigest()
    memo: dict[str, tuple[str, bytes]] = _session().setdefault(_MEMO, {})
    if key in memo:
        return memo[key]
    stem = images[0].stem + ("-series" if len(images) > 1 else "")
    if kind == "rtstruct":
        result = f"{stem}-rtstruct.dcm", rtstruct_bytes(datasets, groups)
    elif kind == "nifti":
        result = f"{stem}-mask.nii.gz", nifti_bytes(datasets, groups)
    else:
        raise OverlayError(f'The kind of file must be "rtstruct" or "nifti", not "{kind}".')
    if len(memo) >= _MEMO_ENTRIES:
        memo.clear()
    memo[key] = result
    return result


def _images(entry: LoadedFile) -> list[LoadedFile]:
    return [e for e in series.members(_session(), entry)
            if e.dataset is not None and not _is_mask_file(e.dataset) and e.image_info().rows > 0]


def distinct_images(images: Sequence[LoadedFile], shown: LoadedFile) -> tuple[list[LoadedFile], str]:
    """Keep one of each image opened more than once; name the files if their copies differ.

    Copies with the same SOP Instance UID and the same content (the same file opened twice)
    count once, the file ``shown`` preferred. Copies that differ (one was edited) cannot
    both be in one structure set or mask: the sentence returned names them, else ``""``.

    >>> from pydicom.dataset import Dataset
    >>> def f(i, name, uid, sha):
    ...     ds = Dataset(); ds.SOPInstanceUID = uid
    ...     return LoadedFile(i, name, 0, sha, dataset=ds)
    >>> a, a2 = f("1", "a.dcm", "1.2.3", "x"), f("2", "a (2).dcm", "1.2.3", "x")
    >>> b = f("3", "b.dcm", "1.2.4", "y")
    >>> kept, clash = distinct_images([a, a2, b], shown=a2)
    >>> [e.name for e in kept], clash
    (['a (2).dcm', 'b.dcm'], '')
    >>> print(distinct_images([a, f("4", "b.dcm", "1.2.3", "z")], shown=a)[1])
    a.dcm and b.dcm are the same image (one SOP Instance UID) with different content: close one of them.
    """
    by_uid: dict[str, list[LoadedFile]] = {}
    for e in images:
        assert e.dataset is not None
        by_uid.setdefault(str(e.dataset.get("SOPInstanceUID", "") or ""), []).append(e)
    kept: list[str] = []  # file ids
    for copies in by_uid.values():
        if len({content_key(e) for e in copies}) > 1:
            names = [e.name for e in copies]
            return [], (f"{', '.join(names[:-1])} and {names[-1]} are the same image (one SOP Instance UID) "
                        "with different content: close one of them.")
        kept.append(shown.id if any(e.id == shown.id for e in copies) else copies[0].id)
    return [e for e in images if e.id in kept], ""


def export_section(entry: LoadedFile) -> None:
    """Draw the Export page's RT Structure Set and NIfTI downloads for the active file's series."""
    if entry.dataset is None or _is_mask_file(entry.dataset) or entry.image_info().rows == 0:
        return
    images, clash = distinct_images(_images(entry), entry)
    if clash:  # the core would say only "Two of the images have the same SOP Instance UID"
        st.subheader("For planning and research: RT Structure Set, NIfTI mask")
        st.error(plain(clash), icon=":material/error:")
        return
    names = {p.group: f"{p.group_hex} {p.label or p.description}".strip()
             for e in images for p in reversed(e.planes())}
    if not names:
        return
    st.subheader("For planning and research: RT Structure Set, NIfTI mask")
    scope = (f"the whole series open ({len(images)} instances, in series order)" if len(images) > 1
             else "this image")
    st.caption(f"Made of {scope} when you ask, then written, read back and checked before they are "
               "offered. The structure set has one ROI per plane, contours in patient coordinates; the "
               "NIfTI mask lies on the voxel grid dcm2niix gives the images, one label value per plane.")
    groups = st.multiselect("Planes", sorted(names), default=sorted(names), format_func=lambda g: names[g],
                            key=f"export.formats_planes.{entry.id}")
    if not groups:
        st.info("Choose at least one plane.")
        return
    wanted: set[str] = st.session_state.setdefault(_WANTED, set())
    if entry.id not in wanted:
        st.button("Make the RT Structure Set and NIfTI mask", key=f"export.formats_make.{entry.id}",
                  icon=":material/build:", on_click=wanted.add, args=(entry.id,),
                  help="Once asked, they are made again whenever the series changes.")
        return
    for kind, label, mime in (("rtstruct", "RT Structure Set", "application/dicom"),
                              ("nifti", "NIfTI mask", "application/gzip")):
        try:
            name, data = made(kind, images, groups)
        except OverlayError as exc:
            st.error(plain(f"{label}: {exc}"))
            continue
        st.download_button(f"{label} ({plain(name)})", data=data, file_name=name, mime=mime,
                           key=f"export.{kind}", icon=":material/download:", on_click="ignore")


# --------------------------------------------------------------------------- Open page


def is_nifti_name(name: str) -> bool:
    """Say whether a file name is a NIfTI file's.

    >>> is_nifti_name("mask.NII.gz"), is_nifti_name("scan.dcm")
    (True, False)
    """
    return name.lower().endswith(_NIFTI_SUFFIXES)


def hold_masks(session: state.State, uploads: Sequence[Any] | None) -> None:
    """Keep the NIfTI files among the uploads (not DICOM), so the Open page does not open them.

    Each is kept once, by its upload id, and marked as seen; a file over the session's
    memory budget is not kept and says so on the Open page.
    """
    seen: set[str] = session.setdefault(state.SEEN_UPLOADS, set())
    held: dict[str, tuple[str, bytes]] = session.setdefault(_HELD, {})
    for upload in uploads or []:
        if upload.file_id in seen or not is_nifti_name(upload.name):
            continue
        seen.add(upload.file_id)
        data = upload.getvalue()
        try:
            budget.check_upload(upload.name, len(data), budget.session_bytes(state.files(session)))
        except OverlayError as exc:
            session[_FLASH] = ("error", str(exc))
            continue
        held[upload.file_id] = (upload.name, data)


_Run = Callable[[list[Dataset]], list[list[OverlayPlane]]]


@dataclass(frozen=True)
class ImportCandidate:
    """A file to import as planes, and the open images it goes to."""

    key: str
    name: str
    kind: str  # "rtstruct", "seg" or "nifti"
    images: list[LoadedFile]
    run: _Run


def _is_mask_file(ds: Dataset) -> bool:
    """Say whether a dataset is an RTSTRUCT or a SEG (a SEG has pixels, but is no image to import into)."""
    return is_rtstruct(ds) or "SegmentSequence" in ds


def import_source(entry: LoadedFile) -> bool:
    """Say whether an open file is an RTSTRUCT or SEG: a source of planes, not a file of overlays.

    Export's zip of every open file leaves such files out (they are never edited here).
    """
    return entry.dataset is not None and _is_mask_file(entry.dataset)


def _image_files(session: state.State) -> list[LoadedFile]:
    return [e for e in state.files(session)
            if e.dataset is not None and not _is_mask_file(e.dataset) and e.image_info().rows > 0]


def _seg_run(seg: Dataset) -> _Run:
    return lambda datasets: [import_seg(ds, seg) for ds in datasets]


def _rtstruct_run(rs: Dataset) -> _Run:
    return lambda datasets: import_rtstruct(datasets, rs)


def _nifti_run(data: bytes, name: str) -> _Run:
    return lambda datasets: import_nifti(datasets, data, name)


def candidates(session: state.State) -> list[ImportCandidate]:
    """Return what can be imported now: each open RTSTRUCT or SEG, and each NIfTI kept, with its images.

    An RTSTRUCT goes to the open images it names (and the rest of their series), a SEG to
    the images it references, a NIfTI mask to the active file's series (or, when the
    active file is no image, the series of the newest image).
    """
    images = _image_files(session)
    by_uid = {str(e.dataset.get("SOPInstanceUID", "")): e for e in images if e.dataset is not None}
    out = []
    for entry in state.files(session):
        ds = entry.dataset
        if ds is None or not _is_mask_file(ds):
            continue
        named = [by_uid[uid] for uid in sorted(referenced_uids(ds)[0]) if uid in by_uid]
        if is_rtstruct(ds) and named:
            targets = [e for e in series.members(session, named[0]) if e in images]
            out.append(ImportCandidate(entry.id, entry.name, "rtstruct", targets, _rtstruct_run(ds)))
        elif "SegmentSequence" in ds and named:
            try:
                read_segments(ds)
            except OverlayError:
                continue
            out.append(ImportCandidate(entry.id, entry.name, "seg", named, _seg_run(ds)))
    active = state.active(session)
    anchor = active if active in images else (images[-1] if images else None)  # else the newest image
    held: dict[str, tuple[str, bytes]] = session.get(_HELD, {})
    if anchor is not None:
        targets = [e for e in series.members(session, anchor) if e in images]
        for key, (name, data) in held.items():
            out.append(ImportCandidate(key, name, "nifti", targets, _nifti_run(data, name)))
    return out


def run_import(candidate: ImportCandidate) -> list[list[OverlayPlane]]:
    """Import a candidate into its images: one undoable step on each, all or nothing.

    Raises
    ------
    OverlayError
        Why it cannot be imported; every image and its history are as they were.
    """
    with ExitStack() as stack:
        for entry in candidate.images:
            assert entry.dataset is not None
            stack.enter_context(editing.history(entry).change(entry.dataset, f"import {candidate.name}"))
        return candidate.run([e.dataset for e in candidate.images if e.dataset is not None])


_KIND_NAMES = {"rtstruct": "RT Structure Set", "seg": "DICOM SEG", "nifti": "NIfTI mask"}


def _import(candidate: ImportCandidate) -> None:
    try:
        added = run_import(candidate)
    except OverlayError as exc:
        st.session_state[_FLASH] = ("error", f"{candidate.name} was not imported: {exc}")
        return
    if candidate.kind == "nifti":
        st.session_state.get(_HELD, {}).pop(candidate.key, None)
    editing.bump_nonce(_session())
    # The planes are on the images now: show the first that got some, not the mask file.
    receiving = [e for e, planes in zip(candidate.images, added, strict=False) if planes] or candidate.images
    if receiving:
        state.activate(_session(), receiving[0].id)
    groups = sorted({p.group for planes in added for p in planes})
    count = sum(1 for planes in added if planes)
    st.session_state[_FLASH] = ("success", f"Imported {candidate.name} as plane(s) "
                                f"{', '.join(group_hex(g) for g in groups)} on {count} image(s); "
                                "Undo on Edit takes it back.")


def _discard(key: str) -> None:
    st.session_state.get(_HELD, {}).pop(key, None)


def import_section() -> None:
    """Offer to import each open RTSTRUCT, SEG and kept NIfTI mask as planes on its images."""
    flash = st.session_state.pop(_FLASH, None)
    if flash:
        (st.success if flash[0] == "success" else st.error)(plain(flash[1]))
    found = candidates(_session())
    held: dict[str, tuple[str, bytes]] = st.session_state.get(_HELD, {})
    waiting = [name for key, (name, _) in held.items() if not any(c.key == key for c in found)]
    if not found and not waiting:
        return
    st.subheader("Import as planes")
    for name in waiting:
        st.info(plain(f"{name}: open its images to import this NIfTI mask."))
    for candidate in found:
        with st.container(border=True, key=f"open.import.{candidate.key}"):
            more = " …" if len(candidate.images) > 4 else ""
            names = ", ".join(e.name for e in candidate.images[:4]) + more
            st.markdown(plain(f"{_KIND_NAMES[candidate.kind]} {candidate.name} → "
                              f"{len(candidate.images)} image(s): {names}"))
            left, right = st.columns(2)
            left.button("Import as planes", key=f"open.import_run.{candidate.key}", icon=":material/add:",
                        on_click=_import, args=(candidate,), disabled=not candidate.images,
                        help="One undoable step on each image; nothing changes if any part fails.")
            if candidate.kind == "nifti":
                right.button("Discard", key=f"open.import_discard.{candidate.key}", on_click=_discard,
                             args=(candidate.key,))
