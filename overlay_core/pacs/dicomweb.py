"""The DICOMweb client: find studies and series (QIDO-RS), retrieve (WADO-RS), store (STOW-RS).

:class:`DicomwebClient` talks to one configured server (:class:`overlay_core.pacs.config.Server`)
through ``dicomweb-client``, with a timeout on every request, no retries, and every failure
turned into a :class:`~overlay_core.pacs.errors.PacsError` with one sentence that names the
server by its configured name and never holds its address or credentials.

Instances are retrieved as the archive holds them: the raw parts of the multipart answer,
any transfer syntax (``transfer-syntax=*``), read later like a file on disk. A server fed by
``store_instances(datasets=...)`` keeps Part 10 files without the 128-byte preamble and
``DICM``, which ``dicomweb-client``'s own ``retrieve_instance`` refuses to parse.

Orthanc 1.10's DICOMweb plugin does not percent-decode query values (``PatientName=S%2A``
matches nothing where ``PatientName=S*`` matches), while ``dicomweb-client`` percent-encodes
``*`` and ``^``. The session therefore sends ``*`` and ``?`` literally (both are legal in a
URL query, so any server reads the same value) and
:func:`~overlay_core.pacs.client.qido_pattern` turns every other character outside letters,
digits and ``.-_`` into the one-character wildcard ``?``.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from pydicom.dataset import Dataset

from overlay_core.pacs.client import (
    Progress,
    Retrieved,
    SeriesSummary,
    StoreReport,
    StudyQuery,
    StudySummary,
    check_cancel,
    series_summary,
    study_summary,
    text,
    within_caps,
)
from overlay_core.pacs.config import Server
from overlay_core.pacs.errors import (
    PacsAuthError,
    PacsConfigError,
    PacsError,
    PacsNotFoundError,
    PacsRejectedError,
    PacsResponseError,
    PacsUnreachableError,
)
from overlay_core.planes.reading import load
from overlay_core.planes.writing import to_bytes

__all__ = ["DicomwebClient"]

T = TypeVar("T")
#: Every instance as stored: any transfer syntax, so the server need not transcode.
_ACCEPT = 'multipart/related; type="application/dicom"; transfer-syntax=*'


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


class DicomwebClient:
    """A DICOMweb client for one configured server (a :class:`~overlay_core.pacs.client.PacsClient`).

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
                summary = study_summary(ds)
                if summary.study_uid and summary.study_uid not in found:
                    found[summary.study_uid] = summary
        return sorted(found.values(), key=lambda s: s.study_date, reverse=True)

    def search_series(self, study_uid: str) -> list[SeriesSummary]:
        """List the series of a study (QIDO-RS), by Series Number."""
        fields = ["SeriesDescription", "SeriesNumber", "Modality", "NumberOfSeriesRelatedInstances"]
        items = self._call("listing the series of a study", lambda: self._client.search_for_series(
            study_instance_uid=study_uid, fields=fields))
        out = [series_summary(study_uid, ds)
               for ds in self._call("reading the list of series", lambda: _from_json(items))]
        return sorted(out, key=lambda s: (s.number is None, s.number or 0, s.series_uid))

    def instance_uids(self, study_uid: str, series_uid: str) -> list[str]:
        """Return the SOP Instance UIDs of a series (QIDO-RS)."""
        items = self._call("listing the instances of a series", lambda: self._client.search_for_instances(
            study_instance_uid=study_uid, series_instance_uid=series_uid, get_remaining=True))
        datasets = self._call("reading the list of instances", lambda: _from_json(items))
        return [uid for uid in (text(ds, "SOPInstanceUID") for ds in datasets) if uid]

    # -- WADO-RS --
    def retrieve(self, study_uid: str, series_uid: str, sop_uid: str) -> Retrieved:
        """Retrieve one instance (WADO-RS) as the archive holds it, in any transfer syntax.

        The bytes are the multipart answer's one part, unparsed: read them like a file on
        disk (:func:`overlay_core.planes.reading.load` takes them with or without preamble).
        """
        from dicomweb_client.web import _Transaction  # the library's own URL scheme

        def run() -> Retrieved:
            url = self._client._get_instances_url(
                _Transaction.RETRIEVE, study_uid, series_uid, sop_uid)
            response = self._client._http_get(url, headers={"Accept": _ACCEPT})
            kind = response.headers.get("Content-Type", "")
            if kind.startswith("application/dicom"):  # a single part sent bare, as some servers do
                parts = [response.content]
            elif not kind.startswith("multipart/related"):
                raise ValueError("not DICOM")
            else:
                parts = list(self._client._decode_multipart_message(response, stream=False))
            if len(parts) != 1 or not parts[0]:
                raise ValueError("not one instance")
            return Retrieved(bytes(parts[0]), study_uid, series_uid, sop_uid)

        return self._call("retrieving an instance", run)

    def retrieve_instances(
        self, study_uid: str, series_uid: str, sop_uids: Sequence[str], cancel: threading.Event | None = None,
    ) -> dict[str, Retrieved]:
        """Retrieve some instances of a series (one request each); those not on the server are left out."""
        out = {}
        for uid in sop_uids:
            check_cancel(cancel)
            try:
                out[uid] = self.retrieve(study_uid, series_uid, uid)
            except PacsNotFoundError:
                continue
        return out

    def retrieve_series(
        self,
        study_uid: str,
        series_uid: str,
        *,
        max_instances: int,
        max_bytes: int,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> list[Retrieved]:
        """Retrieve every instance of a series, one request each, within the caps.

        ``progress(done, total)`` is called before the first and after each instance;
        ``cancel``, once set, stops before the next request. Nothing is returned unless
        every instance arrived.

        Raises
        ------
        PacsLimitError
            If the series has more than ``max_instances`` instances or its bytes exceed
            ``max_bytes`` (checked as they arrive).
        PacsCancelledError
            If ``cancel`` was set.
        PacsError
            If any request fails.
        """
        uids = self.instance_uids(study_uid, series_uid)
        if not uids:
            raise PacsNotFoundError(f"The PACS {self.server.name!r} lists no instance in this series.")
        within_caps(len(uids), max_instances)
        out: list[Retrieved] = []
        total = 0
        if progress:
            progress(0, len(uids))
        for number, uid in enumerate(uids, 1):
            check_cancel(cancel)
            item = self.retrieve(study_uid, series_uid, uid)
            total += len(item.data)
            within_caps(len(uids), max_instances, total, max_bytes)
            out.append(item)
            if progress:
                progress(number, len(uids))
        check_cancel(cancel)
        return out

    def abort(self) -> None:
        """Close the client's connections (a Cancel); a request under way ends at its timeout."""
        self._client._session.close()

    # -- STOW-RS --
    def store(self, datasets: Sequence[Dataset], cancel: threading.Event | None = None) -> StoreReport:
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
        check_cancel(cancel)  # one request: it is sent whole or not at all
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
