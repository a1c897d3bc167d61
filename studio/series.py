"""Series in a session: the files that share a Series Instance UID, in series order.

A series is whatever the session holds of one (0020,000E) *Series Instance UID*: a series
opened from a PACS, several uploaded files of one series, or the members of a ``.zip``.
:func:`members` orders them with :func:`overlay_core.dataset.series.series_order` (Instance Number,
then slice position) on the files as loaded. :func:`series_nav` draws previous/next buttons
(Shift+PageUp/Shift+PageDown) that Inspect and Edit call in one line; stepping keeps the selected plane
group, the zoom and the window, by copying those widget values to the next file's keys.
:func:`sidebar_series` lists the series' instances (number and file name, each a button that
opens it) with a mark on those with unsaved edits (content differing from the file as
opened or as last stored to a PACS); :func:`mark_is_stale` tells the editor when a stroke
flipped that mark.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from overlay_core.dataset.series import series_order, series_uid
from studio import state
from studio.state import LoadedFile, State, content_key
from studio.text import plain

__all__ = [
    "CARRIED", "changed", "cine_key", "instance_label", "mark_is_stale", "mark_saved", "members", "navigate",
    "series_nav", "session", "sidebar_series", "unsaved",
]

#: Session-state keys owned by this module: file id -> content key as opened / as last stored.
OPENED, BASELINE = "series.opened", "series.saved"
#: Widget keys (prefixes, followed by the file id) whose values follow the user from one
#: instance to the next: the plane group, zoom and window (Inspect's viewer: its zoom, pan
#: and dragged window too, so a series' cine keeps them). Frame pickers are not carried.
CARRIED = (
    "edit.plane.", "edit.zoom.", "edit.centre.",
    "inspect.voi.", "inspect.center.", "inspect.width.",
    "inspect.visible.", "inspect.color.", "inspect.opacity.",
    "inspect.zoom.", "inspect.centre.", "inspect.window.",
)


def session() -> State:
    """Return ``st.session_state`` (the mapping every helper takes)."""
    return st.session_state


_SIZED = ("edit.zoom.", "edit.centre.", "inspect.zoom.", "inspect.centre.")  # only between images of one size


def members(session: State, entry: LoadedFile) -> list[LoadedFile]:
    """Return the readable files of ``entry``'s series in this session, in series order.

    A file without a Series Instance UID is a series of one.
    """
    assert entry.original is not None
    uid = series_uid(entry.original)
    if not uid:
        return [entry]
    found = [f for f in state.files(session) if f.original is not None and series_uid(f.original) == uid]
    originals = [f.original for f in found if f.original is not None]
    return [found[i] for i in series_order(originals)]


def _table(session: State, name: str) -> dict[str, str]:
    table: dict[str, str] | None = session.get(name)
    if table is None:
        table = session[name] = {}
    return table


def _opened_key(session: State, entry: LoadedFile) -> str:
    opened = _table(session, OPENED)
    if entry.id not in opened:
        opened[entry.id] = content_key(LoadedFile(entry.id, entry.name, entry.size, entry.sha256,
                                                  dataset=entry.original))
    return opened[entry.id]


def changed(session: State, entry: LoadedFile) -> bool:
    """Say whether ``entry``'s overlay groups or Pixel Data differ from the file as opened."""
    return entry.ok and content_key(entry) != _opened_key(session, entry)


def unsaved(session: State, entry: LoadedFile) -> bool:
    """Say whether ``entry`` differs from the file as opened, or as last stored to a PACS."""
    if not entry.ok:
        return False
    saved = _table(session, BASELINE).get(entry.id)
    return content_key(entry) != (saved if saved is not None else _opened_key(session, entry))


def mark_saved(session: State, entries: Sequence[LoadedFile]) -> None:
    """Record that ``entries`` were stored as they are now."""
    saved = _table(session, BASELINE)
    for entry in entries:
        saved[entry.id] = content_key(entry)


def _carry(session: State, source: LoadedFile, target: LoadedFile) -> None:
    same_size = source.ok and target.ok and (
        (source.image_info().rows, source.image_info().columns)
        == (target.image_info().rows, target.image_info().columns))
    for key in [k for k in session if isinstance(k, str) and k.startswith(CARRIED)]:
        parts = key.split(".")
        if source.id not in parts or (key.startswith(_SIZED) and not same_size):
            continue
        new = ".".join(target.id if p == source.id else p for p in parts)
        if key.startswith("inspect.voi.") and not _has_window(target, session[key]):
            continue
        session[new] = session[key]


def _has_window(entry: LoadedFile, name: object) -> bool:
    from overlay_core.render.windowing import AUTOMATIC, file_presets

    assert entry.dataset is not None
    return name in {AUTOMATIC.name, "Manual", *(p.name for p in file_presets(entry.dataset))}


def navigate(session: State, source_id: str, target_id: str) -> None:
    """Make ``target_id`` active, carrying the plane group, zoom and window of ``source_id``."""
    files = session.get(state.FILES, {})
    source, target = files.get(source_id), files.get(target_id)
    if isinstance(source, LoadedFile) and isinstance(target, LoadedFile) and target.ok:
        _carry(session, source, target)
        state.activate(session, target_id)


def _active_series() -> tuple[LoadedFile, list[LoadedFile]] | None:
    """Return the active file and its series, or ``None`` when there is no file or it is alone."""
    entry = state.active(session())
    if entry is None:
        return None
    series = members(session(), entry)
    return (entry, series) if len(series) > 1 else None


def cine_key(page: str, series: Sequence[LoadedFile]) -> str:
    """Return the session key of ``page``'s cine toggle for ``series`` (one per series: its first file's).

    >>> cine_key("inspect", [LoadedFile("f3", "a.dcm", 0, "")])
    'inspect.cine.f3'
    """
    return f"{page}.cine.{series[0].id}"


def series_nav(page: str) -> None:
    """Draw "instance k of n" with previous/next buttons (Shift+PageUp/Shift+PageDown) for the active file.

    Nothing is drawn for a file that is alone in its series. Keys: ``<page>.series.prev``
    and ``<page>.series.next``. While the page's cine plays the series (:mod:`studio.cine`) the
    line says so and the buttons wait: the instance shown is in the viewer's caption.
    """
    found = _active_series()
    if found is None:
        return
    entry, series = found
    index = next(i for i, f in enumerate(series) if f.id == entry.id)
    playing = bool(session().get(cine_key(page, series)))
    # Buttons wide enough for "Previous" and its shortcut hint at 1366 px ([1, 3, 1] cut it to "P…").
    prev_col, text_col, next_col = st.columns([2, 3, 2], vertical_alignment="center")
    prev_col.button(
        "Previous", key=f"{page}.series.prev", icon=":material/navigate_before:", shortcut="Shift+PageUp",
        disabled=playing or index == 0, on_click=navigate,
        args=(session(), entry.id, series[max(index - 1, 0)].id),
        help="The previous instance of this series (Shift+PageUp).",
    )
    number = entry.original.get("InstanceNumber", "") if entry.original is not None else ""
    if playing:
        text_col.text(f"Cine: the {len(series)} instances of this series play below")
    else:
        text_col.text(f"Instance {index + 1} of {len(series)} in this series"
                      + (f" (Instance Number {number})" if str(number).strip() else ""))
    next_col.button(
        "Next", key=f"{page}.series.next", icon=":material/navigate_next:", shortcut="Shift+PageDown",
        disabled=playing or index == len(series) - 1, on_click=navigate,
        args=(session(), entry.id, series[min(index + 1, len(series) - 1)].id),
        help="The next instance of this series (Shift+PageDown).",
    )


#: Session key: file id -> whether the sidebar last showed it as unsaved (see :func:`mark_is_stale`).
SHOWN = "series.shown"


def instance_label(index: int, entry: LoadedFile) -> str:
    """Return a series member's line in the sidebar: its Instance Number (or place) and file name.

    >>> instance_label(2, LoadedFile("f1", "slice_002.dcm", 0, ""))
    '2 · slice_002.dcm'
    """
    number = entry.original.get("InstanceNumber", "") if entry.original is not None else ""
    shown = str(number).strip() or str(index)
    return f"{shown} · {entry.name}"


def mark_is_stale(session: State, entry: LoadedFile) -> bool:
    """Say whether the sidebar's unsaved mark of ``entry`` no longer matches its content.

    The Edit page's canvas reruns alone (an ``st.fragment``), so the sidebar is not redrawn
    after a stroke; the editor calls this after each run and reruns the whole page only
    when the mark flipped (the first stroke, or an undo back to the file as opened).
    """
    shown: dict[str, bool] = session.get(SHOWN) or {}
    return entry.id in shown and shown[entry.id] != unsaved(session, entry)


def sidebar_series() -> None:
    """In the sidebar: the active file's series, one button per instance (number, file name).

    The active instance is a primary button; unsaved edits are marked with a dot.
    """
    found = _active_series()
    if found is None:
        return
    entry, series = found
    dirty = {f.id for f in series if unsaved(session(), f)}
    session()[SHOWN] = {f.id: f.id in dirty for f in series}
    st.caption(f"Series: {len(series)} instances, {len(dirty)} with unsaved edits")
    st.html("<style>.st-key-series-list button{justify-content:flex-start;min-height:2rem}</style>")
    with st.container(height=260 if len(series) > 8 else "content", border=False, gap=None,
                      key="series-list"):
        for i, f in enumerate(series, 1):
            mark = " ●" if f.id in dirty else ""
            st.button(
                plain(instance_label(i, f)) + mark, key=f"series.open.{f.id}",
                type="primary" if f.id == entry.id else "tertiary",
                icon=":material/arrow_right:" if f.id == entry.id else None,
                help="Unsaved edits" if f.id in dirty else None,
                on_click=navigate, args=(session(), entry.id, f.id), width="stretch",
            )
