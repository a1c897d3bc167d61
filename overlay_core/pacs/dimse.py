"""The DIMSE client: C-FIND (study root), C-GET or C-MOVE, C-STORE, through ``pynetdicom``.

:class:`DimseClient` talks to one configured server
(:class:`overlay_core.pacs.config.DimseServer`), one association per request, with the
server's timeout for connecting, negotiating and every DIMSE message. It offers what
:class:`overlay_core.pacs.client.PacsClient` asks, so pages and batch do not know which
protocol they use.

* **Search**: C-FIND at STUDY and SERIES level (Study Root), with the same keys and
  wildcards as QIDO-RS; studies are sorted newest first and paged here.
* **Retrieve**: a C-FIND at IMAGE level lists the instances and their SOP classes (the caps
  are checked on that list); then C-GET with the SCP role for those classes, one
  presentation context per transfer syntax, so the server sends each instance as it holds
  it. With a move destination configured, C-MOVE instead: the instances arrive at this
  app's own storage SCP (AE title and port from the operator), started for that request
  and stopped after. Each instance's bytes are taken as received (a Part 10 file with the
  File Meta of its presentation context) and read later like a file on disk.
* **Store**: C-STORE of each instance in its own transfer syntax (falling back to Explicit
  and Implicit VR Little Endian); any status other than Success or a Warning is a refusal.

Failures are one sentence each: the association rejected (wrong called AE title, or this
app's AE title unknown to the server), nothing listening, no answer within the timeout, the
association broken off mid-series, a SOP class or transfer syntax the server does not
accept, a failed status. Identifiers (patient names) are not logged: ``pynetdicom`` is told
not to log request and response identifiers.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from pydicom.dataset import Dataset
from pydicom.uid import UID, AllTransferSyntaxes, ExplicitVRLittleEndian, ImplicitVRLittleEndian

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
from overlay_core.pacs.config import DimseServer
from overlay_core.pacs.errors import (
    PacsCancelledError,
    PacsError,
    PacsNotFoundError,
    PacsRejectedError,
    PacsResponseError,
    PacsUnreachableError,
)
from overlay_core.planes.reading import load
from overlay_core.planes.writing import to_bytes

__all__ = ["TRANSFER_SYNTAXES", "DimseClient"]

#: Offered for each SOP class retrieved (so the server sends each instance as it holds it, with no
#: transcoding): every transfer syntax pydicom knows, one presentation context each where they fit.
TRANSFER_SYNTAXES = tuple(AllTransferSyntaxes)
_STUDY_KEYS = ("StudyInstanceUID", "PatientName", "PatientID", "StudyDate", "AccessionNumber",
               "StudyDescription", "ModalitiesInStudy", "NumberOfStudyRelatedSeries",
               "NumberOfStudyRelatedInstances")
_SERIES_KEYS = ("SeriesInstanceUID", "Modality", "SeriesDescription", "SeriesNumber",
                "NumberOfSeriesRelatedInstances")
_PENDING = (0xFF00, 0xFF01)
#: Study Root Query/Retrieve Information Model: FIND, GET, MOVE.
FIND = UID("1.2.840.10008.5.1.4.1.2.2.1")
GET = UID("1.2.840.10008.5.1.4.1.2.2.3")
MOVE = UID("1.2.840.10008.5.1.4.1.2.2.2")
_MOVE_LOCK = threading.Lock()  # one storage SCP per configured port at a time


def _quiet() -> None:
    from pynetdicom import _config

    _config.LOG_REQUEST_IDENTIFIERS = False  # identifiers hold patient names: never in a log
    _config.LOG_RESPONSE_IDENTIFIERS = False


def _no_delay(assoc: Any) -> None:
    """Send each PDU at once (TCP_NODELAY): Nagle's delay cost ~40 ms per C-FIND and C-STORE answer."""
    sock = getattr(getattr(assoc.dul, "socket", None), "socket", None)
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _status(ds: Dataset | None) -> int | None:
    return int(ds.Status) if ds is not None and "Status" in ds else None


class DimseClient:
    """A DIMSE client for one configured server (a :class:`~overlay_core.pacs.client.PacsClient`)."""

    def __init__(self, server: DimseServer) -> None:
        _quiet()
        self.server = server
        self._assoc: Any = None
        self._aborted = False

    # -- associations --
    def _ae(self) -> Any:
        from pynetdicom import AE

        ae = AE(ae_title=self.server.calling_aet)
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = self.server.timeout
        ae.connection_timeout = min(5.0, self.server.timeout)
        return ae

    @contextmanager
    def _association(self, action: str, contexts: Sequence[Any], **kwargs: Any) -> Iterator[Any]:
        """Open an association for ``action``; release it after (abort it on failure)."""
        name = self.server.name
        if self._aborted:
            raise PacsCancelledError("Cancelled: nothing of this request was kept.")
        from pynetdicom import evt

        ae = self._ae()
        started = time.monotonic()
        connected: list[bool] = []  # the TCP connection opened: something listens there
        handlers = [*kwargs.pop("evt_handlers", []), (evt.EVT_CONN_OPEN, lambda _: connected.append(True))]
        assoc = ae.associate(self.server.host, self.server.port, contexts=list(contexts),
                             ae_title=self.server.called_aet, evt_handlers=handlers, **kwargs)
        check_titles = (f"check its called AE title and that it knows this app's AE title "
                        f"{self.server.calling_aet!r}.")
        if assoc.is_rejected:
            raise PacsUnreachableError(
                f"The PACS {name!r} rejected the association while {action}: {check_titles}")
        if not assoc.is_established and assoc.rejected_contexts:  # it answered, accepting none of them
            raise PacsRejectedError(
                f"The PACS {name!r} accepts none of the SOP classes and transfer syntaxes needed "
                f"while {action}.")
        if not assoc.is_established:
            if self._aborted or time.monotonic() - started >= self.server.timeout * 0.95:
                raise self._broken(action, started)  # cancelled, or connected and then no answer
            if connected:  # Orthanc closes right after its A-ASSOCIATE-RJ; under load the close
                # can be read first. A peer that took the connection and closed it refused us.
                raise PacsUnreachableError(
                    f"The PACS {name!r} closed the connection without accepting the association "
                    f"while {action}: {check_titles}")
            raise PacsUnreachableError(
                f"The PACS {name!r} cannot be reached while {action}: check that it is running.")
        _no_delay(assoc)
        self._assoc = assoc
        try:
            yield assoc
        except BaseException:
            assoc.abort()
            raise
        else:
            assoc.release()
        finally:
            self._assoc = None

    def _broken(self, action: str, started: float) -> PacsError:
        """Return the error for an empty status: cancelled, timed out, or broken off."""
        if self._aborted:
            return PacsCancelledError("Cancelled: nothing of this request was kept.")
        if time.monotonic() - started >= self.server.timeout * 0.95:
            return PacsUnreachableError(
                f"The PACS {self.server.name!r} did not answer within {self.server.timeout:g} s "
                f"while {action}.")
        return PacsUnreachableError(
            f"The PACS {self.server.name!r} broke off the association while {action} "
            "(it stopped or aborted); nothing of it was kept.")

    def abort(self) -> None:
        """Abort the association under way (a Cancel from another thread); later requests are refused."""
        self._aborted = True
        assoc = self._assoc
        if assoc is not None:
            assoc.abort()

    # -- C-FIND --
    def _find(self, action: str, level: str, keys: dict[str, str]) -> list[Dataset]:
        from pynetdicom import build_context
        identifier = Dataset()
        identifier.QueryRetrieveLevel = level
        for keyword, value in keys.items():
            setattr(identifier, keyword, value)
        found: list[Dataset] = []
        with self._association(action, [build_context(FIND)]) as assoc:
            started = time.monotonic()
            for status, answer in assoc.send_c_find(identifier, FIND):
                code = _status(status)
                if code is None:
                    raise self._broken(action, started)
                if code in _PENDING:
                    if answer is not None:
                        found.append(answer)
                elif code != 0x0000:
                    raise PacsResponseError(
                        f"The PACS {self.server.name!r} answered with status 0x{code:04X} while {action}.")
        return found

    def search_studies(self, query: StudyQuery, limit: int = 25, offset: int = 0) -> list[StudySummary]:
        """Find studies (C-FIND, STUDY level), newest first; ``limit`` from ``offset`` of them.

        A patient text is matched against Patient's Name and Patient ID (two queries, merged).
        """
        found: dict[str, StudySummary] = {}
        for filters in query.filters():
            keys = {k: "" for k in _STUDY_KEYS} | filters
            for ds in self._find("searching for studies", "STUDY", keys):
                summary = study_summary(ds)
                if summary.study_uid and summary.study_uid not in found:
                    found[summary.study_uid] = summary
        ordered = sorted(found.values(), key=lambda s: (s.study_date, s.study_uid), reverse=True)
        return ordered[offset:offset + limit]

    def search_series(self, study_uid: str) -> list[SeriesSummary]:
        """List the series of a study (C-FIND, SERIES level), by Series Number."""
        keys = {k: "" for k in _SERIES_KEYS} | {"StudyInstanceUID": study_uid}
        out = [series_summary(study_uid, ds)
               for ds in self._find("listing the series of a study", "SERIES", keys)]
        return sorted(out, key=lambda s: (s.number is None, s.number or 0, s.series_uid))

    def _instances(self, study_uid: str, series_uid: str) -> list[tuple[str, str]]:
        """``(SOP Instance UID, SOP Class UID)`` of each instance of a series (C-FIND, IMAGE level)."""
        keys = {"StudyInstanceUID": study_uid, "SeriesInstanceUID": series_uid, "SOPInstanceUID": "",
                "SOPClassUID": "", "InstanceNumber": ""}
        found = self._find("listing the instances of a series", "IMAGE", keys)
        return [(text(ds, "SOPInstanceUID"), text(ds, "SOPClassUID"))
                for ds in found if text(ds, "SOPInstanceUID")]

    def instance_uids(self, study_uid: str, series_uid: str) -> list[str]:
        """Return the SOP Instance UIDs of a series (C-FIND, IMAGE level)."""
        return [uid for uid, _ in self._instances(study_uid, series_uid)]

    # -- C-GET / C-MOVE --
    def retrieve(self, study_uid: str, series_uid: str, sop_uid: str) -> Retrieved:
        """Retrieve one instance (C-GET or C-MOVE) as the archive holds it."""
        listed = [item for item in self._instances(study_uid, series_uid) if item[0] == sop_uid]
        if not listed:
            raise PacsNotFoundError(f"The PACS {self.server.name!r} does not have this instance.")
        (item,) = self._retrieve(study_uid, series_uid, listed, 1, 2**62, None, None)
        return item

    def retrieve_instances(
        self, study_uid: str, series_uid: str, sop_uids: Sequence[str], cancel: threading.Event | None = None,
    ) -> dict[str, Retrieved]:
        """Retrieve some instances of a series in one C-GET (or C-MOVE); those not listed are left out."""
        wanted = set(sop_uids)
        listed = [item for item in self._instances(study_uid, series_uid) if item[0] in wanted]
        if not listed:
            return {}
        got = self._retrieve(study_uid, series_uid, listed, len(listed), 2**62, None, cancel)
        for item in got:
            if item.problem:
                raise PacsResponseError(item.problem)
        return {item.sop_uid: item for item in got}

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
        """Retrieve every instance of a series in one C-GET (or C-MOVE), within the caps.

        ``progress(done, total)`` is called before the first instance and as each arrives
        (from the association's thread); ``cancel``, once set, stops at the next instance.
        Nothing is returned unless every instance arrived.

        Raises
        ------
        PacsLimitError
            If the series has more than ``max_instances`` instances, or its bytes exceed
            ``max_bytes`` (checked as they arrive; the retrieval is then cancelled).
        PacsError
            If the association or any sub-operation fails, or it was cancelled.
        """
        listed = self._instances(study_uid, series_uid)
        if not listed:
            raise PacsNotFoundError(f"The PACS {self.server.name!r} lists no instance in this series.")
        within_caps(len(listed), max_instances)
        return self._retrieve(study_uid, series_uid, listed, max_instances, max_bytes, progress, cancel)

    def _retrieve(
        self, study_uid: str, series_uid: str, listed: Sequence[tuple[str, str]], max_instances: int,
        max_bytes: int, progress: Progress | None, cancel: threading.Event | None,
    ) -> list[Retrieved]:
        from pynetdicom import build_context, build_role, evt

        wanted = {uid for uid, _ in listed}
        received: dict[str, Retrieved] = {}
        problem: list[PacsError] = []
        size = [0]
        if progress:
            progress(0, len(listed))

        def on_store(event: Any) -> int:
            uid = str(event.request.AffectedSOPInstanceUID)
            if (cancel is not None and cancel.is_set()) or problem or uid not in wanted:
                return 0xA700 if uid in wanted else 0xA900  # refused: cancelled, over a cap, or not asked for
            data = event.encoded_dataset(include_meta=True)
            size[0] += len(data)
            try:
                within_caps(len(listed), max_instances, size[0], max_bytes)
            except PacsError as exc:
                problem.append(exc)
                return 0xA700
            received[uid] = Retrieved(data, study_uid, series_uid, uid)
            if progress:
                progress(len(received), len(listed))
            return 0x0000

        classes = sorted({cls for _, cls in listed if cls})
        if len(classes) * len(TRANSFER_SYNTAXES) <= 126:  # 128 at most, with the C-GET model's
            contexts = [build_context(c, ts) for c in classes for ts in TRANSFER_SYNTAXES]
        else:  # one context per class, every syntax in it: the server picks one
            contexts = [build_context(c, list(TRANSFER_SYNTAXES)) for c in classes[:126]]
        identifier = Dataset()
        identifier.QueryRetrieveLevel = "IMAGE"
        identifier.StudyInstanceUID, identifier.SeriesInstanceUID = study_uid, series_uid
        identifier.SOPInstanceUID = [uid for uid, _ in listed] if len(listed) > 1 else listed[0][0]
        handlers = [(evt.EVT_C_STORE, on_store)]
        action = "retrieving the series"
        if self.server.move_aet:
            responses = self._move(action, identifier, contexts, handlers, MOVE)
        else:
            roles = [build_role(c, scp_role=True) for c in classes]
            responses = self._get(action, identifier, [build_context(GET), *contexts], roles, handlers, GET)
        failure = self._final(action, responses, cancel, problem)
        missing = [item for item in listed if item[0] not in received]
        if missing and not received:  # nothing came: the request itself was refused
            code = f"status 0x{failure:04X}" if failure is not None else "no instance sent"
            if self.server.move_aet:  # an unknown destination: Orthanc answers 0xC000, the standard 0xA801
                raise PacsRejectedError(
                    f"The PACS {self.server.name!r} refused the C-MOVE to {self.server.move_aet!r} ({code}): "
                    "check that it knows that AE title with this machine's address.")
            raise PacsResponseError(f"The PACS {self.server.name!r} answered with {code} while {action}.")
        for uid, cls in missing:  # some came: ask for each of the others alone, so they open or say why
            try:
                (received[uid],) = self._retrieve(study_uid, series_uid, [(uid, cls)], 1, 2**62, None, cancel)
            except PacsResponseError:
                received[uid] = Retrieved(b"", study_uid, series_uid, uid, problem=(
                    f"The PACS {self.server.name!r} did not send this instance (SOP Instance UID {uid}): "
                    "it may hold it in a form it cannot send over DIMSE."))
        return [received[uid] for uid, _ in listed]

    def _get(self, action: str, identifier: Dataset, contexts: list[Any], roles: list[Any],
             handlers: list[Any], model: Any) -> Iterator[tuple[Dataset | None, float]]:
        with self._association(action, contexts, ext_neg=roles, evt_handlers=handlers) as assoc:
            started = time.monotonic()
            for status, _ in assoc.send_c_get(identifier, model):
                yield status, started

    def _move(self, action: str, identifier: Dataset, contexts: list[Any], handlers: list[Any],
              model: Any) -> Iterator[tuple[Dataset | None, float]]:
        from pynetdicom import build_context

        assert self.server.move_aet is not None and self.server.move_port is not None
        with _MOVE_LOCK:
            scp = self._ae()
            scp.ae_title = self.server.move_aet
            for context in contexts:
                scp.add_supported_context(context.abstract_syntax, context.transfer_syntax)
            try:
                listener = scp.start_server((self.server.move_host, self.server.move_port), block=False,
                                            evt_handlers=handlers)
            except OSError as exc:
                raise PacsError(f"This app cannot listen on its C-MOVE port {self.server.move_port} "
                                f"({exc.strerror or exc}).") from exc
            try:
                with self._association(action, [build_context(model)]) as assoc:
                    started = time.monotonic()
                    for status, _ in assoc.send_c_move(identifier, self.server.move_aet, model):
                        yield status, started
            finally:
                listener.shutdown()

    def _final(self, action: str, responses: Iterator[tuple[Dataset | None, float]],
               cancel: threading.Event | None, problem: list[PacsError]) -> int | None:
        """Drain the C-GET/C-MOVE responses; return the final failure status, ``None`` for success.

        A broken association, a timeout, a cancel or a cap raise at once.
        """
        failure = None
        for status, started in responses:
            code = _status(status)
            if problem:
                raise problem[0]
            if code is None:
                raise self._broken(action, started)
            if code in _PENDING:
                check_cancel(cancel)
                continue
            check_cancel(cancel)
            failure = None if code in (0x0000, 0xB000) else code
        if problem:
            raise problem[0]
        check_cancel(cancel)
        return failure

    # -- C-STORE --
    def store(self, datasets: Sequence[Dataset], cancel: threading.Event | None = None) -> StoreReport:
        """Store instances (C-STORE), each in its own transfer syntax, and check each status.

        Raises
        ------
        PacsRejectedError
            If the server refused any instance (a failed status, or a SOP class or transfer
            syntax it does not accept).
        PacsError
            If the association fails, times out, or it was cancelled.
        OverlayError
            If a dataset cannot be written as a DICOM file.
        """
        from pynetdicom import build_context

        name = self.server.name
        part10 = [load(to_bytes(ds)) for ds in datasets]  # each a Part 10 file with its File Meta
        pairs = {(str(ds.SOPClassUID), str(ds.file_meta.TransferSyntaxUID)) for ds in part10}
        for cls in {c for c, _ in pairs}:
            pairs |= {(cls, str(ExplicitVRLittleEndian)), (cls, str(ImplicitVRLittleEndian))}
        contexts = [build_context(c, ts) for c, ts in sorted(pairs)]
        if len(contexts) > 128:
            raise PacsError("These instances need more than 128 presentation contexts: store fewer kinds "
                            "at once.")
        stored: list[str] = []
        refused: list[str] = []
        action = "storing instances"
        with self._association(action, contexts) as assoc:
            for ds in part10:
                check_cancel(cancel)
                started = time.monotonic()
                try:
                    status = assoc.send_c_store(ds)
                except ValueError:  # no accepted presentation context for its class and syntax
                    refused.append("a SOP class or transfer syntax it does not accept")
                    continue
                code = _status(status)
                if code is None:
                    raise self._broken(action, started)
                if code == 0x0000 or 0xB000 <= code <= 0xBFFF:
                    stored.append(str(ds.SOPInstanceUID))
                else:
                    refused.append(f"status 0x{code:04X}")
        if refused:
            raise PacsRejectedError(
                f"The PACS {name!r} refused {len(refused)} of {len(part10)} instances "
                f"({', '.join(sorted(set(refused)))}).")
        return StoreReport(tuple(stored))

