"""overlay_core.pacs.dicomweb against a real Orthanc (Debian orthanc + orthanc-dicomweb)."""

from __future__ import annotations

import copy
import http.server
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import numpy as np
import pytest
from pydicom.uid import generate_uid

from overlay_core.dataset.series import derive_instance
from overlay_core.edit.apply import apply_mask
from overlay_core.pacs.client import StudyQuery
from overlay_core.pacs.config import Server, load_config
from overlay_core.pacs.dicomweb import DicomwebClient
from overlay_core.pacs.errors import (
    PacsAuthError,
    PacsCancelledError,
    PacsConfigError,
    PacsError,
    PacsLimitError,
    PacsNotFoundError,
    PacsRejectedError,
    PacsResponseError,
    PacsUnreachableError,
)
from overlay_core.planes.compare import no_difference
from overlay_core.planes.reading import load, plane_bits
from tests import pacs_support
from tests.pacs_support import (
    ACCESSION,
    PATIENT_ID,
    LoadedStudy,
    load_study,
    require_orthanc,
    series_datasets,
)
from tools.orthanc import free_port, running_orthanc

orthanc_fixture = pacs_support.orthanc_fixture


def client(server_url: str, **kwargs: object) -> DicomwebClient:
    return DicomwebClient(Server("test", server_url, **kwargs))  # type: ignore[arg-type]


# --- configuration ---------------------------------------------------------------------------


def test_config_from_environment_and_secrets_table() -> None:
    env = {"OVERLAY_STUDIO_DICOMWEB_URL": "https://pacs.example.org/dicom-web",
           "OVERLAY_STUDIO_DICOMWEB_USER": "alice", "OVERLAY_STUDIO_DICOMWEB_PASSWORD": "pw1",
           "OVERLAY_STUDIO_DICOMWEB_MAX_INSTANCES": "7"}
    table = {"max_megabytes": 2, "lab": {"url": "http://10.0.0.5/wado", "token": "tok", "timeout": 3,
                                         "allow_original_uids": True}}
    config = load_config(env, table)
    assert config is not None
    assert [s.name for s in config.servers] == ["PACS", "lab"]
    main, lab = config.servers
    assert (main.username, main.password, main.token) == ("alice", "pw1", None)
    assert (lab.token, lab.timeout, lab.allow_original_uids) == ("tok", 3.0, True)
    assert (config.max_instances, config.max_bytes) == (7, 2 * 2**20)
    assert "pw1" not in repr(config) and "tok" not in repr(config)
    assert load_config({}, None) is None and load_config({}, {"max_instances": 3}) is None


@pytest.mark.parametrize(("values", "match"), [
    ({"url": "ftp://x"}, "needs a url"),
    ({"url": "http://bob:pw1@host/dw"}, "without user or password"),
    ({"url": "http://h", "username": "bob"}, "both a user and a password"),
    ({"url": "http://h", "token": "t", "username": "b", "password": "pw1"}, "both a token and a user"),
    ({"url": "http://h", "timeout": "soon"}, "timeout"),
    ({"url": "http://h", "passwrd": "pw1"}, "unknown settings: passwrd"),
])
def test_bad_configuration_is_one_sentence_without_secrets(values: dict[str, str], match: str) -> None:
    with pytest.raises(PacsConfigError, match=match) as info:
        load_config({}, {"bad": values})
    assert "pw1" not in str(info.value) and str(info.value).count(". ") == 0


def test_date_range_that_ends_before_it_starts() -> None:
    with pytest.raises(PacsError, match="ends before it starts"):
        StudyQuery(date_from=date(2024, 2, 1), date_to=date(2024, 1, 1)).filters()


# --- search ----------------------------------------------------------------------------------


@pytest.mark.parametrize("query", [
    StudyQuery(patient="Hidden^Pacs"), StudyQuery(patient="hidden pacs"), StudyQuery(patient="Hidd"),
    StudyQuery(patient="*pacs"), StudyQuery(patient=PATIENT_ID), StudyQuery(patient="PACS-00"),
    StudyQuery(accession=ACCESSION), StudyQuery(modality="mr", patient="hidden"),
    StudyQuery(patient="Hidden", date_from=date(2024, 3, 1), date_to=date(2024, 3, 31)),
])
def test_search_finds_the_study(orthanc: LoadedStudy, query: StudyQuery) -> None:
    found = client(orthanc.server.url).search_studies(query)
    assert [s.study_uid for s in found] == [orthanc.study_uid]
    study = found[0]
    assert (study.patient_name, study.patient_id, study.accession) == ("Hidden^Pacs", PATIENT_ID, ACCESSION)
    assert (study.series_count, study.instance_count) == (1, 3)


@pytest.mark.parametrize("query", [
    StudyQuery(patient="Nobody"), StudyQuery(accession="ACC-78"), StudyQuery(patient="Hidden", modality="CT"),
    StudyQuery(patient="Hidden", date_from=date(2024, 4, 1)),
])
def test_search_excludes_what_does_not_match(orthanc: LoadedStudy, query: StudyQuery) -> None:
    assert client(orthanc.server.url).search_studies(query) == []


def test_orthanc_needs_literal_wildcards(orthanc: LoadedStudy) -> None:
    """The measured Orthanc 1.10 behaviour the client works around (see the module docstring)."""
    import urllib.request

    def count(query: str) -> int:
        with urllib.request.urlopen(f"{orthanc.server.url}/studies?{query}", timeout=10) as response:
            return response.read().count(b'"0020000D"')

    assert count("PatientName=Hidden*") == 1
    assert count("PatientName=Hidden%2A") == 0  # percent-encoded: not decoded by Orthanc 1.10
    assert count("PatientName=Hidden%5EPacs") == 0


def test_paging(orthanc: LoadedStudy) -> None:
    pacs = client(orthanc.server.url)
    everything = pacs.search_studies(StudyQuery())
    assert len(everything) == 2  # the series' study and the bundled sample
    first = pacs.search_studies(StudyQuery(), limit=1)
    second = pacs.search_studies(StudyQuery(), limit=1, offset=1)
    assert len(first) == len(second) == 1 and first[0].study_uid != second[0].study_uid


def test_series_list_and_retrieve_in_series_order(orthanc: LoadedStudy) -> None:
    pacs = client(orthanc.server.url)
    (series,) = pacs.search_series(orthanc.study_uid)
    summary = (series.modality, series.description, series.number, series.instance_count)
    assert summary == ("MR", "T1 axial", 7, 3)
    seen: list[tuple[int, int]] = []
    items = pacs.retrieve_series(orthanc.study_uid, orthanc.series_uid, max_instances=10, max_bytes=10**8,
                                 progress=lambda done, total: seen.append((done, total)))
    assert seen == [(0, 3), (1, 3), (2, 3), (3, 3)]
    by_uid = {str(ds.SOPInstanceUID): ds for ds in orthanc.datasets}
    for item in items:
        ds = load(item.data)
        assert item.sop_uid in by_uid and no_difference(by_uid[item.sop_uid], ds)
        assert ds.PixelData == by_uid[item.sop_uid].PixelData


def test_caps_refuse_before_or_while_retrieving(orthanc: LoadedStudy) -> None:
    pacs = client(orthanc.server.url)
    with pytest.raises(PacsLimitError, match="3 instances but this session may open only 2 more"):
        pacs.retrieve_series(orthanc.study_uid, orthanc.series_uid, max_instances=2, max_bytes=10**8)
    with pytest.raises(PacsLimitError, match="larger than"):
        pacs.retrieve_series(orthanc.study_uid, orthanc.series_uid, max_instances=10, max_bytes=8000)


def test_cancel_stops_before_the_next_instance(orthanc: LoadedStudy) -> None:
    cancel = threading.Event()
    seen: list[int] = []

    def cancel_after_one(done: int, total: int) -> None:
        seen.append(done)
        if done == 1:
            cancel.set()

    with pytest.raises(PacsCancelledError, match="Cancelled: nothing of this request was kept"):
        client(orthanc.server.url).retrieve_series(orthanc.study_uid, orthanc.series_uid, max_instances=10,
                                                   max_bytes=10**8, progress=cancel_after_one, cancel=cancel)
    assert seen == [0, 1]  # no request after the cancel


def test_missing_things_are_404(orthanc: LoadedStudy) -> None:
    pacs = client(orthanc.server.url)
    with pytest.raises(PacsNotFoundError, match="HTTP 404"):
        pacs.retrieve(orthanc.study_uid, orthanc.series_uid, generate_uid())
    with pytest.raises(PacsNotFoundError, match="no instance"):
        pacs.retrieve_series(orthanc.study_uid, generate_uid(), max_instances=10, max_bytes=10**8)


# --- edit, store, retrieve, compare ---------------------------------------------------------


def test_edit_store_as_derived_series_and_compare_bits(orthanc: LoadedStudy) -> None:
    pacs = client(orthanc.server.url)
    items = pacs.retrieve_series(orthanc.study_uid, orthanc.series_uid, max_instances=10, max_bytes=10**8)
    original = load(items[1].data)
    edited = copy.deepcopy(original)
    stroke = np.zeros((pacs_support.ROWS, pacs_support.COLS), bool)
    stroke[20:23, 10:50] = True
    apply_mask(edited, 0x6000, stroke, "draw")
    new_series = generate_uid()
    derived = derive_instance(original, edited, new_series)
    report = pacs.store([derived])
    assert report.stored == (str(derived.SOPInstanceUID),)

    back = load(pacs.retrieve(orthanc.study_uid, new_series, str(derived.SOPInstanceUID)).data)
    assert no_difference(edited, back)
    bits = plane_bits(back, 0x6000)[0]
    assert bits[20:23, 10:50].all() and (bits == (plane_bits(original, 0x6000)[0] | stroke)).all()
    assert back.SourceImageSequence[0].ReferencedSOPInstanceUID == original.SOPInstanceUID
    assert back.SeriesDescription == "T1 axial (overlays edited)" and back.ImageType[0] == "DERIVED"
    series = {s.series_uid: s for s in pacs.search_series(orthanc.study_uid)}
    assert series[new_series].instance_count == 1 and series[orthanc.series_uid].instance_count == 3


def test_stow_rejection_is_one_sentence(orthanc: LoadedStudy) -> None:
    ds, _ = series_datasets(1)
    del ds[0].SeriesInstanceUID  # Orthanc refuses an instance without one (HTTP 400, Failed SOP Sequence)
    with pytest.raises(PacsRejectedError, match=r"rejected 1 of 1 instances \(failure reason 0x"):
        client(orthanc.server.url).store(ds)


def test_stow_to_a_filtering_server_is_caught_by_reading_back() -> None:
    """Orthanc 1.10 answers a STOW as stored even when a Lua filter drops the instance."""
    require_orthanc()
    lua = ('function ReceivedInstanceFilter(dicom, origin, info)\n'
           '  return dicom.PatientID ~= "PACS-0042"\nend\n')
    with running_orthanc(lua=lua) as server:
        pacs = client(server.url)
        (ds,), _ = series_datasets(1)
        assert pacs.store([ds]).stored == (str(ds.SOPInstanceUID),)
        with pytest.raises(PacsNotFoundError):
            pacs.retrieve(str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), str(ds.SOPInstanceUID))


# --- authentication and failures ------------------------------------------------------------


@pytest.fixture(scope="module")
def secured() -> Iterator[LoadedStudy]:
    require_orthanc()
    with running_orthanc(users={"alice": "correct-horse"}) as server:
        yield load_study(server)


def test_auth_required_and_wrong_password(secured: LoadedStudy) -> None:
    url = secured.server.url
    assert len(client(url, username="alice", password="correct-horse").search_studies(StudyQuery())) == 2
    for kwargs in ({}, {"username": "alice", "password": "battery-staple"}):
        with pytest.raises(PacsAuthError, match="HTTP 401") as info:
            client(url, **kwargs).search_studies(StudyQuery())
        assert "battery" not in str(info.value) and url not in str(info.value)


def test_server_stopped_mid_series() -> None:
    require_orthanc()
    with running_orthanc() as server:
        study = load_study(server)
        pacs = client(server.url, timeout=5)

        def stop_after_first(done: int, total: int) -> None:
            if done == 1:
                server.stop()

        with pytest.raises(PacsUnreachableError, match="cannot be reached while retrieving an instance"):
            pacs.retrieve_series(study.study_uid, study.series_uid, max_instances=10, max_bytes=10**8,
                                 progress=stop_after_first)


def test_slow_server_times_out() -> None:
    with socket.socket() as listener:  # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/dicom-web"
        with pytest.raises(PacsUnreachableError, match=r"did not answer within 0.5 s while searching"):
            client(url, timeout=0.5).search_studies(StudyQuery())


def test_nothing_listening() -> None:
    with pytest.raises(PacsUnreachableError, match="cannot be reached"):
        client(f"http://127.0.0.1:{free_port()}/dicom-web", timeout=2).search_studies(StudyQuery())


@contextmanager
def local_http(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on a free loopback port; yield a DICOMweb root URL on it."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/dicom-web"
    finally:
        server.shutdown()
        server.server_close()


class _NotDicom(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html>login page</html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_non_dicom_answer() -> None:
    with local_http(_NotDicom) as url:
        pacs = client(url, timeout=5)
        with pytest.raises(PacsResponseError, match="not valid DICOM while searching for studies"):
            pacs.search_studies(StudyQuery())
        with pytest.raises(PacsResponseError, match="not valid DICOM while"):
            pacs.retrieve("1.2.3", "1.2.4", "1.2.5")


def test_credentials_never_reach_messages_or_logs(
    secured: LoadedStudy, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    url = secured.server.url
    client(url, username="alice", password="correct-horse").search_studies(StudyQuery())
    (ds,), _ = series_datasets(1)
    client(url, username="alice", password="correct-horse").store([ds])
    with pytest.raises(PacsAuthError) as info:
        client(url, token="sekrit-token-123").search_studies(StudyQuery())
    text = caplog.text + str(info.value) + repr(Server("x", url, "alice", "correct-horse", token=None))
    assert "correct-horse" not in text and "sekrit-token-123" not in text
    assert "Y29ycmVjdC1ob3JzZ" not in text  # nor the base64 of the basic-auth header


def test_a_dataset_built_in_memory_is_stored_as_a_part10_file(orthanc: LoadedStudy) -> None:
    """Without a preamble, dicomweb-client would send (and Orthanc keep) a file without "DICM"."""
    (ds,), _ = series_datasets(1)
    assert getattr(ds, "preamble", None) is None
    pacs = client(orthanc.server.url)
    pacs.store([ds])
    uids = str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), str(ds.SOPInstanceUID)
    data = pacs.retrieve(*uids).data
    assert data[128:132] == b"DICM" and no_difference(ds, load(data))
    assert getattr(ds, "preamble", None) is None  # the caller's dataset is unchanged


class _CutShort(http.server.BaseHTTPRequestHandler):
    """Answers with a multipart DICOM body that stops half way (the connection closes)."""

    def do_GET(self) -> None:
        (ds,), _ = series_datasets(1)
        from tests.builders import to_file_bytes

        part = to_file_bytes(ds)
        body = (b"--b\r\nContent-Type: application/dicom\r\n\r\n" + part + b"\r\n--b--\r\n")
        self.send_response(200)
        self.send_header("Content-Type", 'multipart/related; type="application/dicom"; boundary=b')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


def test_partial_answer() -> None:
    with local_http(_CutShort) as url:
        with pytest.raises(PacsResponseError, match=r"^The PACS 'test' sent an incomplete response while "
                                                    r"retrieving an instance\.$"):
            client(url, timeout=5).retrieve("1.2.3", "1.2.4", "1.2.5")


@pytest.mark.parametrize(("status", "error", "message"), [
    (403, PacsAuthError, "The PACS 'test' does not allow this account to do this (HTTP 403)."),
    (500, PacsResponseError, "The PACS 'test' answered with HTTP 500 while searching for studies."),
    (503, PacsResponseError, "The PACS 'test' answered with HTTP 503 while searching for studies."),
])
def test_error_statuses(status: int, error: type[Exception], message: str) -> None:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    with local_http(Handler) as url, pytest.raises(error) as info:
        client(url, timeout=5).search_studies(StudyQuery())
    assert str(info.value) == message
