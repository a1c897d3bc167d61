"""Export's downloads: the file shown, the open series, and every file of the session.

A series is the unit of work (:mod:`studio.series`): with one open, Export first says what
changed in each of its instances, and offers the series as a zip holding only its files,
in a folder named for it (:func:`studio.export.series_folder`), each written, read back
and checked by :func:`studio.export.checked_bytes`.

Small downloads are written and checked as the page runs, so the page can say they
passed. Larger ones (over :data:`studio.export.EAGER_BYTES`) use Streamlit's deferred
download (``data=`` a callable): the page shows at once, and the file is written, checked
and sent when its button is clicked, while the button shows that it is under way. Their
bytes are not kept in the session (Streamlit's media store holds them for the download).

A large single file is offered as itself when the server sends large downloads in chunks
(:mod:`studio.streaming`, ``make run``): its bytes are written once, handed to Streamlit,
and sent without another copy. Started as ``streamlit run app.py``, it is sent in a zip
(stored, not compressed): Streamlit 1.67 gzips every download it serves from ``/media/``
except zips and a few image, audio and video types, so a 200 MB DICOM file took 40 s on
this machine before its first byte left the server; a zip starts at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import streamlit as st

from overlay_core.errors import OverlayError
from overlay_core.planes.changes import plane_changes
from studio import state, streaming
from studio.export import EAGER_BYTES, checked_bytes, download_name, series_folder, zip_files
from studio.formats import import_source
from studio.series import instance_label, members, session
from studio.state import LoadedFile
from studio.text import plain

__all__ = ["downloads", "series_changes"]

_CHECKED = ("Written and read back before it is offered: its overlay planes are as shown.")
_ON_CLICK = ("Large, so it is written and checked when you click; the download starts once the check "
             "passes (a file that fails the check is not sent).")


def _size(entries: Sequence[LoadedFile]) -> int:
    return sum(e.size for e in entries)


def _mb(size: int) -> str:
    """Say a size in MB for a caption.

    >>> _mb(210 << 20), _mb(3 << 19)
    ('210 MB', '1.5 MB')
    """
    mb = size / (1 << 20)
    return f"{mb:.0f} MB" if mb >= 10 else f"{mb:.2g} MB"


def _offer(label: str, make: Callable[[], bytes], size: int, *, file_name: str, mime: str, key: str,
           icon: str, primary: bool = False, failed: str = "") -> None:
    """One download button: checked now (small) or on click (large); ``failed`` starts an error."""
    kind: Literal["primary", "secondary"] = "primary" if primary else "secondary"
    if size > EAGER_BYTES:
        st.download_button(label, data=make, file_name=file_name, mime=mime, key=key, type=kind, icon=icon,
                           on_click="ignore")
        st.caption(f"{_mb(size)}. {_ON_CLICK}")
        return
    try:
        data = make()
    except OverlayError as exc:
        st.error(failed + plain(str(exc)), icon=":material/error:")
        return
    st.download_button(label, data=data, file_name=file_name, mime=mime, key=key, type=kind, icon=icon,
                       on_click="ignore")
    st.caption(_CHECKED)


def series_changes(entry: LoadedFile) -> list[LoadedFile]:
    """Say what changed in each instance of ``entry``'s series; return the series (one file: itself)."""
    series = members(session(), entry)
    if len(series) < 2:
        return series
    changed = {f.id: plane_changes(f.original, f.dataset) for f in series
               if f.original is not None and f.dataset is not None}
    count = sum(1 for f in series if changed.get(f.id))
    st.subheader(f"This series: {len(series)} instances, {count} changed")
    lines = []
    for i, f in enumerate(series, 1):
        summary = "; ".join(c.summary for c in changed.get(f.id, [])) or "unchanged"
        shown = " (shown)" if f.id == entry.id else ""
        lines.append(f"- **{plain(instance_label(i, f))}**{shown}: {plain(summary)}")
    st.markdown("\n".join(lines))
    return series


def downloads(entry: LoadedFile, new_uid: bool) -> None:
    """Offer the file shown, its series (when it has one) and every readable file of the session."""
    uid_note = ", with a new SOP Instance UID" if new_uid else ""
    if entry.size <= EAGER_BYTES or streaming.installed():  # as it is (large: sent in chunks, no gzip)
        _offer(f"Download {plain(download_name(entry))}" + ("" if entry.size <= EAGER_BYTES else
                                                             f" ({_mb(entry.size)})"),
               lambda: checked_bytes(entry, new_uid, memo=entry.size <= EAGER_BYTES), entry.size,
               file_name=download_name(entry), mime="application/dicom", key="download",
               icon=":material/download:", primary=True)
    else:  # in a zip: Streamlit gzips other downloads as it sends them (200 MB: 40 s before the first byte)
        _offer(f"Download {plain(download_name(entry))} in a zip ({_mb(entry.size)})",
               lambda: zip_files([entry], new_uid, memo=False), entry.size,
               file_name=f"{entry.stem}-edited.zip", mime="application/zip", key="download",
               icon=":material/download:", primary=True)
    series = members(session(), entry)
    if len(series) > 1:
        folder = series_folder(series)
        big = _size(series) > EAGER_BYTES
        _offer(f"Download this series: {len(series)} files in {plain(folder)}/{uid_note}",
               lambda: zip_files(series, new_uid, folder=folder, memo=not big), _size(series),
               file_name=f"{folder}.zip", mime="application/zip", key="export.series",
               icon=":material/stacks:", failed="The zip of this series is not offered: ")
    opened = [e for e in state.files(st.session_state) if e.ok]
    readable = [e for e in opened if not import_source(e)]  # RTSTRUCT, SEG: sources, never edited
    if len(readable) > len(series):
        big = _size(readable) > EAGER_BYTES
        _offer(f"Download every open file: {len(readable)} files as a zip{uid_note}",
               lambda: zip_files(readable, new_uid, memo=not big), _size(readable),
               file_name="overlay-studio.zip", mime="application/zip", key="export.zip",
               icon=":material/folder_zip:", failed="The zip of all files is not offered: ")
        sources = [e.name for e in opened if import_source(e)]
        if sources:
            st.caption(plain(f"Not in this zip: {', '.join(sources)} (RT Structure Set or SEG, opened to "
                             "import as planes; never changed here)."))
