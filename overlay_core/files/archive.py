"""The members of a ``.zip`` upload, checked before anything is decompressed.

A zip of one series (as PACS exports and viewers write them) is opened as its members.
Sizes are taken from the zip's directory and checked against :data:`MAX_MEMBERS` and
:data:`MAX_BYTES` before a member is read; ``zipfile`` then refuses a member that inflates
beyond the size it claims. What is never an input, in an upload or a batch, is one rule,
:func:`skipped`: hidden files and folders (``.git/``, ``.DS_Store``), macOS resource forks
(``__MACOSX/``) and ``DICOMDIR`` in any case.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath

from overlay_core.errors import InvalidArgumentError

__all__ = ["MAX_BYTES", "MAX_MEMBERS", "is_zip", "skipped", "zip_members"]

MAX_MEMBERS = 2000
MAX_BYTES = 2 * 2**30


def skipped(name: str) -> bool:
    r"""Whether a file or zip member is never an input: hidden, a macOS resource fork, or DICOMDIR.

    ``name`` is a path (``/`` or ``\`` separated); any hidden folder or ``__MACOSX`` on
    the way skips it, as does a ``DICOMDIR`` file in any case (a directory of the files,
    not an image).

    >>> names = (".DS_Store", ".git/x.dcm", "x/__MACOSX/y.dcm", "a/DICOMDIR", "a/dicomdir", "a/b.dcm")
    >>> [skipped(n) for n in names]
    [True, True, True, True, True, False]
    """
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    if not parts or parts[-1].upper() == "DICOMDIR":
        return True
    return any(p.startswith(".") or p == "__MACOSX" for p in parts)


def is_zip(name: str, data: bytes) -> bool:
    """Say whether an upload is a zip archive (by its signature, or its name when empty).

    >>> is_zip("series.ZIP", b""), is_zip("x.dcm", bytes([80, 75, 3, 4])), is_zip("x.dcm", b"DICM")
    (True, True, False)
    """
    return data[:4] == b"PK\x03\x04" or (not data and name.lower().endswith(".zip"))


def zip_members(
    data: bytes, max_members: int = MAX_MEMBERS, max_bytes: int = MAX_BYTES
) -> list[tuple[str, bytes]]:
    """Return ``(name, bytes)`` of each file in the zip, in the archive's order.

    Raises
    ------
    InvalidArgumentError
        If the data is not a readable zip, is encrypted, holds no file, more than
        ``max_members`` files or more than ``max_bytes`` bytes once decompressed.

    Examples
    --------
    >>> buffer = io.BytesIO()
    >>> with zipfile.ZipFile(buffer, "w") as z:
    ...     z.writestr("a/1.dcm", b"one"); z.writestr("__MACOSX/a/._1.dcm", b"")
    ...     z.writestr("DICOMDIR", b"")
    >>> zip_members(buffer.getvalue())
    [('1.dcm', b'one')]
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [info for info in archive.infolist() if not info.is_dir() and not skipped(info.filename)]
        if not infos:
            raise InvalidArgumentError("The zip holds no file.")
        if len(infos) > max_members:
            raise InvalidArgumentError(
                f"The zip holds {len(infos)} files; at most {max_members} are opened."
            )
        total = sum(info.file_size for info in infos)
        if total > max_bytes:
            raise InvalidArgumentError(
                f"The zip's files add up to {total / 2**20:.0f} MB; "
                f"at most {max_bytes / 2**20:.0f} MB are opened."
            )
        if any(info.flag_bits & 0x1 for info in infos):
            raise InvalidArgumentError("The zip is encrypted, so its files cannot be read.")
        return [(PurePosixPath(info.filename).name, archive.read(info)) for info in infos]
    except InvalidArgumentError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError,
            ValueError) as exc:
        raise InvalidArgumentError(
            "The zip cannot be read (damaged, or compressed in an unsupported way)."
        ) from exc
