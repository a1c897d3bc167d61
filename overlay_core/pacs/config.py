"""The operator's PACS servers: DICOMweb (:class:`Server`) and DIMSE (:class:`DimseServer`).

Servers come from the operator, never from a page. :func:`load_config` reads

* DICOMweb: ``OVERLAY_STUDIO_DICOMWEB_URL`` (with ``_USER``/``_PASSWORD`` or ``_TOKEN``,
  ``_NAME``, ``_TIMEOUT``, ``_ALLOW_ORIGINAL_UIDS``) and a ``[dicomweb]`` table whose
  sub-tables are named servers;
* DIMSE: ``OVERLAY_STUDIO_DIMSE=dimse://CALLED_AET@host:port`` (several, comma-separated;
  each named by its called AE title, or by ``_NAME`` when there is one), with
  ``OVERLAY_STUDIO_DIMSE_CALLING_AET`` (default ``OVERLAYSTUDIO``), ``_TIMEOUT``,
  ``_ALLOW_ORIGINAL_UIDS`` and ``_MOVE=AET@port`` (retrieve with C-MOVE to this app's own
  storage SCP, listening on that port, instead of C-GET), and a ``[dimse]`` table whose
  sub-tables are named servers (``url``, ``calling_aet``, ``timeout``,
  ``allow_original_uids``, ``move``, ``move_host``).

``max_instances`` / ``max_megabytes`` (``_MAX_INSTANCES`` / ``_MAX_MEGABYTES`` under either
prefix, else in either table) cap what one session may open; the environment wins over a
table, and where both prefixes (or both tables) set one the smaller applies.
Both kinds of server share one list of names.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from overlay_core.pacs.errors import PacsConfigError

__all__ = [
    "DEFAULT_CALLING_AET",
    "DEFAULT_TIMEOUT",
    "DIMSE_PREFIX",
    "ENV_PREFIX",
    "AnyServer",
    "DimseServer",
    "PacsConfig",
    "Server",
    "load_config",
    "parse_dimse_url",
]

#: Environment variables: ``<prefix>_URL``, ``_USER``, ``_PASSWORD``, ``_TOKEN``, ``_TIMEOUT``,
#: ``_NAME``, ``_ALLOW_ORIGINAL_UIDS``, ``_MAX_INSTANCES``, ``_MAX_MEGABYTES``.
ENV_PREFIX = "OVERLAY_STUDIO_DICOMWEB"
#: ``OVERLAY_STUDIO_DIMSE`` itself lists the servers; ``_CALLING_AET``, ``_TIMEOUT``, ``_NAME``,
#: ``_ALLOW_ORIGINAL_UIDS``, ``_MOVE``, ``_MOVE_HOST``, ``_MAX_*`` as for DICOMweb.
DIMSE_PREFIX = "OVERLAY_STUDIO_DIMSE"
DEFAULT_TIMEOUT = 20.0
DEFAULT_CALLING_AET = "OVERLAYSTUDIO"
DEFAULT_MAX_INSTANCES = 1000
DEFAULT_MAX_MEGABYTES = 1024
_SERVER_KEYS = {"url", "username", "user", "password", "token", "timeout", "allow_original_uids"}
_DIMSE_KEYS = {"url", "calling_aet", "timeout", "allow_original_uids", "move", "move_host"}
_AET = r"[^\\\s@/:,][^\\@/:,]{0,14}[^\\\s@/:,]|[^\\\s@/:,]"
_DIMSE_URL = re.compile(rf"dimse://({_AET})@(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-_]+):(\d{{1,5}})")


@dataclass(frozen=True)
class Server:
    """One DICOMweb server as the operator configured it.

    ``password`` and ``token`` are left out of ``repr`` so they never reach a log.

    >>> Server("main", "http://127.0.0.1:8042/dicom-web", "alice", "secret")
    Server(name='main', url='http://127.0.0.1:8042/dicom-web', username='alice', timeout=20.0, \
allow_original_uids=False)
    """

    name: str
    url: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT
    allow_original_uids: bool = False

    protocol = "DICOMweb"


@dataclass(frozen=True)
class DimseServer:
    """One DIMSE (DICOM network) server: its called AE title, host and port.

    ``move_aet``/``move_port`` set, series are retrieved with C-MOVE to this app's own
    storage SCP (AE title ``move_aet``, listening on ``move_host:move_port``; the PACS must
    know that AE title with this machine's address); otherwise with C-GET.

    >>> s = DimseServer("ORTHANC", "ORTHANC", "127.0.0.1", 4242)
    >>> s.url, s.retrieval
    ('dimse://ORTHANC@127.0.0.1:4242', 'C-GET')
    """

    name: str
    called_aet: str
    host: str
    port: int
    calling_aet: str = DEFAULT_CALLING_AET
    timeout: float = DEFAULT_TIMEOUT
    allow_original_uids: bool = False
    move_aet: str | None = None
    move_port: int | None = None
    move_host: str = "0.0.0.0"

    protocol = "DIMSE"

    @property
    def url(self) -> str:
        """The server as the operator wrote it, ``dimse://CALLED_AET@host:port``."""
        return f"dimse://{self.called_aet}@{self.host}:{self.port}"

    @property
    def retrieval(self) -> str:
        """``"C-MOVE"`` where a move destination is configured, else ``"C-GET"``."""
        return "C-MOVE" if self.move_aet else "C-GET"


#: A configured server of either protocol.
AnyServer = Server | DimseServer


@dataclass(frozen=True)
class PacsConfig:
    """The configured servers (by name, in order) and the per-session caps."""

    servers: tuple[AnyServer, ...]
    max_instances: int = DEFAULT_MAX_INSTANCES
    max_bytes: int = DEFAULT_MAX_MEGABYTES * 2**20

    def server(self, name: str) -> AnyServer:
        """Return the server called ``name``.

        Raises
        ------
        PacsConfigError
            If no server has that name.
        """
        for server in self.servers:
            if server.name == name:
                return server
        raise PacsConfigError(f"No PACS server is configured under the name {name!r}.")


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _number(value: object, what: str, minimum: float, kind: str = "DICOMweb") -> float:
    try:
        number = float(str(value).strip())
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number < minimum:
        raise PacsConfigError(f"The {kind} setting {what} must be a number of at least {minimum:g}.")
    return number


def _server(name: str, values: Mapping[str, Any]) -> Server:
    url = str(values.get("url") or "").strip().rstrip("/")
    if not re.fullmatch(r"https?://[^\s/@]+(/\S*)?", url):
        raise PacsConfigError(
            f"The DICOMweb server {name!r} needs a url starting with http:// or https://, "
            "without user or password in it."
        )
    username = values.get("username", values.get("user"))
    password, token = values.get("password"), values.get("token")
    if token and (username or password):
        raise PacsConfigError(f"The DICOMweb server {name!r} has both a token and a user: give one of them.")
    if bool(username) != bool(password):
        raise PacsConfigError(f"The DICOMweb server {name!r} needs both a user and a password, or neither.")
    return Server(
        name=name, url=url, username=str(username) if username else None,
        password=str(password) if password else None, token=str(token) if token else None,
        timeout=_number(values.get("timeout", DEFAULT_TIMEOUT), f"timeout of {name!r}", 0.1),
        allow_original_uids=_flag(values.get("allow_original_uids", False)),
    )


def parse_dimse_url(url: str) -> tuple[str, str, int]:
    r"""Split ``dimse://CALLED_AET@host:port`` into ``(called AE title, host, port)``.

    >>> parse_dimse_url("dimse://ORTHANC@127.0.0.1:4242")
    ('ORTHANC', '127.0.0.1', 4242)

    Raises
    ------
    PacsConfigError
        If it is not of that form (an AE title is 1-16 characters without ``\\``).
    """
    match = _DIMSE_URL.fullmatch(url.strip())
    if not match or not 0 < int(match[3]) < 65536:
        raise PacsConfigError(
            f"The DIMSE server {url.strip()!r} must be written dimse://CALLED_AET@host:port "
            "(an AE title of 1 to 16 characters, a port from 1 to 65535)."
        )
    return match[1], match[2].strip("[]"), int(match[3])


def _aet(value: object, what: str) -> str:
    text = str(value).strip()
    if not re.fullmatch(_AET, text):
        raise PacsConfigError(f"The DIMSE {what} must be an AE title of 1 to 16 characters without \\.")
    return text


def _dimse_server(name: str, values: Mapping[str, Any], calling: str) -> DimseServer:
    called, host, port = parse_dimse_url(str(values.get("url") or ""))
    move_aet, move_port = None, None
    move = str(values.get("move") or "").strip()
    if move:
        aet, _, number = move.rpartition("@")
        if not aet or not number.isdigit() or not 0 < int(number) < 65536:
            raise PacsConfigError(f"The DIMSE server {name!r} needs move written AET@port (this app's "
                                  "AE title as the PACS knows it, and the port it listens on).")
        move_aet, move_port = _aet(aet, f"move AE title of {name!r}"), int(number)
    return DimseServer(
        name=name, called_aet=called, host=host, port=port,
        calling_aet=_aet(values.get("calling_aet") or calling, f"calling AE title of {name!r}"),
        timeout=_number(values.get("timeout", DEFAULT_TIMEOUT), f"timeout of {name!r}", 0.1, "DIMSE"),
        allow_original_uids=_flag(values.get("allow_original_uids", False)),
        move_aet=move_aet, move_port=move_port,
        move_host=str(values.get("move_host") or "0.0.0.0").strip(),
    )


def _table_servers(
    table: Mapping[str, Any], keys: set[str], kind: str, make: Any, taken: set[str]
) -> list[AnyServer]:
    out: list[AnyServer] = []
    for name, values in table.items():
        if isinstance(values, Mapping):
            if str(name) in taken:
                raise PacsConfigError(f"Two PACS servers are named {name!r}.")
            unknown = sorted(set(values) - keys)
            if unknown:
                raise PacsConfigError(
                    f"The {kind} server {name!r} has unknown settings: {', '.join(unknown)}.")
            out.append(make(str(name), values))
            taken.add(str(name))
    return out


def _dimse_from_env(environ: Mapping[str, str], calling: str) -> list[AnyServer]:
    urls = [u.strip() for u in environ.get(DIMSE_PREFIX, "").split(",") if u.strip()]
    common = {
        "timeout": environ.get(f"{DIMSE_PREFIX}_TIMEOUT", DEFAULT_TIMEOUT),
        "allow_original_uids": environ.get(f"{DIMSE_PREFIX}_ALLOW_ORIGINAL_UIDS", ""),
        "move": environ.get(f"{DIMSE_PREFIX}_MOVE", ""),
        "move_host": environ.get(f"{DIMSE_PREFIX}_MOVE_HOST"),
    }
    name = environ.get(f"{DIMSE_PREFIX}_NAME", "").strip()
    return [_dimse_server(name if name and len(urls) == 1 else parse_dimse_url(url)[0],
                          {**common, "url": url}, calling) for url in urls]


def load_config(
    environ: Mapping[str, str],
    table: Mapping[str, Any] | None = None,
    dimse_table: Mapping[str, Any] | None = None,
) -> PacsConfig | None:
    """Read the operator's PACS configuration; ``None`` when there is none.

    ``table`` is the ``[dicomweb]`` table of ``.streamlit/secrets.toml``: each sub-table is
    a server (``url``, ``username`` + ``password`` or ``token``, ``timeout`` in seconds,
    ``allow_original_uids``), and ``max_instances`` / ``max_megabytes`` cap what one
    session may open. ``OVERLAY_STUDIO_DICOMWEB_URL`` adds a server named by ``_NAME``
    (default ``"PACS"``) before them. ``dimse_table`` is the ``[dimse]`` table, likewise;
    ``OVERLAY_STUDIO_DIMSE`` adds its servers after the DICOMweb ones.

    Raises
    ------
    PacsConfigError
        If a server or a cap is unusable (the message never holds a password or token).

    Examples
    --------
    >>> config = load_config({"OVERLAY_STUDIO_DICOMWEB_URL": "http://127.0.0.1:8042/dicom-web/",
    ...                       "OVERLAY_STUDIO_DIMSE": "dimse://ORTHANC@127.0.0.1:4242"})
    >>> [(s.name, s.protocol, s.url) for s in config.servers], config.max_instances
    ([('PACS', 'DICOMweb', 'http://127.0.0.1:8042/dicom-web'), ('ORTHANC', 'DIMSE', \
'dimse://ORTHANC@127.0.0.1:4242')], 1000)
    >>> load_config({}) is None
    True
    """
    table, dimse_table = dict(table or {}), dict(dimse_table or {})
    servers: list[AnyServer] = []
    url = environ.get(f"{ENV_PREFIX}_URL", "").strip()
    if url:
        servers.append(_server(environ.get(f"{ENV_PREFIX}_NAME", "").strip() or "PACS", {
            "url": url,
            "username": environ.get(f"{ENV_PREFIX}_USER"),
            "password": environ.get(f"{ENV_PREFIX}_PASSWORD"),
            "token": environ.get(f"{ENV_PREFIX}_TOKEN"),
            "timeout": environ.get(f"{ENV_PREFIX}_TIMEOUT", DEFAULT_TIMEOUT),
            "allow_original_uids": environ.get(f"{ENV_PREFIX}_ALLOW_ORIGINAL_UIDS", ""),
        }))
    taken = {s.name for s in servers}
    servers += _table_servers(table, _SERVER_KEYS, "DICOMweb", _server, taken)
    calling = _aet(environ.get(f"{DIMSE_PREFIX}_CALLING_AET", "").strip()
                   or dimse_table.get("calling_aet") or DEFAULT_CALLING_AET, "calling AE title")
    for server in _dimse_from_env(environ, calling):
        if server.name in taken:
            raise PacsConfigError(f"Two PACS servers are named {server.name!r}.")
        taken.add(server.name)
        servers.append(server)
    servers += _table_servers(dimse_table, _DIMSE_KEYS, "DIMSE",
                              lambda n, v: _dimse_server(n, v, calling), taken)
    if not servers:
        return None
    caps: dict[str, list[float]] = {"max_instances": [DEFAULT_MAX_INSTANCES],
                                    "max_megabytes": [DEFAULT_MAX_MEGABYTES]}
    for key, values in caps.items():
        minimum = 1 if key == "max_instances" else 0.001
        for given in ([environ.get(f"{p}_{key.upper()}") for p in (ENV_PREFIX, DIMSE_PREFIX)],
                      [t.get(key) for t in (table, dimse_table)]):  # the environment wins over a table
            chosen = [_number(v, key, minimum) for v in given if v is not None and str(v).strip()]
            if chosen:
                values[:] = [min(chosen)]
                break
    return PacsConfig(
        servers=tuple(servers),
        max_instances=int(caps["max_instances"][0]),
        max_bytes=int(caps["max_megabytes"][0] * 2**20),
    )
