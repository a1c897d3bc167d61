"""The DICOMweb client side: find studies and series (QIDO-RS), retrieve (WADO-RS), store (STOW-RS).

Servers come from the operator, never from a page: :func:`load_config` reads
``OVERLAY_STUDIO_DICOMWEB_URL`` (with ``_USER``/``_PASSWORD`` or ``_TOKEN``) from the
environment, or a ``[dicomweb]`` table (e.g. from ``.streamlit/secrets.toml``) given as a
mapping whose sub-tables are named servers. :class:`PacsClient` talks to one server through
``dicomweb-client``, with a timeout on every request, no retries, and every failure turned
into a :class:`PacsError` with one sentence that names the server by its configured name
and never holds its address or credentials.

Orthanc 1.10's DICOMweb plugin does not percent-decode query values (``PatientName=S%2A``
matches nothing where ``PatientName=S*`` matches), while ``dicomweb-client`` percent-encodes
``*`` and ``^``. The session therefore sends ``*`` and ``?`` literally (both are legal in a
URL query, so any server reads the same value) and :func:`qido_pattern` turns every other
character outside letters, digits and ``.-_`` into the one-character wildcard ``?``.
"""

from __future__ import annotations

import functools
import io
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from pydicom import dcmwrite
from pydicom.dataset import Dataset

from overlay_core.errors import OverlayError
from overlay_core.planes.reading import load
from overlay_core.planes.writing import to_bytes

__all__ = [
    "ENV_PREFIX",
    "PacsAuthError",
    "PacsClient",
    "PacsConfig",
    "PacsConfigError",
    "PacsError",
    "PacsLimitError",
    "PacsNotFoundError",
    "PacsRejectedError",
    "PacsResponseError",
    "PacsUnreachableError",
    "Retrieved",
    "SeriesSummary",
    "Server",
    "StoreReport",
    "StudyQuery",
    "StudySummary",
    "load_config",
    "qido_pattern",
]

T = TypeVar("T")

#: Environment variables: ``<prefix>_URL``, ``_USER``, ``_PASSWORD``, ``_TOKEN``, ``_TIMEOUT``,
#: ``_NAME``, ``_ALLOW_ORIGINAL_UIDS``, ``_MAX_INSTANCES``, ``_MAX_MEGABYTES``.
ENV_PREFIX = "OVERLAY_STUDIO_DICOMWEB"
DEFAULT_TIMEOUT = 20.0
DEFAULT_MAX_INSTANCES = 1000
DEFAULT_MAX_MEGABYTES = 1024
_SERVER_KEYS = {"url", "username", "user", "password", "token", "timeout", "allow_original_uids"}


class PacsError(OverlayError):
    """A PACS could not do what was asked; the message says why in one sentence."""


class PacsConfigError(PacsError, ValueError):
    """The operator's DICOMweb configuration is unusable."""


class PacsUnreachableError(PacsError, ConnectionError):
    """The server is down, unreachable or did not answer in time."""


class PacsAuthError(PacsError, PermissionError):
    """The server wants credentials, or refused the ones configured (HTTP 401/403)."""


class PacsNotFoundError(PacsError, LookupError):
    """The study, series or instance is not on the server (HTTP 404)."""

    def __str__(self) -> str:  # LookupError would quote the message like a key
        return str(self.args[0]) if self.args else ""


class PacsResponseError(PacsError, ValueError):
    """The server answered with an error status, or with something that is not DICOM."""


class PacsRejectedError(PacsError):
    """The server refused to store one or more instances (STOW-RS)."""


class PacsLimitError(PacsError):
    """Opening the series would exceed the session's cap on instances or bytes."""


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


@dataclass(frozen=True)
class PacsConfig:
    """The configured servers (by name, in order) and the per-session caps."""

    servers: tuple[Server, ...]
    max_instances: int = DEFAULT_MAX_INSTANCES
    max_bytes: int = DEFAULT_MAX_MEGABYTES * 2**20

    def server(self, name: str) -> Server:
        """Return the server called ``name``.

        Raises
        ------
        PacsConfigError
            If no server has that name.
        """
        for server in self.servers:
            if server.name == name:
                return server
        raise PacsConfigError(f"No DICOMweb server is configured under the name {name!r}.")


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _number(value: object, what: str, minimum: float) -> float:
    try:
        number = float(str(value).strip())
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number < minimum:
        raise PacsConfigError(f"The DICOMweb setting {what} must be a number of at least {minimum:g}.")
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


def load_config(environ: Mapping[str, str], table: Mapping[str, Any] | None = None) -> PacsConfig | None:
    """Read the operator's DICOMweb configuration; ``None`` when there is none.

    ``table`` is the ``[dicomweb]`` table of ``.streamlit/secrets.toml``: each sub-table is
    a server (``url``, ``username`` + ``password`` or ``token``, ``timeout`` in seconds,
    ``allow_original_uids``), and ``max_instances`` / ``max_megabytes`` cap what one
    session may open. ``OVERLAY_STUDIO_DICOMWEB_URL`` adds a server named by ``_NAME``
    (default ``"PACS"``) before them; the ``_MAX_*`` variables override the caps.

    Raises
    ------
    PacsConfigError
        If a server or a cap is unusable (the message never holds a password or token).

    Examples
    --------
    >>> config = load_config({"OVERLAY_STUDIO_DICOMWEB_URL": "http://127.0.0.1:8042/dicom-web/"})
    >>> config.servers[0].name, config.servers[0].url, config.max_instances
    ('PACS', 'http://127.0.0.1:8042/dicom-web', 1000)
    >>> load_config({}) is None
    True
    """
    table = dict(table or {})
    servers: list[Server] = []
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
    for name, values in table.items():
        if isinstance(values, Mapping):
            if any(s.name == str(name) for s in servers):
                raise PacsConfigError(f"Two DICOMweb servers are named {name!r}.")
            unknown = sorted(set(values) - _SERVER_KEYS)
            if unknown:
                raise PacsConfigError(
                    f"The DICOMweb server {name!r} has unknown settings: {', '.join(unknown)}."
                )
            servers.append(_server(str(name), values))
    if not servers:
        return None
    instances = environ.get(f"{ENV_PREFIX}_MAX_INSTANCES", table.get("max_instances", DEFAULT_MAX_INSTANCES))
    megabytes = environ.get(f"{ENV_PREFIX}_MAX_MEGABYTES", table.get("max_megabytes", DEFAULT_MAX_MEGABYTES))
    return PacsConfig(
        servers=tuple(servers),
        max_instances=int(_number(instances, "max_instances", 1)),
        max_bytes=int(_number(megabytes, "max_megabytes", 0.001) * 2**20),
    )


# --- queries ----------------------------------------------------------------------------------


def qido_pattern(text: str, prefix: bool = True) -> str:
    """Turn what a person typed into a QIDO-RS matching value.

    Letters, digits, ``.``, ``-``, ``_`` and the wildcards ``*`` and ``?`` are kept; any other
    character (``^``, a space, a comma) becomes ``?``, which matches exactly one character,
    so ``"Doe^John"`` and ``"Doe John"`` both match *Doe^John*. Without a wildcard, ``*`` is
    appended when ``prefix`` is true (so ``"Doe"`` finds *Doe^John*). Empty text gives ``""``.

    >>> qido_pattern("Doe^John"), qido_pattern(" doe "), qido_pattern("12*"), qido_pattern("A1", prefix=False)
    ('Doe?John*', 'doe*', '12*', 'A1')
    """
    text = text.strip()
    if not text:
        return ""
    pattern = re.sub(r"[^A-Za-z0-9.\-_*?]", "?", text)
    return pattern + "*" if prefix and not re.search(r"[*?]", text) else pattern


@dataclass(frozen=True)
class StudyQuery:
    """What to search for; empty fields are not used.

    ``patient`` is matched against both Patient's Name and Patient ID.
    """

    patient: str = ""
    accession: str = ""
    date_from: date | None = None
    date_to: date | None = None
    modality: str = ""

    def filters(self) -> list[dict[str, str]]:
        """Return the QIDO-RS filters, one dict per query to send (two when a patient is given).

        >>> StudyQuery("doe", modality="mr", date_from=date(2020, 1, 2)).filters()
        [{'StudyDate': '20200102-', 'ModalitiesInStudy': 'MR', 'PatientName': 'doe*'}, \
{'StudyDate': '20200102-', 'ModalitiesInStudy': 'MR', 'PatientID': 'doe*'}]
        """
        common: dict[str, str] = {}
        if self.accession.strip():
            common["AccessionNumber"] = qido_pattern(self.accession)
        if self.date_from or self.date_to:
            if self.date_from and self.date_to and self.date_from > self.date_to:
                raise PacsError("The study date range ends before it starts.")
            start = self.date_from.strftime("%Y%m%d") if self.date_from else ""
            end = self.date_to.strftime("%Y%m%d") if self.date_to else ""
            common["StudyDate"] = f"{start}-{end}"
        if self.modality.strip():
            common["ModalitiesInStudy"] = qido_pattern(self.modality.upper(), prefix=False)
        if not self.patient.strip():
            return [common]
        pattern = qido_pattern(self.patient)
        return [{**common, "PatientName": pattern}, {**common, "PatientID": pattern}]


@dataclass(frozen=True)
class StudySummary:
    """One study found by :meth:`PacsClient.search_studies` (text as stored; show it as text)."""

    study_uid: str
    patient_name: str
    patient_id: str
    study_date: str
    accession: str
    description: str
    modalities: str
    series_count: int | None
    instance_count: int | None


@dataclass(frozen=True)
class SeriesSummary:
    """One series of a study."""

    study_uid: str
    series_uid: str
    modality: str
    description: str
    number: int | None
    instance_count: int | None


@dataclass(frozen=True)
class Retrieved:
    """One retrieved instance: its Part 10 bytes and its UIDs."""

    data: bytes
    study_uid: str
    series_uid: str
    sop_uid: str


@dataclass(frozen=True)
class StoreReport:
    """What the server said about a STOW-RS request: the SOP Instance UIDs stored."""

    stored: tuple[str, ...]


def _text(ds: Dataset, keyword: str) -> str:
    value = ds.get(keyword)
    if value is None:
        return ""
    if isinstance(value, (list, tuple)) or (getattr(value, "VM", 1) > 1 and not isinstance(value, str)):
        return "\\".join(str(v) for v in value)
    return str(value)


def _count(ds: Dataset, keyword: str) -> int | None:
    try:
        return int(ds.get(keyword))
    except (TypeError, ValueError):
        return None


def _from_json(items: Iterable[Mapping[str, Any]]) -> list[Dataset]:
    out = []
    for item in items:
        # Bulk data URIs are not needed for summaries; an unused handler avoids fetching them.
        out.append(Dataset.from_json(dict(item), bulk_data_uri_handler=lambda *args: b""))
    return out


# --- the client -------------------------------------------------------------------------------


def _session(server: Server) -> Any:
    """Return a ``requests`` session with the server's credentials, sending ``*`` and ``?`` literally."""
    import requests

    class _LiteralWildcards(requests.Session):
        def send(self, request: Any, **kwargs: Any) -> Any:
            url = str(request.url)
            if "?" in url:
                path, _, query = url.partition("?")
                query = re.sub("%2[aA]", "*", re.sub("%3[fF]", "?", query))
                request.url = f"{path}?{query}"
            return super().send(request, **kwargs)

    session = _LiteralWildcards()
    session.trust_env = False  # no proxies or .netrc credentials from the environment
    if server.username:
        session.auth = (server.username, server.password or "")
    elif server.token:
        session.headers["Authorization"] = f"Bearer {server.token}"
    return session


class PacsClient:
    """A DICOMweb client for one configured server.

    Every request has the server's timeout (connect and read) and is tried once; every
    failure is a :class:`PacsError`.
    """

    def __init__(self, server: Server) -> None:
        from dicomweb_client.api import DICOMwebClient

        self.server = server
        try:
            self._client = DICOMwebClient(
                server.url, session=_session(server), timeout=(min(5.0, server.timeout), server.timeout),
            )
        except ValueError as exc:
            raise PacsConfigError(f"The url of the DICOMweb server {server.name!r} is malformed.") from exc
        self._client.set_http_retry_params(retry=False)

    # -- error handling --
    def _call(self, action: str, run: Callable[[], T]) -> T:
        import requests

        name = self.server.name
        try:
            return run()
        except PacsError:
            raise
        except requests.exceptions.Timeout as exc:
            raise PacsUnreachableError(
                f"The PACS {name!r} did not answer within {self.server.timeout:g} s while {action}."
            ) from exc
        except requests.exceptions.ConnectionError as exc:
            raise PacsUnreachableError(
                f"The PACS {name!r} cannot be reached while {action}: check that it is running."
            ) from exc
        except requests.exceptions.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            raise _http_error(name, action, status) from exc
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
            raise PacsResponseError(f"The PACS {name!r} sent an incomplete response while {action}.") from exc
        except requests.exceptions.RequestException as exc:
            if not isinstance(exc, requests.exceptions.JSONDecodeError):
                raise PacsResponseError(f"The request to the PACS {name!r} failed while {action}.") from exc
            raise PacsResponseError(
                f"The PACS {name!r} sent a response that is not valid DICOM while {action}."
            ) from exc
        except Exception as exc:  # the body was not DICOM / JSON, or was cut short
            raise PacsResponseError(
                f"The PACS {name!r} sent a response that is not valid DICOM while {action}."
            ) from exc

    # -- QIDO-RS --
    def search_studies(self, query: StudyQuery, limit: int = 25, offset: int = 0) -> list[StudySummary]:
        """Find studies (QIDO-RS), newest first; at most ``limit`` per query from ``offset``.

        A patient text is matched against Patient's Name and Patient ID (two queries, merged).
        """
        fields = ["StudyDescription", "ModalitiesInStudy", "NumberOfStudyRelatedSeries",
                  "NumberOfStudyRelatedInstances"]
        found: dict[str, StudySummary] = {}
        for filters in query.filters():
            search = functools.partial(
                self._client.search_for_studies, search_filters=filters, fields=fields, limit=limit,
                offset=offset,
            )
            items: list[dict[str, Any]] = self._call("searching for studies", search)
            for ds in self._call("reading the list of studies", functools.partial(_from_json, items)):
                uid = _text(ds, "StudyInstanceUID")
                if uid and uid not in found:
                    found[uid] = StudySummary(
                        study_uid=uid, patient_name=_text(ds, "PatientName"),
                        patient_id=_text(ds, "PatientID"), study_date=_text(ds, "StudyDate"),
                        accession=_text(ds, "AccessionNumber"), description=_text(ds, "StudyDescription"),
                        modalities=_text(ds, "ModalitiesInStudy"),
                        series_count=_count(ds, "NumberOfStudyRelatedSeries"),
                        instance_count=_count(ds, "NumberOfStudyRelatedInstances"),
                    )
        return sorted(found.values(), key=lambda s: s.study_date, reverse=True)

    def search_series(self, study_uid: str) -> list[SeriesSummary]:
        """List the series of a study (QIDO-RS), by Series Number."""
        fields = ["SeriesDescription", "SeriesNumber", "Modality", "NumberOfSeriesRelatedInstances"]
        items = self._call("listing the series of a study", lambda: self._client.search_for_series(
            study_instance_uid=study_uid, fields=fields))
        out = [
            SeriesSummary(
                study_uid=study_uid, series_uid=_text(ds, "SeriesInstanceUID"),
                modality=_text(ds, "Modality"),
                description=_text(ds, "SeriesDescription"), number=_count(ds, "SeriesNumber"),
                instance_count=_count(ds, "NumberOfSeriesRelatedInstances"),
            )
            for ds in self._call("reading the list of series", lambda: _from_json(items))
        ]
        return sorted(out, key=lambda s: (s.number is None, s.number or 0, s.series_uid))

    def instance_uids(self, study_uid: str, series_uid: str) -> list[str]:
        """Return the SOP Instance UIDs of a series (QIDO-RS)."""
        items = self._call("listing the instances of a series", lambda: self._client.search_for_instances(
            study_instance_uid=study_uid, series_instance_uid=series_uid, get_remaining=True))
        datasets = self._call("reading the list of instances", lambda: _from_json(items))
        return [uid for uid in (_text(ds, "SOPInstanceUID") for ds in datasets) if uid]

    # -- WADO-RS --
    def retrieve(self, study_uid: str, series_uid: str, sop_uid: str) -> Retrieved:
        """Retrieve one instance (WADO-RS) as Part 10 bytes."""

        def run() -> Retrieved:
            ds = self._client.retrieve_instance(study_uid, series_uid, sop_uid)
            if not isinstance(ds, Dataset) or "SOPInstanceUID" not in ds:
                raise ValueError("not an instance")
            buffer = io.BytesIO()
            dcmwrite(buffer, ds, enforce_file_format=False)
            return Retrieved(buffer.getvalue(), study_uid, series_uid, str(ds.SOPInstanceUID))

        return self._call("retrieving an instance", run)

    def retrieve_series(
        self,
        study_uid: str,
        series_uid: str,
        *,
        max_instances: int,
        max_bytes: int,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[Retrieved]:
        """Retrieve every instance of a series, one request each, within the caps.

        ``progress(done, total)`` is called before the first and after each instance.
        Nothing is returned unless every instance arrived.

        Raises
        ------
        PacsLimitError
            If the series has more than ``max_instances`` instances or its bytes exceed
            ``max_bytes`` (checked as they arrive).
        PacsError
            If any request fails.
        """
        uids = self.instance_uids(study_uid, series_uid)
        if not uids:
            raise PacsNotFoundError(f"The PACS {self.server.name!r} lists no instance in this series.")
        if len(uids) > max_instances:
            raise PacsLimitError(
                f"This series has {len(uids)} instances but this session may open only {max_instances} more."
            )
        out: list[Retrieved] = []
        total = 0
        if progress:
            progress(0, len(uids))
        for number, uid in enumerate(uids, 1):
            item = self.retrieve(study_uid, series_uid, uid)
            total += len(item.data)
            if total > max_bytes:
                raise PacsLimitError(
                    f"This series is larger than the {max_bytes / 2**20:.0f} MB this session may still open."
                )
            out.append(item)
            if progress:
                progress(number, len(uids))
        return out

    # -- STOW-RS --
    def store(self, datasets: Sequence[Dataset]) -> StoreReport:
        """Store instances (STOW-RS) and check the server's answer.

        Raises
        ------
        PacsRejectedError
            If the server rejected any instance (Failed SOP Sequence, or HTTP 400/409).
        PacsError
            If the request failed otherwise.
        OverlayError
            If a dataset cannot be written as a DICOM file (e.g. no SOP Instance UID).
        """
        import requests

        name = self.server.name
        # dicomweb-client writes each dataset as it is: one built in memory or read without a
        # preamble would be stored without the 128-byte preamble and "DICM" (and Orthanc keeps
        # exactly what it receives). Written by to_bytes and read back, each is a Part 10 file.
        part10 = [load(to_bytes(ds)) for ds in datasets]
        try:
            answer = self._call("storing instances", lambda: self._client.store_instances(part10))
        except PacsResponseError as exc:
            cause = exc.__cause__
            response = cause.response if isinstance(cause, requests.exceptions.HTTPError) else None
            if response is None or response.status_code not in (400, 409):
                raise
            try:
                answer = Dataset.from_json(response.json())
            except Exception:  # no DICOM JSON body: the status says it all
                answer = Dataset()
            if not answer.get("FailedSOPSequence"):
                raise PacsRejectedError(
                    f"The PACS {name!r} refused to store the instances (HTTP {response.status_code})."
                ) from exc
        failed = list(answer.get("FailedSOPSequence", []) if isinstance(answer, Dataset) else [])
        if failed:
            reasons = sorted({f"0x{int(item.get('FailureReason', 0)):04X}" for item in failed})
            raise PacsRejectedError(
                f"The PACS {name!r} rejected {len(failed)} of {len(datasets)} instances "
                f"(failure reason {', '.join(reasons)})."
            )
        stored = tuple(
            str(item.ReferencedSOPInstanceUID)
            for item in (answer.get("ReferencedSOPSequence", []) if isinstance(answer, Dataset) else [])
            if "ReferencedSOPInstanceUID" in item
        )
        return StoreReport(stored)


def _http_error(name: str, action: str, status: int) -> PacsError:
    if status == 401:
        return PacsAuthError(f"The PACS {name!r} asks for credentials that are missing or wrong (HTTP 401).")
    if status == 403:
        return PacsAuthError(f"The PACS {name!r} does not allow this account to do this (HTTP 403).")
    if status == 404:
        return PacsNotFoundError(
            f"The PACS {name!r} does not have what was asked for while {action} (HTTP 404)."
        )
    return PacsResponseError(f"The PACS {name!r} answered with HTTP {status} while {action}.")
