r"""Read the input file's Pixel Data in a thread while numpy and pydicom are imported.

A single-file command spends ~0.25 s importing numpy and pydicom before it opens its file,
and then ~35 ms reading a 32 MB Pixel Data value (here most of that is the kernel giving the
process fresh memory page by page, not the copy). Reading releases the GIL, so
:func:`start`, called by ``python -m overlay_core`` before those imports, reads the value
on the other core meanwhile: a thread finds the file's last element, which is Pixel Data in
nearly every image file, by its header (tag (7FE0,0010), ``OB``/``OW`` or implicit VR, a
defined length that ends exactly at the end of the file), reads the value into a ``bytes``
object, and keeps it for :func:`open_input`.

:func:`open_input` opens the file as usual; when pydicom then asks for exactly that value
at exactly that offset of the same, unchanged file (device, inode, size and modification
time as the thread saw them), the file object hands over the bytes already read instead of
reading them again. Everything else is read from the file; whatever the thread could not
recognise (compressed Pixel Data, elements after it, a big-endian file, a folder) is simply
not prefetched. pydicom parses the file exactly as it would without it.

>>> start(["render"])  # no input file named: nothing is started
>>> _PENDING is None
True
"""

from __future__ import annotations

import io
import os
import struct
import threading
from collections.abc import Sequence
from typing import BinaryIO

__all__ = ["open_input", "start"]

#: How far into the file the Pixel Data header is looked for (the elements before it).
_SCAN_LIMIT = 16 << 20
#: Bytes read at a time while looking: few reads, as each takes the GIL back from the imports.
_CHUNK = 4 << 20
_TAG = b"\xe0\x7f\x10\x00"  # (7FE0,0010) little endian


def _identity(st: os.stat_result) -> tuple[int, int, int, int]:
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _value_at(head: bytes, size: int) -> tuple[int, int] | None:
    """Find the Pixel Data header in ``head`` whose value ends the file: ``(offset, length)``."""
    at = head.find(_TAG)
    while at >= 0:
        explicit = head[at + 4:at + 6] in (b"OB", b"OW") and head[at + 6:at + 8] == b"\0\0"
        header = 12 if explicit else 8
        if len(head) >= at + header:
            (length,) = struct.unpack_from("<I", head, at + header - 4)
            if length != 0xFFFFFFFF and at + header + length == size:
                return at + header, length
        at = head.find(_TAG, at + 1)
    return None


class _Prefetch(threading.Thread):
    """Find and read the Pixel Data value of ``path``; on any trouble, read nothing."""

    def __init__(self, path: str) -> None:
        super().__init__(name="prefetch pixel data", daemon=True)
        self.path = path
        self.found: tuple[tuple[int, int, int, int], int, bytes] | None = None

    def run(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return
        try:
            st = os.fstat(fd)
            head = b""
            while len(head) < min(st.st_size, _SCAN_LIMIT):
                chunk = os.pread(fd, _CHUNK, len(head))
                if not chunk:
                    return
                head += chunk
                where = _value_at(head, st.st_size)
                if where is not None:
                    offset, length = where
                    value = os.pread(fd, length, offset)
                    if len(value) == length:  # a file changed since ``st`` is refused by open_input
                        self.found = (_identity(st), offset, value)
                    return
        except OSError:
            return
        finally:
            os.close(fd)


_PENDING: _Prefetch | None = None


def start(argv: Sequence[str]) -> None:
    """Start reading the Pixel Data of the file a single-file command names (``COMMAND FILE ...``).

    Only a regular file right after the command name is read ahead; anything else starts nothing.
    """
    global _PENDING
    if len(argv) < 2 or argv[0].startswith("-") or argv[1].startswith("-"):
        return
    try:
        if not os.path.isfile(argv[1]):
            return
    except (OSError, ValueError):
        return
    _PENDING = _Prefetch(argv[1])
    _PENDING.start()


class _Serving(io.BufferedReader):
    """A file that hands over a value already read when it is asked for at its offset, once."""

    def __init__(self, raw: io.FileIO, offset: int, value: bytes) -> None:
        super().__init__(raw)
        self._offset = offset
        self._value: bytes | None = value

    def read(self, size: int | None = -1) -> bytes:
        value = self._value
        if value is not None and size == len(value) and self.tell() == self._offset:
            self._value = None
            self.seek(size, io.SEEK_CUR)
            return value
        return super().read(size)


def open_input(path: str) -> BinaryIO:
    """Open ``path`` for reading, serving the Pixel Data read ahead by :func:`start`, if any.

    Raises
    ------
    OSError
        As :func:`open` does.
    """
    global _PENDING
    pending, _PENDING = _PENDING, None
    if pending is None or pending.path != path:
        return open(path, "rb")
    pending.join()
    raw = io.FileIO(path, "rb")
    found = pending.found
    if found is None or _identity(os.fstat(raw.fileno())) != found[0]:
        return io.BufferedReader(raw)
    return _Serving(raw, found[1], found[2])
