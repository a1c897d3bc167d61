"""Large downloads sent in chunks: server memory stays at one copy of the file while it goes.

Streamlit 1.67 answers ``GET /media/<id>`` (what ``st.download_button`` links to) with the
whole file as one response body. The server then copies it into the connection's send
buffer (asyncio copies what the socket does not take at once: the file again, and for a
moment twice), and Streamlit's download button fetches each download twice: once to check
the URL (a ``fetch`` whose body Chromium never reads, so its buffer stays full for as long
as the browser keeps that request) and once to download. A 210 MB file took the server's
memory up by 0.8 GB (3.7 times the file) while it was sent.

:class:`ChunkedDownloads` is an ASGI middleware that answers those requests itself for
stored downloads of :data:`CHUNKED_FROM` bytes or more: the same headers, the body in
:data:`CHUNK` pieces, each sent when the connection has room (uvicorn waits while its
buffer is full). Everything else (other files, ``HEAD``, ``Range`` requests, small
downloads) goes to Streamlit unchanged. ``serve.py`` installs it with ``st.App``
(``make run``); ``streamlit run app.py`` works as before, without it.

Being outermost, it also keeps those downloads out of Streamlit's gzip, which compresses
every ``/media/`` download but a few types (a 200 MB DICOM file took 40 s before its first
byte): with it (:func:`installed`), a large single file is offered as itself, not in a zip.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

__all__ = ["CHUNK", "CHUNKED_FROM", "ChunkedDownloads", "content_disposition", "installed", "media_name"]

#: Bytes per piece of a chunked download.
CHUNK = 1 << 20
#: Downloads of this size or more are sent in chunks.
CHUNKED_FROM = 4 << 20

_INSTALLED: list[bool] = []  # one True once the server has built the middleware (serve.py)

_MEDIA = re.compile(r"(?:^|/)media/([^/]+)$")
_UNSAFE = re.compile(r'["\\\x00-\x1f\x7f]')


def media_name(path: str) -> str | None:
    """Return the stored file's name of a ``/media/`` request path, else ``None``.

    >>> media_name("/media/3f2a.zip"), media_name("/base/media/3f2a.zip"), media_name("/static/x.js")
    ('3f2a.zip', '3f2a.zip', None)
    """
    found = _MEDIA.search(path)
    return found.group(1) if found else None


def content_disposition(filename: str) -> str:
    """Return the ``Content-Disposition`` Streamlit sends for a download named ``filename``.

    >>> content_disposition("scan-edited.zip")
    'attachment; filename="scan-edited.zip"'
    >>> content_disposition('café "1".zip')
    "attachment; filename*=utf-8''caf%C3%A9%20%221%22.zip"
    """
    if filename.isascii() and not _UNSAFE.search(filename):
        return f'attachment; filename="{filename}"'
    return f"attachment; filename*=utf-8''{quote(filename, safe='')}"


def installed() -> bool:
    """Say whether this server sends large downloads in chunks (started from ``serve.py``).

    Starlette builds its middleware when the server starts, before any page runs.
    """
    return bool(_INSTALLED)


def _stored(name: str) -> Any:
    """Return Streamlit's stored media file ``name`` (a ``MemoryFile``), or ``None``."""
    from streamlit.runtime import Runtime

    if not Runtime.exists():
        return None
    manager = Runtime.instance().media_file_mgr
    if not manager.can_read_files:
        return None
    return manager.read_file(name)


def _pieces(content: bytes) -> Iterator[bytes]:
    view = memoryview(content)  # no copy of the file; each piece is one CHUNK
    for start in range(0, len(view), CHUNK):
        yield bytes(view[start:start + CHUNK])


class ChunkedDownloads:
    """ASGI middleware: large ``st.download_button`` files sent in chunks (see the module's docstring)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        _INSTALLED[:] = [True]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Send a large stored download in chunks; pass every other request to Streamlit."""
        name = media_name(scope.get("path", "")) if scope.get("type") == "http" else None
        if name is None or scope.get("method") != "GET" or any(k == b"range" for k, _ in scope["headers"]):
            await self.app(scope, receive, send)
            return
        from streamlit.runtime.media_file_storage import MediaFileKind
        from streamlit.runtime.memory_media_file_storage import get_extension_for_mimetype

        stored = _stored(name)
        if stored is None or stored.kind != MediaFileKind.DOWNLOADABLE or len(stored.content) < CHUNKED_FROM:
            await self.app(scope, receive, send)
            return
        from starlette.responses import StreamingResponse

        filename = stored.filename or f"streamlit_download{get_extension_for_mimetype(stored.mimetype)}"
        headers = {"Content-Disposition": content_disposition(filename),
                   "Content-Length": str(len(stored.content))}
        response = StreamingResponse(_pieces(stored.content), media_type=stored.mimetype or "text/plain",
                                     headers=headers)
        del stored  # the pieces hold the file's bytes while they are sent, nothing else here
        await response(scope, receive, send)
