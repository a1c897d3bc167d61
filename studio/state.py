"""The files a browser session holds, kept in ``st.session_state`` only.

Patient data never leaves the session: no file is written to disk and nothing is put in
``st.cache_resource`` (shared by every user). Each loaded file is a :class:`LoadedFile`
holding the dataset as loaded (for the list of changes) and the dataset being edited,
which shares its Pixel Data; the uploaded bytes are not kept once read (only their size
and digest), so an open file costs about its own size. A file that cannot be read stays
in the list with its error, so the user sees why, and every other file stays usable.

Every function takes the session-state mapping (``st.session_state`` in the app, a
plain ``dict`` in tests).
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydicom.dataset import Dataset

from overlay_core.dataset.copies import copy_dataset
from overlay_core.edit.history import ALSO_TRACKED, History
from overlay_core.errors import OverlayError
from overlay_core.files.archive import is_zip, zip_members
from overlay_core.model import Finding, ImageInfo, OverlayPlane
from overlay_core.planes.reading import image_info, load, read_planes
from studio import budget

__all__ = [
    "FILES",
    "SAMPLE_ENV",
    "LoadedFile",
    "activate",
    "active",
    "add_file",
    "add_sample",
    "content_key",
    "discard_all",
    "files",
    "ingest_uploads",
    "init",
    "pixel_key",
    "remove",
    "sample_requested",
]

#: Session-state keys owned by this module.
FILES, ACTIVE, SEEN_UPLOADS, INITIALISED = "studio.files", "studio.active", "studio.seen", "studio.init"
#: ``OVERLAY_STUDIO_SAMPLE=1`` (or ``streamlit run app.py -- --sample``) opens the bundled sample.
SAMPLE_ENV = "OVERLAY_STUDIO_SAMPLE"
SAMPLE_NAME = "pydicom-examples-overlay.dcm"

#: ``st.session_state`` (keys ``str | int``, as Streamlit types them) or a plain dict in tests.
State = MutableMapping[str | int, Any]


class Upload(Protocol):
    """What the app needs of ``streamlit.runtime.uploaded_file_manager.UploadedFile``."""

    file_id: str
    name: str

    def getvalue(self) -> bytes:
        """Return the file's bytes."""
        ...


@dataclass(eq=False)
class LoadedFile:
    """One file of the session.

    Attributes
    ----------
    id : str
        Unique within the session; used in widget keys.
    name : str
        The uploaded file name.
    size : int
        The number of bytes uploaded (the bytes themselves are not kept).
    sha256 : str
        Hex digest of the bytes uploaded.
    original, dataset : Dataset or None
        The dataset as loaded (never changed) and the one being edited; ``None`` when
        the file could not be read.
    error : str or None
        Why the file could not be read.
    history : History or None
        The undo history of the edit page, made on first use.
    """

    id: str
    name: str
    size: int
    sha256: str
    original: Dataset | None = None
    dataset: Dataset | None = None
    error: str | None = None
    history: History | None = None
    export_memo: dict[tuple[str, bool], bytes] = field(default_factory=dict, repr=False)
    derived_memo: dict[str, tuple[str, bytes]] = field(default_factory=dict, repr=False)  # studio.interop
    _pixel_ref: object = field(default=None, repr=False)
    _pixel_digest: str = field(default="", repr=False)

    @property
    def ok(self) -> bool:
        """True when the file was read and can be inspected and edited."""
        return self.dataset is not None

    @property
    def stem(self) -> str:
        """The file name without its extension, for download names."""
        stem = Path(self.name).stem if "." in self.name else self.name
        return stem or self.id

    def image_info(self) -> ImageInfo:
        """Return the image of the dataset being edited (:func:`overlay_core.planes.reading.image_info`)."""
        assert self.dataset is not None
        return image_info(self.dataset)

    def planes(self) -> list[OverlayPlane]:
        """Return the usable planes of the dataset being edited (empty for a bad file)."""
        return read_planes(self.dataset) if self.dataset is not None else []

    def findings(self) -> list[Finding]:
        """Return the diagnostics of the dataset being edited."""
        if self.dataset is None:
            return []
        from overlay_core.audit.diagnostics import diagnose

        return list(diagnose(self.dataset))


def init(state: State, sample: bool | None = None) -> None:
    """Create the session's file list once; open the bundled sample if asked.

    ``sample`` defaults to :func:`sample_requested`, which is read once per session.
    """
    if state.get(INITIALISED):
        return
    state[INITIALISED] = True
    state.setdefault(FILES, {})
    state.setdefault(ACTIVE, None)
    state.setdefault(SEEN_UPLOADS, set())
    if sample_requested() if sample is None else sample:
        add_sample(state)


def sample_requested(
    argv: Iterable[str] | None = None, environ: MutableMapping[str, str] | None = None
) -> bool:
    """Say whether ``OVERLAY_STUDIO_SAMPLE`` is true or ``--sample`` was passed.

    >>> sample_requested([], {"OVERLAY_STUDIO_SAMPLE": "1"}), sample_requested(["--sample"], {})
    (True, True)
    """
    args = list(sys.argv[1:] if argv is None else argv)
    env = os.environ if environ is None else environ
    flag = env.get(SAMPLE_ENV, "").strip().lower()
    return flag in {"1", "true", "yes", "on"} or "--sample" in args


def files(state: State) -> list[LoadedFile]:
    """Every file of the session, oldest first."""
    return list(state.get(FILES, {}).values())


def active(state: State) -> LoadedFile | None:
    """Return the active file, or ``None`` when no readable file is loaded."""
    found = state.get(FILES, {}).get(state.get(ACTIVE))
    return found if isinstance(found, LoadedFile) and found.ok else None


def activate(state: State, file_id: str) -> None:
    """Make ``file_id`` the active file (a file that could not be read is ignored)."""
    found = state.get(FILES, {}).get(file_id)
    if found is not None and found.ok:
        state[ACTIVE] = file_id


def add_file(state: State, name: str, data: bytes, dataset: Dataset | None = None) -> LoadedFile:
    """Read ``data`` and add it to the session; a readable file becomes the active one.

    A file that cannot be read, or that does not fit the session's memory budget
    (:mod:`studio.budget`, checked before parsing), is added with its
    :attr:`LoadedFile.error` set and the active file stays as it was. ``dataset`` is
    ``data`` already loaded (:func:`overlay_core.planes.reading.load`), so it is not parsed twice.
    ``data`` is not kept.
    """
    state.setdefault(FILES, {})
    number = state.get("studio.counter", 0) + 1
    state["studio.counter"] = number
    name = name or f"file {number}"
    try:  # the session's memory budget, before anything is parsed (studio.budget)
        budget.check_upload(name, len(data), budget.session_bytes(state[FILES].values()))
    except OverlayError as exc:
        entry = LoadedFile(id=f"f{number}", name=name, size=len(data), sha256="", error=str(exc))
        state[FILES][entry.id] = entry
        return entry
    entry = LoadedFile(id=f"f{number}", name=name, size=len(data), sha256=hashlib.sha256(data).hexdigest())
    try:
        entry.original = load(data) if dataset is None else dataset
        entry.dataset = copy_dataset(entry.original)
    except OverlayError as exc:
        entry.error = str(exc)
    state[FILES][entry.id] = entry
    if entry.ok:
        state[ACTIVE] = entry.id
    return entry


def add_sample(state: State) -> LoadedFile:
    """Add the bundled sample, ``pydicom.examples.overlay`` (a 300 x 484 MR image with one plane).

    Asked again while it is open, the open copy (with any edits) becomes active instead of
    a second copy that would look like a series of two.
    """
    from pydicom import examples

    for entry in files(state):
        if entry.name == SAMPLE_NAME and entry.ok:
            activate(state, entry.id)
            return entry
    path = Path(examples.get_path("overlay"))
    return add_file(state, SAMPLE_NAME, path.read_bytes())


def ingest_uploads(state: State, uploads: Iterable[Upload] | None) -> list[LoadedFile]:
    """Add the uploader's files that this session has not seen yet, in order.

    The uploader returns every file it holds on every rerun; each is added once, by
    its upload id, so removing a file from the list does not bring it back. A ``.zip``
    adds its members (see :func:`overlay_core.files.archive.zip_members`).
    """
    seen: set[str] = state.setdefault(SEEN_UPLOADS, set())
    added = []
    for upload in uploads or []:
        if upload.file_id in seen:
            continue
        seen.add(upload.file_id)
        data = upload.getvalue()
        if not is_zip(upload.name, data):
            added.append(add_file(state, upload.name, data))
            continue
        try:  # a .zip (e.g. one series) opens as its members
            members = zip_members(data)
        except OverlayError as exc:
            entry = add_file(state, upload.name, b"")
            entry.error = str(exc)
            continue
        added.extend(add_file(state, name, member) for name, member in members)
    return added


def remove(state: State, file_id: str) -> None:
    """Remove a file; the newest remaining readable file becomes active if it was active."""
    entries: dict[str, LoadedFile] = state.get(FILES, {})
    removed = entries.pop(file_id, None)
    if removed is not None:
        _discard(removed)  # a stale reference (a widget callback's arguments) keeps nothing large
    if state.get(ACTIVE) == file_id or state.get(ACTIVE) not in entries:
        readable = [f.id for f in entries.values() if f.ok]
        state[ACTIVE] = readable[-1] if readable else None


def discard_all(state: State) -> None:
    """Drop every file's datasets, history and downloads (the session is over).

    The :class:`LoadedFile` objects stay (something may still refer to them) but hold
    nothing large.
    """
    for entry in files(state):
        _discard(entry)
    if FILES in state:
        state[FILES] = {}


def _discard(entry: LoadedFile) -> None:
    """Drop what an entry holds that is large: its datasets, history and downloads.

    The datasets are emptied too: a page's globals outlive its run (its widgets' callbacks
    keep them), and one naming a dataset kept the whole image after its session closed.
    """
    for ds in (entry.original, entry.dataset):
        if ds is not None:
            ds.clear()
    entry.original = entry.dataset = None
    entry.history = None
    entry.export_memo.clear()
    entry.derived_memo.clear()
    entry._pixel_ref = None


def content_key(entry: LoadedFile) -> str:
    """Return a digest of what the view of ``entry`` depends on, for cache keys.

    It covers the uploaded bytes, every element of the overlay groups 6000-601E as now
    edited (and the few header attributes overlay de-identification changes,
    :data:`overlay_core.edit.history.ALSO_TRACKED`), and Pixel Data as now edited
    (deleting or migrating an embedded plane clears its bits there). Two sessions holding
    the same edits get the same key; different content never shares one.
    """
    ds = entry.dataset
    h = hashlib.sha256(entry.sha256.encode())
    if ds is None:
        return h.hexdigest()
    for elem in ds:
        if 0x6000 <= int(elem.tag) >> 16 <= 0x601E or int(elem.tag) in ALSO_TRACKED:
            h.update(f"{int(elem.tag):08X}{elem.VR}".encode())
            value = elem.value
            h.update(bytes(value) if isinstance(value, (bytes, bytearray)) else repr(value).encode())
    h.update(_pixels_digest(entry).encode())
    return h.hexdigest()


def _pixels_digest(entry: LoadedFile) -> str:
    """Return a digest of Pixel Data as now edited, hashed again only when its value is a new object."""
    assert entry.dataset is not None
    value = entry.dataset.get("PixelData")  # the value (bytes), not the element
    if value is not entry._pixel_ref:
        entry._pixel_ref = value
        entry._pixel_digest = hashlib.sha256(bytes(value or b"")).hexdigest()
    return entry._pixel_digest


def pixel_key(entry: LoadedFile) -> str:
    """Return a digest of what the image's values depend on (not the planes), for cache keys.

    The uploaded bytes (which fix the Modality LUT and every other attribute a plane edit
    leaves alone) and Pixel Data as now edited. A stroke changes :func:`content_key` but
    not this: what reads the image only (its value range, the intensity-range preview) is
    not computed again after each stroke.
    """
    h = hashlib.sha256(entry.sha256.encode())
    if entry.dataset is not None:
        h.update(_pixels_digest(entry).encode())
    return h.hexdigest()
