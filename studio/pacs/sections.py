"""The PACS parts of the pages: Open "From PACS" and Export "Store to PACS".

Without a configured server (:func:`studio.pacs.session.config`) nothing here draws
anything. DICOMweb and DIMSE servers share one *Server* choice (shown by name and protocol)
and the same sections. A page never asks for a server address, and no address or
credential is sent to the browser: servers are shown by their configured names only.
Opening and storing run with a progress bar and a *Cancel* button
(:mod:`studio.pacs.waiting`); several series of one study can be opened together.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import streamlit as st

from overlay_core.dataset.series import series_uid
from overlay_core.pacs.client import (
    PacsClient,
    Progress,
    Retrieved,
    SeriesSummary,
    StudyQuery,
    StudySummary,
    connect,
)
from overlay_core.pacs.config import AnyServer, PacsConfig
from overlay_core.pacs.errors import PacsError
from studio import series as series_mod
from studio.pacs import derived as pacs_derived
from studio.pacs import waiting
from studio.pacs.derived import KINDS
from studio.pacs.session import (
    ORIGINS,
    Origin,
    StoredInstance,
    add_series,
    check_room,
    config,
    edited,
    fetch_series,
    held,
    store_instances,
    where_on_pacs,
)
from studio.state import LoadedFile
from studio.text import plain

__all__ = ["open_section", "series_key", "store_section"]

#: Session-state keys owned by this module.
RESULTS, SERIES, REPORT = "pacs.results", "pacs.series", "pacs.report"
#: The study-date range of the search (a widget key; its empty default is set in Session State).
DATES = "pacs.dates"
PAGE_SIZE = 25


# --- UI ---------------------------------------------------------------------------------------


def _config_or_error() -> PacsConfig | None:
    try:
        return config()
    except PacsError as exc:
        st.error(f"The PACS configuration is unusable: {exc}", icon=":material/error:")
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


def _server_choice(cfg: PacsConfig, key: str) -> str:
    """Draw the *Server* choice (DICOMweb and DIMSE together, by name; nothing with one server)."""
    names = [s.name for s in cfg.servers]
    if len(names) == 1:
        return names[0]
    protocols = {s.name: s.protocol for s in cfg.servers}
    chosen: str = st.selectbox("Server", names, key=key, format_func=lambda n: f"{n} ({protocols[n]})")
    return chosen


def _search(cfg: PacsConfig, server: AnyServer, more: bool = False) -> None:
    dates: tuple[date, ...] = tuple(st.session_state.get(DATES) or ())
    query = StudyQuery(
        patient=st.session_state.get("pacs.query", ""), accession=st.session_state.get("pacs.accession", ""),
        date_from=dates[0] if len(dates) > 0 else None, date_to=dates[1] if len(dates) > 1 else None,
        modality=st.session_state.get("pacs.modality", ""),
    )
    previous = st.session_state.get(RESULTS) if more else None
    offset = previous["offset"] + PAGE_SIZE if previous else 0
    try:
        found = connect(server).search_studies(query, limit=PAGE_SIZE, offset=offset)
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
    name = _server_choice(cfg, "pacs.server")
    server = cfg.server(name)
    waiting.cancelled_note()
    st.text_input("Patient name or ID", key="pacs.query", placeholder="e.g. Doe^John, Doe*, 12345",
                  help="Matches the start of the name or ID; * and ? are wildcards. Enter searches.",
                  on_change=_search, args=(cfg, server))
    c = st.columns([2, 2, 1])
    c[0].text_input("Accession number", key="pacs.accession")
    # The empty range lives in Session State only, never as the widget's value=: a value set
    # through Session State (a reload's takeover, a test) and a default together make
    # Streamlit log a warning with a stack. An empty tuple there makes the widget a range.
    st.session_state.setdefault(DATES, ())
    c[1].date_input("Study date (from, to)", key=DATES, min_value=date(1900, 1, 1))
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


def _open(cfg: PacsConfig, server: AnyServer, summaries: Sequence[SeriesSummary]) -> None:
    """Open series with a progress bar and a Cancel button; rerun once they are in the session."""
    session = series_mod.session()
    client = connect(server)
    what = "the series" if len(summaries) == 1 else f"{len(summaries)} series"

    def work(cancel: threading.Event, progress: Progress) -> list[list[Retrieved]]:
        return fetch_series(client, cfg, summaries, holding, progress, cancel)

    try:
        holding = check_room(session, cfg, server, summaries)
        fetched = waiting.run(client, work, f"Retrieving {what}…",
                              f"Cancelled opening {what}: nothing was added to this session.")
    except PacsError as exc:
        st.error(plain(str(exc)), icon=":material/error:")
        return
    added = add_series(session, server, fetched)
    st.session_state["pacs.opened"] = len(added)
    st.rerun()


def _series_list(cfg: PacsConfig, server: AnyServer, study_uid: str) -> None:
    cache: dict[tuple[str, str], list[SeriesSummary]] = st.session_state.setdefault(SERIES, {})
    if (server.name, study_uid) not in cache:
        try:
            cache[(server.name, study_uid)] = connect(server).search_series(study_uid)
        except PacsError as exc:
            st.error(str(exc), icon=":material/error:")
            return
    listed = cache[(server.name, study_uid)]
    if not listed:
        st.info("This study has no series.")
        return
    count, size = held(series_mod.session())
    st.caption(f"This session holds {count} of at most {cfg.max_instances} instances "
               f"({size / 2**20:.1f} of {cfg.max_bytes / 2**20:.0f} MB) from PACS servers.")
    chosen, opening = [], []
    for summary in listed:
        key = series_key(summary.series_uid)
        with st.container(border=True, key=f"pacs.series.{key}"):
            pick_col, text_col, button_col = st.columns([0.4, 5, 1], vertical_alignment="center")
            if len(listed) > 1 and pick_col.checkbox("Choose", key=f"pacs.pick.{key}",
                                                     label_visibility="collapsed",
                                                     help="Choose several series to open them together"):
                chosen.append(summary)
            instances = "?" if summary.instance_count is None else str(summary.instance_count)
            text_col.text(f"Series {summary.number if summary.number is not None else '–'} · "
                          f"{summary.modality or '?'} · {summary.description or '(no description)'} · "
                          f"{instances} instance(s)")
            if button_col.button("Open", key=f"pacs.open.{key}", icon=":material/download:"):
                opening = [summary]
    if len(listed) > 1 and st.button(f"Open the {len(chosen)} chosen series together", key="pacs.open_chosen",
                                     icon=":material/download:", disabled=len(chosen) < 2):
        opening = chosen
    if opening:
        _open(cfg, server, opening)
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
        name = _server_choice(cfg, "pacs.store_server")
    server = cfg.server(name)
    waiting.cancelled_note()
    session = series_mod.session()
    members = series_mod.members(session, entry)
    changed = edited(session, members)
    pending = [e for e in changed if series_mod.unsaved(session, e)]
    sending = changed if pending else []  # storing again after more edits sends every edited instance
    st.caption(f"{len(changed)} of {len(members)} instance(s) of this series have edited overlay planes; "
               "those are stored" + ("." if pending else
                                     " (already stored as they are: edit again to store a new version).")
               if changed else "No instance of this series has edited overlay planes.")
    keep = False
    if server.allow_original_uids:
        keep = st.checkbox("Store under the original UIDs (replaces the instances on the server)",
                           key="pacs.keep_uids", value=False)
    elif changed:
        st.caption("They are stored as new instances in a new derived series whose description says the "
                   "overlays were edited, with references to the original instances.")
    kinds = pacs_derived.choose()
    ready = False  # whether the instance shown gets derived files
    if kinds:
        where = "sent" if any(e.id == entry.id for e in sending) else where_on_pacs(session, server, entry)
        ready = pacs_derived.note(server.name, entry, where, len(sending))
    series = series_uid(entry.original) if entry.original is not None else ""
    if st.button("Store to PACS", key="pacs.store", type="primary", icon=":material/cloud_upload:",
                 disabled=not sending and not ready):
        def run(client: PacsClient, work: Any) -> Any:
            return waiting.run(client, work, "Storing and checking…",
                               "Cancelled the store: nothing in this session changed; the PACS keeps what "
                               "it received before the cancel, if anything.")

        try:
            stored = store_instances(session, server, sending, keep_uids=keep, derived=kinds, shown=entry,
                                     run=run)
        except PacsError as exc:
            st.error(plain(str(exc)), icon=":material/error:")
        else:
            st.session_state[REPORT] = {"server": server.name, "stored": stored, "keep": keep,
                                        "series": series}
            if kinds:
                pacs_derived.reset()  # stored: a second click would store the same files again
            st.rerun()  # the sidebar marks and this button show the stored state
    report = st.session_state.get(REPORT)
    if report and report["series"] == series and not pending:  # what was stored, until changed again
        st.success(_report_text(report), icon=":material/cloud_done:")
        kind_names: dict[str, str] = {"image": "changed instance"}
        kind_names.update(KINDS.items())
        st.dataframe([{"file": s.instance, "stored": kind_names.get(s.kind, s.kind),
                       "Series Instance UID": s.series_uid, "SOP Instance UID": s.sop_uid}
                      for s in report["stored"]], hide_index=True, key="pacs.report_table")
