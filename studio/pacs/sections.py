"""The PACS parts of the pages: Open "From PACS" and Export "Store to PACS".

The operator configures servers (see :func:`overlay_core.pacs.dicomweb.load_config`) through the
environment or the ``[dicomweb]`` table of ``.streamlit/secrets.toml``; without either,
nothing here draws anything. A page never asks for a server address, and no address or
credential is sent to the browser: servers are shown by their configured names only.

Opened instances live in ``st.session_state`` like uploads. What the session holds from
PACS servers is capped (``max_instances``, ``max_megabytes``); files removed from the
session free their share. A series is opened all or nothing: if any request fails, the
session is as it was.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import streamlit as st
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from overlay_core.dataset.series import derive_instance, series_order, series_uid
from overlay_core.errors import OverlayError
from overlay_core.interop.kinds import KindName as DerivedKind
from overlay_core.pacs.dicomweb import (
    PacsClient,
    PacsConfig,
    PacsError,
    PacsResponseError,
    Retrieved,
    SeriesSummary,
    Server,
    StudyQuery,
    StudySummary,
    load_config,
)
from overlay_core.planes.changes import plane_changes
from overlay_core.planes.compare import no_difference as same_planes
from overlay_core.planes.reading import load
from studio import series as series_mod
from studio import state
from studio.pacs import derived as pacs_derived
from studio.pacs.derived import KINDS, Target
from studio.state import LoadedFile, State
from studio.text import plain

__all__ = [
    "ORIGINS",
    "Origin",
    "StoredInstance",
    "config",
    "on_pacs",
    "open_section",
    "open_series",
    "series_key",
    "store_instances",
    "store_section",
]

_LOG = logging.getLogger(__name__)
#: Session-state keys owned by this module (STORED: file id -> (server, where it was last stored)).
ORIGINS, RESULTS, SERIES, REPORT = "pacs.origins", "pacs.results", "pacs.series", "pacs.report"
STORED = "pacs.stored"
PAGE_SIZE = 25


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


def _secrets_table() -> Mapping[str, Any] | None:
    try:
        table = st.secrets["dicomweb"]
    except Exception:  # no secrets file, no [dicomweb] table, or a file that does not parse
        return None
    return table if isinstance(table, Mapping) else None


def config(environ: Mapping[str, str] | None = None) -> PacsConfig | None:
    """Return the operator's DICOMweb configuration, or ``None`` when there is none.

    Raises
    ------
    PacsConfigError
        If the configuration is unusable.
    """
    return load_config(os.environ if environ is None else environ, _secrets_table())


def _held(session: State) -> tuple[int, int]:
    """Instances and bytes the session now holds from PACS servers."""
    origins: dict[str, Origin] = session.get(ORIGINS, {})
    held = [f for f in state.files(session) if f.id in origins]
    return len(held), sum(f.size for f in held)


def _name(ds: Dataset, fallback: int) -> str:
    number = str(ds.get("InstanceNumber", "") or "").strip()
    label = number.zfill(4) if number.isdigit() else str(fallback).zfill(4)
    modality = "".join(c for c in str(ds.get("Modality", "") or "DICOM") if c.isalnum()) or "DICOM"
    return f"{modality}-instance-{label}.dcm"


def open_series(
    session: State,
    cfg: PacsConfig,
    server: Server,
    summary: SeriesSummary,
    progress: Callable[[int, int], None] | None = None,
) -> list[LoadedFile]:
    """Retrieve a series and add its instances to the session; the first becomes active.

    Raises
    ------
    PacsError
        If any request fails, or the session's cap would be exceeded; nothing is added then.
    """
    origins: dict[str, Origin] = session.setdefault(ORIGINS, {})
    open_ids = {f.id for f in state.files(session)}
    if any(fid in open_ids and (o.server, o.series_uid) == (server.name, summary.series_uid)
           for fid, o in origins.items()):
        raise PacsError("This series is already open in this session.")
    count, size = _held(session)
    if count >= cfg.max_instances or size >= cfg.max_bytes:
        raise PacsError(
            f"This session already holds {count} instances from PACS servers, its limit: "
            "remove some files on the Open page first."
        )
    items = PacsClient(server).retrieve_series(
        summary.study_uid, summary.series_uid, max_instances=cfg.max_instances - count,
        max_bytes=cfg.max_bytes - size, progress=progress,
    )
    loaded: list[tuple[Retrieved, Dataset]] = []
    for item in items:
        try:
            loaded.append((item, load(item.data)))
        except OverlayError as exc:
            raise PacsResponseError(
                f"The PACS {server.name!r} sent an instance that cannot be read ({str(exc).rstrip('.')})."
            ) from exc
    added = []
    for position, index in enumerate(series_order([ds for _, ds in loaded]), 1):
        item, ds = loaded[index]
        entry = state.add_file(session, _name(ds, position), item.data, dataset=ds)
        origins[entry.id] = Origin(server.name, item.study_uid, item.series_uid, item.sop_uid)
        added.append(entry)
    if added:
        state.activate(session, added[0].id)
    return added


def _edited(session: State, entries: Sequence[LoadedFile]) -> list[LoadedFile]:
    """Return the files whose planes differ from the file as opened (unchanged ones skipped fast)."""
    return [e for e in entries
            if series_mod.changed(session, e) and e.original is not None and e.dataset is not None
            and plane_changes(e.original, e.dataset)]


def _where_on_pacs(session: State, server: Server, entry: LoadedFile) -> str | None:
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


def on_pacs(session: State, server: Server, entry: LoadedFile) -> Dataset | None:
    """Return ``entry`` as ``server`` holds it now, or ``None`` when that is not known.

    An instance opened from that server and unchanged: its original. One stored there in
    this session and unchanged since: the copy as it was sent (rebuilt, same UIDs).
    """
    where = _where_on_pacs(session, server, entry)
    if where == "original":
        return entry.original
    if where != "stored" or entry.original is None or entry.dataset is None:
        return None
    stored: StoredInstance = session[STORED][entry.id][1]
    if stored.sop_uid == str(entry.original.get("SOPInstanceUID", "")):
        return entry.dataset  # stored under its original UIDs
    return derive_instance(entry.original, entry.dataset, stored.series_uid, stored.sop_uid)


def store_instances(
    session: State,
    server: Server,
    entries: Sequence[LoadedFile],
    keep_uids: bool = False,
    derived: Sequence[DerivedKind] = (),
    shown: LoadedFile | None = None,
) -> list[StoredInstance]:
    """Store edited files and derived files (STOW-RS), retrieve each again and check it.

    By default each file goes into one new derived series (see
    :func:`overlay_core.dataset.series.derive_instance`); with ``keep_uids`` (only if the operator
    allows it for the server) under its own UIDs. ``derived`` kinds of files are made of
    each file stored now and of ``shown`` when the server holds it as it is (see
    :mod:`studio.pacs.derived`), referencing the instances as stored. Nothing in the
    session changes unless every file reads back as sent.

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
    client = PacsClient(server)
    client.store([ds for _, ds in sent] + [item.dataset for item in made])
    stored = []
    for entry, ds in sent:
        uids = (str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), str(ds.SOPInstanceUID))
        back = pacs_derived.retrieve_stored(client, server.name, entry.name, uids)
        if not same_planes(ds, back):
            raise PacsError(
                f"The PACS {server.name!r} returns {entry.name} without the overlay planes sent "
                "(it may keep an earlier copy of an instance with the same UID)."
            )
        stored.append(StoredInstance(entry.id, entry.name, *uids))
    for item in made:
        uids = pacs_derived.check(client, server.name, item)
        stored.append(StoredInstance(item.entry.id, item.entry.name, *uids, kind=item.kind))
    series_mod.mark_saved(session, [entry for entry, _ in sent])
    records: dict[str, tuple[str, StoredInstance]] = session.setdefault(STORED, {})
    records.update({s.file_id: (server.name, s) for s in stored if s.kind == "image"})
    _LOG.info("Stored %d file(s) on the PACS %r", len(stored), server.name)
    return stored


# --- UI ---------------------------------------------------------------------------------------


def _config_or_error() -> PacsConfig | None:
    try:
        return config()
    except PacsError as exc:
        st.error(f"The DICOMweb configuration is unusable: {exc}", icon=":material/error:")
        return None


def series_key(uid: str) -> str:
    """Return the short digest of a Series Instance UID used in widget keys (``pacs.open.<digest>``)."""
    return hashlib.sha256(uid.encode()).hexdigest()[:12]


def _study_date(s: StudySummary) -> str:
    d = s.study_date
    return f"{d[:4]}-{d[4:6]}-{d[6:8]}" if len(d) == 8 and d.isdigit() else (d or "no date")


def _study_label(s: StudySummary) -> str:
    what = s.description or s.modalities
    return f"{_study_date(s)} · {s.patient_name or '(no name)'} · {s.patient_id or '(no ID)'} · {what}"


def _search(cfg: PacsConfig, server: Server, more: bool = False) -> None:
    dates: tuple[date, ...] = tuple(st.session_state.get("pacs.dates") or ())
    query = StudyQuery(
        patient=st.session_state.get("pacs.query", ""), accession=st.session_state.get("pacs.accession", ""),
        date_from=dates[0] if len(dates) > 0 else None, date_to=dates[1] if len(dates) > 1 else None,
        modality=st.session_state.get("pacs.modality", ""),
    )
    previous = st.session_state.get(RESULTS) if more else None
    offset = previous["offset"] + PAGE_SIZE if previous else 0
    try:
        found = PacsClient(server).search_studies(query, limit=PAGE_SIZE, offset=offset)
    except PacsError as exc:
        st.session_state["pacs.error"] = str(exc)
        return
    st.session_state.pop("pacs.error", None)
    if not more:
        st.session_state.pop("pacs.study", None)  # a new list: its first study is selected
    studies = [*(previous["studies"] if previous else []), *found]
    unique = list({s.study_uid: s for s in studies}.values())
    st.session_state[RESULTS] = {"server": server.name, "studies": unique, "offset": offset,
                                 "more": len(found) >= PAGE_SIZE}


def open_section() -> None:
    """Draw the Open page's "From PACS" section (nothing without a configured server)."""
    cfg = _config_or_error()
    if cfg is None:
        return
    st.subheader("From PACS")
    names = [s.name for s in cfg.servers]
    name = names[0] if len(names) == 1 else st.selectbox("Server", names, key="pacs.server")
    server = cfg.server(name)
    st.text_input("Patient name or ID", key="pacs.query", placeholder="e.g. Doe^John, Doe*, 12345",
                  help="Matches the start of the name or ID; * and ? are wildcards. Enter searches.",
                  on_change=_search, args=(cfg, server))
    c = st.columns([2, 2, 1])
    c[0].text_input("Accession number", key="pacs.accession")
    c[1].date_input("Study date (from, to)", value=[], key="pacs.dates", min_value=date(1900, 1, 1))
    c[2].text_input("Modality", key="pacs.modality", placeholder="e.g. MR")
    st.button("Search", key="pacs.search", icon=":material/search:", on_click=_search, args=(cfg, server))
    if "pacs.error" in st.session_state:
        st.error(st.session_state["pacs.error"], icon=":material/error:")
    results = st.session_state.get(RESULTS)
    if not results or results["server"] != server.name:
        return
    studies: list[StudySummary] = results["studies"]
    if not studies:
        st.info("No study matches.")
        return
    uids = [s.study_uid for s in studies]
    by_uid = {s.study_uid: s for s in studies}
    st.dataframe(  # text from the server is shown as text, never as markdown
        [{"date": _study_date(s), "patient": s.patient_name, "ID": s.patient_id,
          "accession": s.accession, "description": s.description, "modalities": s.modalities,
          "series": s.series_count, "instances": s.instance_count} for s in studies],
        hide_index=True, key="pacs.studies",
    )
    study_uid = st.selectbox(f"Study ({len(studies)} found)", uids, key="pacs.study",
                             format_func=lambda u: _study_label(by_uid[u]))
    if results["more"]:
        st.button("More studies", key="pacs.more", on_click=_search, args=(cfg, server, True))
    _series_list(cfg, server, study_uid)


def _series_list(cfg: PacsConfig, server: Server, study_uid: str) -> None:
    cache: dict[tuple[str, str], list[SeriesSummary]] = st.session_state.setdefault(SERIES, {})
    if (server.name, study_uid) not in cache:
        try:
            cache[(server.name, study_uid)] = PacsClient(server).search_series(study_uid)
        except PacsError as exc:
            st.error(str(exc), icon=":material/error:")
            return
    listed = cache[(server.name, study_uid)]
    if not listed:
        st.info("This study has no series.")
        return
    count, size = _held(series_mod.session())
    st.caption(f"This session holds {count} of at most {cfg.max_instances} instances "
               f"({size / 2**20:.1f} of {cfg.max_bytes / 2**20:.0f} MB) from PACS servers.")
    for summary in listed:
        with st.container(border=True, key=f"pacs.series.{series_key(summary.series_uid)}"):
            text_col, button_col = st.columns([5, 1], vertical_alignment="center")
            instances = "?" if summary.instance_count is None else str(summary.instance_count)
            text_col.text(f"Series {summary.number if summary.number is not None else '–'} · "
                          f"{summary.modality or '?'} · {summary.description or '(no description)'} · "
                          f"{instances} instance(s)")
            if button_col.button("Open", key=f"pacs.open.{series_key(summary.series_uid)}",
                                 icon=":material/download:"):
                bar = st.progress(0.0, text="Retrieving the series…")

                def progress(done: int, total: int, bar: Any = bar) -> None:
                    bar.progress(done / max(total, 1), text=f"Retrieved {done} of {total} instances")

                try:
                    added = open_series(series_mod.session(), cfg, server, summary, progress)
                except PacsError as exc:
                    bar.empty()
                    st.error(str(exc), icon=":material/error:")
                else:
                    bar.empty()
                    st.session_state["pacs.opened"] = len(added)
                    st.rerun()
    opened = st.session_state.pop("pacs.opened", None)
    if opened:
        st.success(f"Opened {opened} instance(s); the first is active. Step through them on Inspect or Edit.",
                   icon=":material/check_circle:")


def _report_text(report: Mapping[str, Any]) -> str:
    stored: list[StoredInstance] = report["stored"]
    images = [s for s in stored if s.kind == "image"]
    files = [s for s in stored if s.kind != "image"]
    where = "under their original UIDs" if report["keep"] else "as new instances in a new series"
    text = f"Stored {len(images)} instance(s) on the PACS {report['server']} {where}"
    if not files:
        return text + "; each was retrieved again and its overlay planes match what you edited."
    numbers = {k: sum(s.kind == k for s in files) for k in KINDS}
    counts = [f"{n} {KINDS[k]}{'s' if n > 1 else ''}" for k, n in numbers.items() if n]
    listed = " and ".join([", ".join(counts[:-1]), counts[-1]] if len(counts) > 1 else counts)
    text = f"{text}, and {listed}" if images else f"Stored {listed} on the PACS {report['server']}"
    return (text + " (one new series per kind); each was retrieved again and matches what was sent, "
            "referencing the instances as the PACS holds them.")


def store_section(entry: LoadedFile) -> None:
    """Draw the Export page's "Store to PACS" section (nothing without a configured server)."""
    cfg = _config_or_error()
    if cfg is None:
        return
    st.subheader("Store to PACS")
    origin: Origin | None = st.session_state.get(ORIGINS, {}).get(entry.id)
    names = [s.name for s in cfg.servers]
    if origin is not None and origin.server in names:
        name = origin.server
        st.caption(f"To the PACS this series came from: {name}.")
    else:
        name = names[0] if len(names) == 1 else st.selectbox("Server", names, key="pacs.store_server")
    server = cfg.server(name)
    session = series_mod.session()
    members = series_mod.members(session, entry)
    edited = _edited(session, members)
    pending = [e for e in edited if series_mod.unsaved(session, e)]
    sending = edited if pending else []  # storing again after more edits sends every edited instance
    st.caption(f"{len(edited)} of {len(members)} instance(s) of this series have edited overlay planes; "
               "those are stored" + ("." if pending else
                                     " (already stored as they are: edit again to store a new version).")
               if edited else "No instance of this series has edited overlay planes.")
    keep = False
    if server.allow_original_uids:
        keep = st.checkbox("Store under the original UIDs (replaces the instances on the server)",
                           key="pacs.keep_uids", value=False)
    elif edited:
        st.caption("They are stored as new instances in a new derived series whose description says the "
                   "overlays were edited, with references to the original instances.")
    kinds = pacs_derived.choose()
    ready = False  # whether the instance shown gets derived files
    if kinds:
        where = "sent" if any(e.id == entry.id for e in sending) else _where_on_pacs(session, server, entry)
        ready = pacs_derived.note(server.name, entry, where, len(sending))
    series = series_uid(entry.original) if entry.original is not None else ""
    if st.button("Store to PACS", key="pacs.store", type="primary", icon=":material/cloud_upload:",
                 disabled=not sending and not ready):
        with st.spinner("Storing and checking…"):
            try:
                stored = store_instances(session, server, sending, keep_uids=keep, derived=kinds, shown=entry)
            except PacsError as exc:
                st.error(plain(str(exc)), icon=":material/error:")
            else:
                st.session_state[REPORT] = {"server": server.name, "stored": stored, "keep": keep,
                                            "series": series}
                if kinds:
                    pacs_derived.reset()  # stored: a second click would store the same files again
                st.rerun()  # the sidebar marks and this button show the stored state
    report = st.session_state.get(REPORT)
    if report and report["series"] == series and not pending:  # what was stored, until edited again
        st.success(_report_text(report), icon=":material/cloud_done:")
        kind_names: dict[str, str] = {"image": "edited instance"}
        kind_names.update(KINDS.items())
        st.dataframe([{"file": s.instance, "stored": kind_names.get(s.kind, s.kind),
                       "Series Instance UID": s.series_uid, "SOP Instance UID": s.sop_uid}
                      for s in report["stored"]], hide_index=True, key="pacs.report_table")
