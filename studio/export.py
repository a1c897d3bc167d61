"""Bytes for download, re-read and checked before they are offered.

:func:`checked_bytes` runs the core's one write path,
:func:`overlay_core.planes.writing.checked_bytes`
(write, read back, compare the planes). A file that fails the check is never offered.
Results are memoised on the :class:`~studio.state.LoadedFile` (this session only) by
content digest and options, so a rerun does not serialise again and a new SOP Instance
UID stays the same until the content changes. A file larger than :data:`EAGER_BYTES` is
written only when its download is asked for, and not memoised (:mod:`studio.downloads`),
so the page shows at once and the session holds no second copy of it.

Zips hold the files under a folder (:func:`series_folder` names one for a series).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence

from overlay_core.errors import OverlayError, WriteCheckError, clause
from overlay_core.planes import writing
from studio.state import LoadedFile, content_key

__all__ = ["EAGER_BYTES", "checked_bytes", "download_name", "series_folder", "zip_files"]

#: Files up to this size are written and checked as the page runs (the page says so);
#: larger ones when their download button is clicked (Streamlit's deferred download).
EAGER_BYTES = 48 << 20


def download_name(entry: LoadedFile) -> str:
    """Return the name offered for the edited file, e.g. ``"scan-edited.dcm"``.

    >>> download_name(LoadedFile("f1", "scan.dcm", 0, ""))
    'scan-edited.dcm'
    """
    return f"{entry.stem}-edited.dcm"


def checked_bytes(entry: LoadedFile, new_sop_instance_uid: bool = False, memo: bool = True) -> bytes:
    """Return the edited file's bytes after reading them back and checking the planes.

    ``memo=False`` neither uses nor keeps the memo (a large file written on demand).

    Raises
    ------
    OverlayError
        If the file cannot be written, or the bytes read back do not hold the same
        planes with the same bits (the message names the first difference).
    """
    if entry.dataset is None:
        raise OverlayError(f"{entry.name} could not be read, so it cannot be written.")
    key = (content_key(entry), new_sop_instance_uid)
    kept = entry.export_memo
    if memo and key in kept:
        return bytes(kept[key])
    try:
        data = writing.checked_bytes(entry.dataset, new_sop_instance_uid=new_sop_instance_uid)
    except WriteCheckError as exc:
        raise OverlayError(f"{clause(exc)}, so it is not offered for download.") from None
    if memo:
        kept.clear()  # keep only the latest content
        kept[key] = data
    return data


def series_folder(entries: Sequence[LoadedFile]) -> str:
    """Return a folder name for a series: its number and description, else its UID's end.

    >>> from pydicom.dataset import Dataset
    >>> ds = Dataset(); ds.SeriesNumber = 4; ds.SeriesDescription = "T2 ax/cor"
    >>> series_folder([LoadedFile("f1", "a.dcm", 0, "", original=ds)])
    'series-4-T2-ax-cor'
    >>> series_folder([])
    'series'
    """
    ds = entries[0].original if entries else None
    parts = ["series"]
    if ds is not None:
        number = str(ds.get("SeriesNumber", "") or "").strip()
        text = str(ds.get("SeriesDescription", "") or "")
        parts += [p for p in (number, text) if p.strip()]
        if len(parts) == 1 and ds.get("SeriesInstanceUID"):
            parts.append(str(ds.SeriesInstanceUID)[-12:])
    name = re.sub(r"[^A-Za-z0-9._]+", "-", "-".join(parts)).strip("-.")
    return name[:80] or "series"


def zip_files(entries: Iterable[LoadedFile], new_sop_instance_uid: bool = False, folder: str = "",
              memo: bool = True) -> bytes:
    """Return a zip (stored, not deflated) of every readable file's checked bytes, names made unique.

    ``folder``: the files are put in it inside the zip. ``memo`` as :func:`checked_bytes`.

    Raises
    ------
    OverlayError
        If any file fails :func:`checked_bytes` (the message starts with its name).
    """
    buffer = io.BytesIO()
    used: set[str] = set()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for entry in entries:
            if not entry.ok:
                continue
            name = download_name(entry)
            number = 1
            while name in used:
                number += 1
                name = f"{entry.stem}-edited-{number}.dcm"
            used.add(name)
            try:
                data = checked_bytes(entry, new_sop_instance_uid, memo=memo)
            except OverlayError as exc:  # say which file: the active one may be fine
                raise OverlayError(f"{entry.name}: {exc}") from exc
            archive.writestr(f"{folder}/{name}" if folder else name, data)
            del data  # a series of large files: one file's bytes at a time besides the zip
    return buffer.getvalue()
