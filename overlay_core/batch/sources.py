r"""Where a batch's files come from: folders (recursive) and ``.zip`` archives, streamed.

Each input file becomes an :class:`Item`: a small, picklable description (paths, never
the file's bytes) that a worker on this machine, or on a Dask cluster sharing the
file system, turns into bytes with :meth:`Item.read`. :func:`walk` yields items one at a
time, folder by folder, so memory stays bounded whatever the archive's size; a ``.zip``
is read through its central directory (names only) and each member is decompressed by
the worker that processes it.

Every item has a ``relative`` path: where its outputs go under the batch's output
folder. It starts with the source's own name, so ``batch audit scans/ more.zip --out OUT``
mirrors ``scans/a/b.dcm`` to ``OUT/scans/a/b.dcm…`` and ``more.zip``'s member ``c/d.dcm``
to ``OUT/more.zip/c/d.dcm…``.

Examples
--------
>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp()) / "scans"
>>> (root / "a").mkdir(parents=True)
>>> _ = (root / "a" / "x.dcm").write_bytes(b"DICM")
>>> [(i.relative, i.read()) for i in walk([str(root)])]
[('scans/a/x.dcm', b'DICM')]
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import stat
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from overlay_core.pacs.client import PacsClient
    from overlay_core.pacs.config import AnyServer, PacsConfig

from overlay_core.errors import InvalidArgumentError, clause
from overlay_core.files.archive import skipped

__all__ = ["MAX_MEMBER_BYTES", "Item", "check_sources", "is_url", "is_zip", "selected", "walk"]

#: A zip member larger than this (uncompressed) is refused rather than inflated in memory.
MAX_MEMBER_BYTES = 2 << 30


@dataclass(frozen=True)
class Item:
    """One input file of a batch.

    Attributes
    ----------
    key : str
        Its name in the report: the path as found (``scans/a/x.dcm``), or for a zip
        member the archive's path, ``/`` and the member (``more.zip/c/d.dcm``).
    relative : str
        POSIX path of its outputs under the output folder, starting with the source's name.
    path : str
        The absolute path of the file, or of the zip archive that holds it.
    member : str or None
        The member's name inside the archive, or ``None`` for a plain file.
    web : tuple of str or None
        For an instance on a PACS (DICOMweb or DIMSE): ``(server name, study, series, SOP
        Instance UID)``; the worker retrieves it (WADO-RS, or C-GET/C-MOVE) with the server's
        settings from its own environment (``OVERLAY_STUDIO_DICOMWEB_*``,
        ``OVERLAY_STUDIO_DIMSE*``), so no credential travels with an item.
    problem : str or None
        Why this entry cannot be read at all (an unreadable folder or archive, a member
        whose name leaves the archive); :meth:`read` raises it, so the batch reports it.
    """

    key: str
    relative: str
    path: str
    member: str | None = None
    problem: str | None = None
    web: tuple[str, str, str, str] | None = None

    def read(self) -> bytes:
        """Return the file's bytes.

        Raises
        ------
        InvalidArgumentError
            If the file or archive member cannot be read (one sentence saying why).
        """
        if self.problem is not None:
            raise InvalidArgumentError(self.problem)
        if self.web is not None:
            name, study, series, sop = self.web
            return _pacs_client(name).retrieve(study, series, sop).data
        try:
            if self.member is None:
                return Path(self.path).read_bytes()
            archive = _open_zip(self.path, *_signature(self.path))
            info = archive.getinfo(self.member)
            if info.file_size > MAX_MEMBER_BYTES:
                raise InvalidArgumentError(
                    f"The archive member {self.member} inflates to {info.file_size} bytes, "
                    f"more than the {MAX_MEMBER_BYTES} this tool reads."
                )
            return archive.read(info)
        except InvalidArgumentError:
            raise
        except KeyError:
            raise InvalidArgumentError(f"The archive {self.path} no longer holds {self.member}.") from None
        except OSError as exc:
            reason = exc.strerror or exc
            raise InvalidArgumentError(f"The file {self.key} could not be read ({reason}).") from None
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError) as exc:
            reason = clause(exc)
            raise InvalidArgumentError(f"The archive member {self.key} is unreadable ({reason}).") from None


    def has_dicom_prefix(self) -> bool:
        """Say whether the file starts with ``DICM``, after a 128-byte preamble or without one.

        Only the first 132 bytes are read; a file that cannot be read says ``True`` (its
        failure is reported, not skipped), and so does an instance on a DICOMweb server.
        """
        if self.problem is not None or self.web is not None:
            return True
        try:
            if self.member is None:
                with open(self.path, "rb") as fh:
                    head = fh.read(132)
            else:
                with _open_zip(self.path, *_signature(self.path)).open(self.member) as fh:
                    head = fh.read(132)
        except (OSError, KeyError, zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError):
            return True
        return head[128:132] == b"DICM" or head[:4] == b"DICM"


def selected(item: Item, include: Sequence[str] = (), exclude: Sequence[str] = ()) -> bool:
    """Say whether ``--include``/``--exclude`` glob patterns keep ``item``.

    A pattern matches the file's name or its path inside its source (``*`` also crosses
    ``/``); with include patterns a file must match one of them, and a file matching an
    exclude pattern is left out.

    >>> item = Item("scans/a/x.dcm", "scans/a/x.dcm", "/abs/scans/a/x.dcm")
    >>> selected(item, ["*.dcm"]), selected(item, ["*.IMA"]), selected(item, exclude=["b/*"])
    (True, False, True)
    >>> selected(item, exclude=["scans/a/*"]), selected(Item("r", "scans/README", "/r"), exclude=["README"])
    (False, False)
    """
    inside = item.relative.split("/", 1)[1] if "/" in item.relative else item.relative
    names = {posixpath.basename(item.relative or item.key), inside, item.relative, item.key}

    def matches(patterns: Sequence[str]) -> bool:
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns for name in names)

    return (not include or matches(include)) and not matches(exclude)


def _signature(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_mtime_ns, st.st_size


@lru_cache(maxsize=2)
def _open_zip(path: str, mtime_ns: int, size: int) -> zipfile.ZipFile:
    """Keep the last archives open in each worker (re-opened when the file changes)."""
    return zipfile.ZipFile(path)


# --------------------------------------------------------------------------- PACS


def is_url(source: str) -> bool:
    """Whether a SOURCE is a DICOMweb or DIMSE URL rather than a path.

    >>> is_url("https://pacs/dicom-web/studies/1.2"), is_url("dimse://PACS@host:104/1.2"), is_url("scans/")
    (True, True, False)
    """
    return source.startswith(("http://", "https://", "dimse://"))


def _pacs_config() -> PacsConfig:
    from overlay_core.pacs.config import load_config

    config = load_config(os.environ)
    if config is None:
        raise InvalidArgumentError(
            "A PACS source needs a configured server: set OVERLAY_STUDIO_DICOMWEB_URL "
            "(and _USER/_PASSWORD or _TOKEN) or OVERLAY_STUDIO_DIMSE=dimse://CALLED_AET@host:port."
        )
    return config


@lru_cache(maxsize=4)
def _pacs_client(name: str) -> PacsClient:
    """One client per configured server in each worker, built from the worker's environment."""
    from overlay_core.pacs.client import connect

    return connect(_pacs_config().server(name))


def _dimse_source(url: str, config: PacsConfig) -> tuple[AnyServer, str, str | None]:
    """Return ``(server, study, series or None)`` of ``dimse://AET@host:port/STUDY[/SERIES]``."""
    from overlay_core.pacs.config import DimseServer

    root, _, rest = url[len("dimse://"):].partition("/")
    for server in config.servers:
        if isinstance(server, DimseServer) and f"dimse://{root}" == server.url:
            parts = [p for p in rest.split("/") if p]
            if len(parts) in (1, 2):
                return server, parts[0], parts[1] if len(parts) == 2 else None
            raise InvalidArgumentError(
                f"The DIMSE source {url} must be dimse://CALLED_AET@host:port/STUDY_UID[/SERIES_UID]."
            )
    names = ", ".join(s.name for s in config.servers)
    raise InvalidArgumentError(f"The URL {url} is not on a configured PACS server ({names}).")


def _web_source(url: str) -> tuple[AnyServer, str, str | None]:
    """Return ``(server, study, series or None)`` of a study or series URL of a configured server.

    Raises
    ------
    InvalidArgumentError
        If no server is configured, none has this URL's root, or the rest of the URL is
        not ``/studies/UID`` or ``/studies/UID/series/UID`` (``/STUDY[/SERIES]`` for DIMSE).
    """
    config = _pacs_config()
    if url.startswith("dimse://"):
        return _dimse_source(url, config)
    for server in config.servers:
        if server.protocol != "DICOMweb":
            continue
        root = server.url.rstrip("/") + "/"
        if url.startswith(root):
            parts = url[len(root):].strip("/").split("/")
            if len(parts) in (2, 4) and parts[0] == "studies" and (len(parts) == 2 or parts[2] == "series"):
                return server, parts[1], parts[3] if len(parts) == 4 else None
            raise InvalidArgumentError(
                f"The DICOMweb source {url} must end in /studies/UID or /studies/UID/series/UID."
            )
    names = ", ".join(s.name for s in config.servers)
    raise InvalidArgumentError(f"The URL {url} is not on a configured PACS server ({names}).")


def _web_items(url: str, relative: str) -> Iterator[Item]:
    from overlay_core.errors import OverlayError

    server, study, series = _web_source(url)
    try:
        client = _pacs_client(server.name)
        for uid in [series] if series else [s.series_uid for s in client.search_series(study)]:
            base = (f"{server.url}/{study}/{uid}" if server.protocol == "DIMSE"
                    else f"{server.url}/studies/{study}/series/{uid}/instances")
            inner = f"{relative}/{uid}" if series is None else relative
            for sop in client.instance_uids(study, uid):
                yield Item(f"{base}/{sop}", f"{inner}/{sop}.dcm", "",
                           web=(server.name, study, uid, sop))
    except OverlayError as exc:  # the listing failed: one failed "file" for the source
        yield Item(url, relative, "", problem=str(exc))


def is_zip(path: str | Path) -> bool:
    """Return whether ``path`` is a regular file named ``*.zip`` (any case).

    >>> is_zip("no-such.zip")
    False
    """
    p = Path(path)
    return p.suffix.lower() == ".zip" and p.is_file()


def _safe_member(name: str) -> str | None:
    """Return a member's normalised POSIX path, or ``None`` if it would leave its folder.

    >>> _safe_member("a/./b.dcm"), _safe_member("../x"), _safe_member("/etc/x")
    ('a/b.dcm', None, None)
    """
    norm = posixpath.normpath(name.replace("\\", "/"))
    if norm.startswith("/") or norm == ".." or norm.startswith("../") or ":" in norm.split("/")[0]:
        return None
    return norm


def _zip_items(path: Path, key: str, relative: str) -> Iterator[Item]:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (OSError, zipfile.BadZipFile) as exc:
        reason = clause(exc)
        # One unreadable archive is one failed "file" of the batch, not the end of it.
        yield Item(key, relative, str(path.resolve()),
                   problem=f"The archive {key} could not be read ({reason}).")
        return
    absolute = str(path.resolve())
    for info in infos:
        if info.is_dir() or skipped(info.filename):
            continue
        name = _safe_member(info.filename)
        if name is None:
            yield Item(f"{key}/{info.filename}", "", absolute, member=info.filename,
                       problem=f"The archive member {info.filename} would leave the archive's folder.")
        else:
            yield Item(f"{key}/{name}", f"{relative}/{name}", absolute, member=info.filename)


def _walk_folder(folder: Path, key: str, relative: str, skip: set[tuple[int, int]]) -> Iterator[Item]:
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        yield Item(key, relative, str(folder),
                   problem=f"The folder {key} could not be read ({exc.strerror or exc}).")
        return
    for entry in entries:
        if skipped(entry.name):
            continue
        try:
            st = entry.stat()  # follows symlinks to files; folders are not followed below
        except OSError:
            continue
        child_key, child_rel = f"{key}/{entry.name}", f"{relative}/{entry.name}"
        if stat.S_ISDIR(st.st_mode):
            if entry.is_symlink() or (st.st_dev, st.st_ino) in skip:
                continue
            yield from _walk_folder(Path(entry.path), child_key, child_rel, skip)
        elif stat.S_ISREG(st.st_mode):
            if entry.name.lower().endswith(".zip"):
                yield from _zip_items(Path(entry.path), child_key, child_rel)
            else:
                yield Item(child_key, child_rel, os.path.abspath(entry.path))


def _source_name(source: str) -> str:
    if is_url(source):
        server, study, series = _web_source(source)
        return "/".join(p for p in (server.name, study, series) if p)
    return Path(os.path.abspath(source)).name


def check_sources(sources: Sequence[str], out: str | None = None) -> None:
    """Check every SOURCE before a batch starts: it exists, and the outputs stay apart.

    Raises
    ------
    InvalidArgumentError
        If a source is missing or neither a folder, a ``.zip`` nor a file; if two sources
        share a name (their outputs would mix); or if the output folder is a source or
        would mirror a source onto itself.

    Examples
    --------
    >>> check_sources(["no/such/folder"])
    Traceback (most recent call last):
    ...
    overlay_core.errors.InvalidArgumentError: The source no/such/folder does not exist.
    """
    if not sources:
        raise InvalidArgumentError("Give at least one source: a folder, a .zip file or a file.")
    names: dict[str, str] = {}
    for source in sources:
        if is_url(source):
            _web_source(source)  # a configured server and a study or series URL
            continue
        path = Path(source)
        if not path.exists():
            raise InvalidArgumentError(f"The source {source} does not exist.")
        if not (path.is_dir() or path.is_file()):
            raise InvalidArgumentError(f"The source {source} is neither a folder nor a file.")
        name = _source_name(source)
        if not name:
            raise InvalidArgumentError(f"The source {source} has no name to mirror; give a folder below /.")
        if name in names:
            raise InvalidArgumentError(
                f"The sources {names[name]} and {source} have the same name, so their outputs would mix; "
                "run them as two batches."
            )
        names[name] = source
        if out is not None:
            target = Path(out).resolve() / name
            if target == path.resolve() or Path(out).resolve() == path.resolve():
                raise InvalidArgumentError(
                    f"The output folder {out} would write over the source {source}; choose another --out."
                )


def walk(sources: Sequence[str], exclude: str | None = None) -> Iterator[Item]:
    """Yield every file of the sources, in order, one at a time.

    Parameters
    ----------
    sources : sequence of str
        Folders (walked recursively; folder symlinks are not followed; ``*.zip`` files
        inside are read as archives), ``.zip`` files, or single files. What
        :func:`overlay_core.files.archive.skipped` names is skipped (hidden files and
        folders, ``__MACOSX`` resource forks, ``DICOMDIR``), as in an upload.
    exclude : str, optional
        A folder never walked into (the batch's output folder, when it lies inside a source).

    Yields
    ------
    Item
        Unreadable folders and archives, and archive members whose names would leave the
        archive (``../x``), are yielded too: reading them raises, so the batch reports them.
    """
    skip: set[tuple[int, int]] = set()
    if exclude is not None and os.path.isdir(exclude):
        st = os.stat(exclude)
        skip.add((st.st_dev, st.st_ino))
    for source in sources:
        if is_url(source):
            yield from _web_items(source, _source_name(source))
            continue
        key = os.path.normpath(source)
        name = _source_name(source)
        path = Path(source)
        if path.is_dir():
            yield from _walk_folder(path, key, name, skip)
        elif is_zip(path):
            yield from _zip_items(path, key, name)
        else:
            yield Item(key, name, os.path.abspath(source))
