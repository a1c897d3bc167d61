"""What a session holds from PACS servers: series opened, instances stored, and where they are.

The operator configures servers (see :func:`overlay_core.pacs.config.load_config`) through the
environment or the ``[dicomweb]`` and ``[dimse]`` tables of ``.streamlit/secrets.toml``.
Everything goes through :class:`overlay_core.pacs.client.PacsClient`, so nothing here knows
the protocol. Opened instances live in ``st.session_state`` like uploads. What the session
holds from PACS servers is capped (``max_instances``, ``max_megabytes``); files removed from
the session free their share. Series are opened all or nothing: :func:`check_room` reads
the session, :func:`fetch_series` does not touch it (it may run in a worker thread,
:mod:`studio.pacs.waiting`), and :func:`add_series` changes it. Each instance is read like
a file on disk; one that cannot be read is listed with its one sentence while the others
open. Storing sends, retrieves again and compares in the core
(:func:`overlay_core.pacs.store.store_and_verify`); the session changes only when every file
read back as sent.
"""

from __future__ import annotations

import copy
import logging
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from overlay_core.dataset.series import derive_instance, series_order
from overlay_core.errors import OverlayError
from overlay_core.interop.kinds import KindName as DerivedKind
from overlay_core.pacs.client import PacsClient, Progress, Retrieved, SeriesSummary, connect
from overlay_core.pacs.config import AnyServer, PacsConfig, load_config
from overlay_core.pacs.errors import PacsError
from overlay_core.pacs.store import Outgoing, store_and_verify
from overlay_core.planes.changes import plane_changes
from overlay_core.planes.reading import load
from studio import series as series_mod
from studio import state
from studio.pacs import derived as pacs_derived
from studio.pacs.derived import Target
from studio.state import LoadedFile, State

__all__ = [
    "ORIGINS",
    "STORED",
    "Origin",
    "StoredInstance",
    "add_series",
    "check_room",
    "config",
    "edited",
    "fetch_series",
    "held",
    "on_pacs",
    "open_series",
    "store_instances",
    "where_on_pacs",
]

_LOG = logging.getLogger(__name__)
#: Session-state keys owned by this module (STORED: file id -> (server, where it was last stored)).
ORIGINS, STORED = "pacs.origins", "pacs.stored"


@dataclass(frozen=True)
class Origin:
    """Where an opened file came from: the server's configured name and the UIDs."""

    server: str
    study_uid: str
    series_uid: str
    sop_uid: str


@dataclass(frozen=True)
class StoredInstance:
    """One instance stored and checked: where it went (it read back the same).

    ``kind`` is ``"image"`` for an edited instance, else the kind of derived file
    (``"seg"``, ``"gsps"``, ``"sc"``) made of the file ``instance``.
    """

    file_id: str
    instance: str
    study_uid: str
    series_uid: str
    sop_uid: str
    kind: str = "image"


def _secrets_table(name: str) -> Mapping[str, Any] | None:
    try:
        table = st.secrets[name]
    except Exception:  # no secrets file, no such table, or a file that does not parse
        return None
    return table if isinstance(table, Mapping) else None


def config(environ: Mapping[str, str] | None = None) -> PacsConfig | None:
    """Return the operator's PACS configuration (DICOMweb and DIMSE), or ``None`` when there is none.

    Raises
    ------
    PacsConfigError
        If the configuration is unusable.
    """
    return load_config(os.environ if environ is None else environ, _secrets_table("dicomweb"),
                       _secrets_table("dimse"))


def held(session: State) -> tuple[int, int]:
    """Instances and bytes the session now holds from PACS servers."""
    origins: dict[str, Origin] = session.get(ORIGINS, {})
    held = [f for f in state.files(session) if f.id in origins]
    return len(held), sum(f.size for f in held)


def _name(ds: Dataset, fallback: int) -> str:
    number = str(ds.get("InstanceNumber", "") or "").strip()
    label = number.zfill(4) if number.isdigit() else str(fallback).zfill(4)
    modality = "".join(c for c in str(ds.get("Modality", "") or "DICOM") if c.isalnum()) or "DICOM"
    return f"{modality}-instance-{label}.dcm"


def check_room(session: State, cfg: PacsConfig, server: AnyServer,
               summaries: Sequence[SeriesSummary]) -> tuple[int, int]:
    """Return the instances and bytes the session holds from PACS servers, if these series may open.

    Raises
    ------
    PacsError
        If a series is already open, or the session is at its cap.
    """
    origins: dict[str, Origin] = session.get(ORIGINS, {})
    open_ids = {f.id for f in state.files(session)}
    opened = {(o.server, o.series_uid) for fid, o in origins.items() if fid in open_ids}
    if any((server.name, s.series_uid) in opened for s in summaries):
        raise PacsError("This series is already open in this session." if len(summaries) == 1 else
                        "One of these series is already open in this session.")
    count, size = held(session)
    if count >= cfg.max_instances or size >= cfg.max_bytes:
        raise PacsError(
            f"This session already holds {count} instances from PACS servers, its limit: "
            "remove some files on the Open page first."
        )
    return count, size


def fetch_series(
    client: PacsClient,
    cfg: PacsConfig,
    summaries: Sequence[SeriesSummary],
    holding: tuple[int, int],
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> list[list[Retrieved]]:
    """Retrieve series within what the session may still hold (``holding``: :func:`check_room`).

    Touches no session state, so it may run in a worker thread (:mod:`studio.pacs.waiting`).

    Raises
    ------
    PacsError
        If the session's cap would be exceeded, any request fails, or ``cancel`` was set.
    """
    count, size = holding
    out = []
    for summary in summaries:
        items = client.retrieve_series(
            summary.study_uid, summary.series_uid, max_instances=cfg.max_instances - count,
            max_bytes=cfg.max_bytes - size, progress=progress, cancel=cancel,
        )
        count, size = count + len(items), size + sum(len(i.data) for i in items)
        out.append(items)
    return out


def add_series(session: State, server: AnyServer, fetched: Sequence[Sequence[Retrieved]]) -> list[LoadedFile]:
    """Add retrieved series to the session, each in series order; the first instance becomes active.

    Each instance is read like a file on disk; one that cannot be read is added with its
    sentence (listed on the Open page) while the others open.
    """
    origins: dict[str, Origin] = session.setdefault(ORIGINS, {})
    added = []
    for items in fetched:
        loaded: list[tuple[Retrieved, Dataset]] = []
        unreadable: list[Retrieved] = []
        for item in items:
            try:
                if item.problem is None:  # else it did not come: listed with the sentence saying why
                    loaded.append((item, load(item.data)))
                    continue
            except OverlayError:
                pass
            unreadable.append(item)
        ordered = [loaded[i] for i in series_order([ds for _, ds in loaded])]
        for position, (item, ds) in enumerate(ordered, 1):
            entry = state.add_file(session, _name(ds, position), item.data, dataset=ds)
            origins[entry.id] = Origin(server.name, item.study_uid, item.series_uid, item.sop_uid)
            added.append(entry)
        for item in unreadable:  # read again by add_file, which keeps the sentence saying why
            entry = state.add_file(session, f"instance-{item.sop_uid[-12:]}.dcm", item.data)
            if item.problem:
                entry.error = item.problem
            origins[entry.id] = Origin(server.name, item.study_uid, item.series_uid, item.sop_uid)
    if added:
        state.activate(session, added[0].id)
    return added


def open_series(
    session: State,
    cfg: PacsConfig,
    server: AnyServer,
    summary: SeriesSummary,
    progress: Progress | None = None,
) -> list[LoadedFile]:
    """Retrieve a series and add its instances to the session; the first becomes active.

    Raises
    ------
    PacsError
        If any request fails, or the session's cap would be exceeded; nothing is added then.
    """
    holding = check_room(session, cfg, server, [summary])
    return add_series(session, server, fetch_series(connect(server), cfg, [summary], holding, progress))


def edited(session: State, entries: Sequence[LoadedFile]) -> list[LoadedFile]:
    """Return the files whose planes differ from the file as opened (unchanged ones skipped fast)."""
    return [e for e in entries
            if series_mod.changed(session, e) and e.original is not None and e.dataset is not None
            and plane_changes(e.original, e.dataset)]


def where_on_pacs(session: State, server: AnyServer, entry: LoadedFile) -> str | None:
    """Say where ``entry`` as it is now is on ``server``: ``"stored"``, ``"original"`` or ``None``."""
    if not entry.ok or entry.original is None or series_mod.unsaved(session, entry):
        return None  # edits not stored anywhere
    record: tuple[str, StoredInstance] | None = session.get(STORED, {}).get(entry.id)
    if record is not None and record[0] == server.name:
        return "stored"
    origin: Origin | None = session.get(ORIGINS, {}).get(entry.id)
    if origin is not None and origin.server == server.name and not series_mod.changed(session, entry):
        return "original"
    return None


def on_pacs(session: State, server: AnyServer, entry: LoadedFile) -> Dataset | None:
    """Return ``entry`` as ``server`` holds it now, or ``None`` when that is not known.

    An instance opened from that server and unchanged: its original. One stored there in
    this session and unchanged since: the copy as it was sent (rebuilt, same UIDs).
    """
    where = where_on_pacs(session, server, entry)
    if where == "original":
        return entry.original
    if where != "stored" or entry.original is None or entry.dataset is None:
        return None
    stored: StoredInstance = session[STORED][entry.id][1]
    if stored.sop_uid == str(entry.original.get("SOPInstanceUID", "")):
        return entry.dataset  # stored under its original UIDs
    return derive_instance(entry.original, entry.dataset, stored.series_uid, stored.sop_uid)


def _outgoing(session: State, server: AnyServer, entries: Sequence[LoadedFile], keep_uids: bool,
              derived: Sequence[DerivedKind], shown: LoadedFile | None) -> tuple[list[Outgoing], list[Any]]:
    """Return what a store sends: each edited file (new instance, or own UIDs), and the derived files."""
    new_series = generate_uid()
    sent: list[tuple[LoadedFile, Dataset]] = []
    for entry in entries:
        assert entry.original is not None and entry.dataset is not None
        ds = copy.deepcopy(entry.dataset) if keep_uids else derive_instance(
            entry.original, entry.dataset, new_series)
        for keyword in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"):
            if not str(ds.get(keyword) or "").strip():
                raise PacsError(f"{entry.name} has no {keyword}, so a PACS cannot store it.")
        sent.append((entry, ds))
    targets = [Target(e, ds, shown is not None and e.id == shown.id) for e, ds in sent]
    if derived and shown is not None and not any(t.shown for t in targets):
        image = on_pacs(session, server, shown)  # not sent now: as the server holds it, if it does
        if image is not None:
            targets.insert(0, Target(shown, image, True))
    made = pacs_derived.build(session, derived, targets) if derived else []
    if not sent and not made:
        raise PacsError("There is nothing to store: no instance has edits to store, and no derived file "
                        "can be made of the instance shown as the PACS holds it.")
    items = [Outgoing(ds, entry.name) for entry, ds in sent]
    items += [Outgoing(item.dataset, item.what, item.image) for item in made]
    return items, [entry for entry, _ in sent] + [item for item in made]


def store_instances(
    session: State,
    server: AnyServer,
    entries: Sequence[LoadedFile],
    keep_uids: bool = False,
    derived: Sequence[DerivedKind] = (),
    shown: LoadedFile | None = None,
    run: Any = None,
) -> list[StoredInstance]:
    """Store edited files and derived files, retrieve each again and check it (in the core).

    By default each file goes into one new derived series (see
    :func:`overlay_core.dataset.series.derive_instance`); with ``keep_uids`` (only if the operator
    allows it for the server) under its own UIDs. ``derived`` kinds of files are made of
    each file stored now and of ``shown`` when the server holds it as it is (see
    :mod:`studio.pacs.derived`), referencing the instances as stored. Nothing in the
    session changes unless every file reads back as sent. ``run`` runs the store and check
    (``run(client, work)``; :func:`studio.pacs.waiting.run` on the page, so it can be cancelled).

    Raises
    ------
    PacsError
        If there is nothing to store, a derived file cannot be made, the store fails, or
        any file does not read back as sent.
    """
    if keep_uids and not server.allow_original_uids:
        raise PacsError(f"The PACS {server.name!r} is not configured to accept the original UIDs.")
    if not entries and not derived:
        raise PacsError("No instance of this series has edited overlay planes to store.")
    items, sources = _outgoing(session, server, entries, keep_uids, derived, shown)
    client = connect(server)

    def work(cancel: threading.Event | None = None, progress: Progress | None = None) -> list[Any]:
        return store_and_verify(client, items, cancel)

    where = work() if run is None else run(client, work)
    stored = []
    for source, place in zip(sources, where, strict=True):
        uids = (place.study_uid, place.series_uid, place.sop_uid)
        if isinstance(source, LoadedFile):
            stored.append(StoredInstance(source.id, source.name, *uids))
        else:
            stored.append(StoredInstance(source.entry.id, source.entry.name, *uids, kind=source.kind))
    series_mod.mark_saved(session, [s for s in sources if isinstance(s, LoadedFile)])
    records: dict[str, tuple[str, StoredInstance]] = session.setdefault(STORED, {})
    records.update({s.file_id: (server.name, s) for s in stored if s.kind == "image"})
    _LOG.info("Stored %d file(s) on the PACS %r", len(stored), server.name)
    return stored
