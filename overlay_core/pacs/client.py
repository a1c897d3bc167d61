"""What every PACS client offers, whatever its protocol: search, list, retrieve, store.

:class:`PacsClient` is the one interface the pages and the batch use;
:func:`connect` returns the DICOMweb (:mod:`overlay_core.pacs.dicomweb`) or DIMSE
(:mod:`overlay_core.pacs.dimse`) implementation for a configured server. The query
(:class:`StudyQuery`) and the summaries it returns are the same for both: the same keys
(patient name or ID, accession, study dates, modality) and the same wildcards (``*`` any
run of characters, ``?`` one character) mean the same in QIDO-RS and in C-FIND.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from overlay_core.pacs.config import AnyServer, DimseServer
from overlay_core.pacs.errors import PacsCancelledError, PacsError, PacsLimitError

__all__ = [
    "PacsClient",
    "Progress",
    "Retrieved",
    "SeriesSummary",
    "StoreReport",
    "StudyQuery",
    "StudySummary",
    "check_cancel",
    "connect",
    "count",
    "qido_pattern",
    "series_summary",
    "study_summary",
    "text",
    "within_caps",
]

#: ``progress(done, total)``: called before the first instance and after each.
Progress = Callable[[int, int], None]


def qido_pattern(text: str, prefix: bool = True) -> str:
    """Turn what a person typed into a matching value (QIDO-RS and C-FIND alike).

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
        """Return the matching keys, one dict per query to send (two when a patient is given).

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
    """One retrieved instance: its bytes as the archive holds them (read them like a file) and UIDs.

    ``problem`` says, in one sentence, why an instance listed in the series did not come
    (its ``data`` is then empty) while the others did.
    """

    data: bytes
    study_uid: str
    series_uid: str
    sop_uid: str
    problem: str | None = None


@dataclass(frozen=True)
class StoreReport:
    """What the server said about a store: the SOP Instance UIDs stored."""

    stored: tuple[str, ...]


def text(ds: Dataset, keyword: str) -> str:
    r"""Return an attribute as text (values joined by ``\``), ``""`` when absent.

    >>> ds = Dataset(); ds.ModalitiesInStudy = ["MR", "SEG"]
    >>> text(ds, "ModalitiesInStudy"), text(ds, "PatientName")
    ('MR\\SEG', '')
    """
    value = ds.get(keyword)
    if value is None:
        return ""
    if isinstance(value, (list, tuple, MultiValue)):
        return "\\".join(str(v) for v in value)
    return str(value)


def count(ds: Dataset, keyword: str) -> int | None:
    """Return an integer attribute, ``None`` when absent or not a number."""
    try:
        return int(ds.get(keyword))
    except (TypeError, ValueError):
        return None


def study_summary(ds: Dataset) -> StudySummary:
    """Summarise a study-level answer (QIDO-RS JSON or a C-FIND identifier)."""
    return StudySummary(
        study_uid=text(ds, "StudyInstanceUID"), patient_name=text(ds, "PatientName"),
        patient_id=text(ds, "PatientID"), study_date=text(ds, "StudyDate"),
        accession=text(ds, "AccessionNumber"), description=text(ds, "StudyDescription"),
        modalities=text(ds, "ModalitiesInStudy"), series_count=count(ds, "NumberOfStudyRelatedSeries"),
        instance_count=count(ds, "NumberOfStudyRelatedInstances"),
    )


def series_summary(study_uid: str, ds: Dataset) -> SeriesSummary:
    """Summarise a series-level answer."""
    return SeriesSummary(
        study_uid=study_uid, series_uid=text(ds, "SeriesInstanceUID"), modality=text(ds, "Modality"),
        description=text(ds, "SeriesDescription"), number=count(ds, "SeriesNumber"),
        instance_count=count(ds, "NumberOfSeriesRelatedInstances"),
    )


def check_cancel(cancel: threading.Event | None) -> None:
    """Raise :class:`PacsCancelledError` when ``cancel`` is set."""
    if cancel is not None and cancel.is_set():
        raise PacsCancelledError("Cancelled: nothing of this request was kept.")


def within_caps(instances: int, max_instances: int, size: int | None = None, max_bytes: int = 0) -> None:
    """Refuse a series over the session's caps (instances first, bytes as they arrive).

    Raises
    ------
    PacsLimitError
        With one sentence saying which cap.
    """
    if instances > max_instances:
        raise PacsLimitError(
            f"This series has {instances} instances but this session may open only {max_instances} more."
        )
    if size is not None and size > max_bytes:
        raise PacsLimitError(
            f"This series is larger than the {max_bytes / 2**20:.0f} MB this session may still open."
        )


class PacsClient(Protocol):
    """A client for one configured server (DICOMweb or DIMSE); every failure is a :class:`PacsError`."""

    @property
    def server(self) -> AnyServer:
        """The configured server this client talks to."""

    def search_studies(self, query: StudyQuery, limit: int = 25, offset: int = 0) -> list[StudySummary]:
        """Find studies, newest first; at most ``limit`` from ``offset``."""

    def search_series(self, study_uid: str) -> list[SeriesSummary]:
        """List the series of a study, by Series Number."""

    def instance_uids(self, study_uid: str, series_uid: str) -> list[str]:
        """Return the SOP Instance UIDs of a series."""

    def retrieve(self, study_uid: str, series_uid: str, sop_uid: str) -> Retrieved:
        """Retrieve one instance as the archive holds it."""

    def retrieve_instances(
        self, study_uid: str, series_uid: str, sop_uids: Sequence[str], cancel: threading.Event | None = None,
    ) -> dict[str, Retrieved]:
        """Retrieve some instances of a series; those the server does not hold are left out."""

    def retrieve_series(
        self, study_uid: str, series_uid: str, *, max_instances: int, max_bytes: int,
        progress: Progress | None = None, cancel: threading.Event | None = None,
    ) -> list[Retrieved]:
        """Retrieve every instance of a series within the caps; all or nothing."""

    def store(self, datasets: Sequence[Dataset], cancel: threading.Event | None = None) -> StoreReport:
        """Store instances; raise :class:`PacsRejectedError` for any the server refused."""

    def abort(self) -> None:
        """Stop what is under way from another thread (a Cancel); safe to call at any time."""


def connect(server: AnyServer) -> PacsClient:
    """Return the client for ``server``: DIMSE for a :class:`DimseServer`, else DICOMweb."""
    if isinstance(server, DimseServer):
        from overlay_core.pacs.dimse import DimseClient

        return DimseClient(server)
    from overlay_core.pacs.dicomweb import DicomwebClient

    return DicomwebClient(server)
