"""Bytes for download, re-read and checked before they are offered.

:func:`checked_bytes` runs the core's one write path,
:func:`overlay_core.planes.writing.checked_bytes`
(write, read back, compare the planes). A file that fails the check is never offered.
Results are memoised on the :class:`~studio.state.LoadedFile` (this session only) by
content digest and options, so a rerun does not serialise again and a new SOP Instance
UID stays the same until the content changes.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable

from overlay_core.errors import OverlayError, WriteCheckError, clause
from overlay_core.planes import writing
from studio.state import LoadedFile, content_key

__all__ = ["checked_bytes", "download_name", "zip_files"]


def download_name(entry: LoadedFile) -> str:
    """Return the name offered for the edited file, e.g. ``"scan-edited.dcm"``.

    >>> download_name(LoadedFile("f1", "scan.dcm", 0, ""))
    'scan-edited.dcm'
    """
    return f"{entry.stem}-edited.dcm"


def checked_bytes(entry: LoadedFile, new_sop_instance_uid: bool = False) -> bytes:
    """Return the edited file's bytes after reading them back and checking the planes.

    Raises
    ------
    OverlayError
        If the file cannot be written, or the bytes read back do not hold the same
        planes with the same bits (the message names the first difference).
    """
    if entry.dataset is None:
        raise OverlayError(f"{entry.name} could not be read, so it cannot be written.")
    key = (content_key(entry), new_sop_instance_uid)
    memo = entry.export_memo
    if key in memo:
        return bytes(memo[key])
    try:
        data = writing.checked_bytes(entry.dataset, new_sop_instance_uid=new_sop_instance_uid)
    except WriteCheckError as exc:
        raise OverlayError(f"{clause(exc)}, so it is not offered for download.") from None
    memo.clear()  # keep only the latest content
    memo[key] = data
    return data


def zip_files(entries: Iterable[LoadedFile], new_sop_instance_uid: bool = False) -> bytes:
    """Return a zip (stored, not deflated) of every readable file's checked bytes, names made unique.

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
                data = checked_bytes(entry, new_sop_instance_uid)
            except OverlayError as exc:  # say which file: the active one may be fine
                raise OverlayError(f"{entry.name}: {exc}") from exc
            archive.writestr(name, data)
    return buffer.getvalue()
