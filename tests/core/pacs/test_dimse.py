"""overlay_core.pacs.dimse against a real Orthanc's DICOM port (Debian orthanc), with pynetdicom."""

from __future__ import annotations

import copy
import logging
import os
import signal
import threading
from datetime import date

import numpy as np
import pytest
from pydicom.uid import generate_uid

from overlay_core.dataset.series import derive_instance
from overlay_core.edit.apply import apply_mask
from overlay_core.pacs.client import PacsClient, StudyQuery, connect
from overlay_core.pacs.config import DimseServer, load_config
from overlay_core.pacs.dimse import DimseClient
from overlay_core.pacs.errors import (
    PacsCancelledError,
    PacsConfigError,
    PacsError,
    PacsLimitError,
    PacsNotFoundError,
    PacsRejectedError,
    PacsResponseError,
    PacsUnreachableError,
)
from overlay_core.pacs.store import Outgoing, store_and_verify
from overlay_core.planes.compare import differences
from overlay_core.planes.reading import load, plane_bits
from tests import pacs_support
from tests.pacs_support import (
    ACCESSION,
    PATIENT_ID,
    PATIENT_NAME,
    LoadedStudy,
    dimse_server,
    load_study,
    require_orthanc,
    series_datasets,
)
from tools.orthanc import free_port, running_orthanc

orthanc_fixture = pacs_support.orthanc_fixture


def client(study: LoadedStudy, **settings: object) -> PacsClient:
    return connect(dimse_server(study.server, **settings))


# --- configuration ---------------------------------------------------------------------------


def test_dimse_servers_from_the_environment_and_the_secrets_table() -> None:
    env = {
        "OVERLAY_STUDIO_DIMSE": "dimse://PACS1@pacs.example.org:104, dimse://ARCHIVE@[::1]:11112",
        "OVERLAY_STUDIO_DIMSE_CALLING_AET": "STUDIO1",
        "OVERLAY_STUDIO_DIMSE_TIMEOUT": "7",
        "OVERLAY_STUDIO_DICOMWEB_URL": "http://127.0.0.1:8042/dicom-web",
    }
    table = {
        "lab": {
            "url": "dimse://LAB@10.0.0.5:4242",
            "move": "STUDIOMOVE@11113",
            "calling_aet": "LABSTUDIO",
            "allow_original_uids": True,
        }
    }
    config = load_config(env, None, table)
    assert config is not None
    assert [(s.name, s.protocol) for s in config.servers] == [
        ("PACS", "DICOMweb"),
        ("PACS1", "DIMSE"),
        ("ARCHIVE", "DIMSE"),
        ("lab", "DIMSE"),
    ]
    pacs1, archive, lab = config.servers[1:]
    assert (
        isinstance(pacs1, DimseServer) and isinstance(archive, DimseServer) and isinstance(lab, DimseServer)
    )
    assert (pacs1.called_aet, pacs1.host, pacs1.port, pacs1.calling_aet, pacs1.timeout) == (
        "PACS1",
        "pacs.example.org",
        104,
        "STUDIO1",
        7.0,
    )
    assert (archive.host, archive.port, archive.retrieval) == ("::1", 11112, "C-GET")
    assert (lab.calling_aet, lab.move_aet, lab.move_port, lab.retrieval, lab.allow_original_uids) == (
        "LABSTUDIO",
        "STUDIOMOVE",
        11113,
        "C-MOVE",
        True,
    )
    only = load_config({"OVERLAY_STUDIO_DIMSE": "dimse://ORTHANC@127.0.0.1:4242"})
    assert only is not None and only.servers[0].calling_aet == "OVERLAYSTUDIO"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("env", "match"),
    [
        ({"OVERLAY_STUDIO_DIMSE": "http://ORTHANC@h:104"}, "must be written dimse://CALLED_AET@host:port"),
        ({"OVERLAY_STUDIO_DIMSE": "dimse://THIS_TITLE_IS_TOO_LONG@h:104"}, "AE title of 1 to 16"),
        ({"OVERLAY_STUDIO_DIMSE": "dimse://A@h:70000"}, "port from 1 to 65535"),
        ({"OVERLAY_STUDIO_DIMSE": "dimse://A@h:104,dimse://A@g:104"}, "Two PACS servers are named 'A'"),
        (
            {"OVERLAY_STUDIO_DIMSE": "dimse://A@h:104", "OVERLAY_STUDIO_DIMSE_CALLING_AET": "BAD\\AET"},
            "calling AE",
        ),
        (
            {"OVERLAY_STUDIO_DIMSE": "dimse://A@h:104", "OVERLAY_STUDIO_DIMSE_MOVE": "MOVE"},
            "move written AET@port",
        ),
        ({"OVERLAY_STUDIO_DIMSE": "dimse://A@h:104", "OVERLAY_STUDIO_DIMSE_TIMEOUT": "0"}, "timeout"),
    ],
)
def test_bad_dimse_configuration_is_one_sentence(env: dict[str, str], match: str) -> None:
    with pytest.raises(PacsConfigError, match=match):
        load_config(env)


# --- search and retrieve ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        StudyQuery(patient="Hidden^Pacs"),
        StudyQuery(patient="hidden pacs"),
        StudyQuery(patient="Hidd"),
        StudyQuery(patient=PATIENT_ID),
        StudyQuery(accession=ACCESSION),
        StudyQuery(modality="mr", patient="hidden"),
        StudyQuery(patient="Hidden", date_from=date(2024, 3, 1), date_to=date(2024, 3, 31)),
    ],
)
def test_c_find_finds_the_study_with_the_dicomweb_keys(orthanc: LoadedStudy, query: StudyQuery) -> None:
    (found,) = client(orthanc).search_studies(query)
    assert (found.study_uid, found.patient_name, found.patient_id) == (
        orthanc.study_uid,
        PATIENT_NAME,
        PATIENT_ID,
    )
    assert (found.study_date, found.accession, found.series_count, found.instance_count) == (
        "20240315",
        ACCESSION,
        1,
        3,
    )


@pytest.mark.parametrize(
    "query",
    [
        StudyQuery(patient="Nobody"),
        StudyQuery(modality="CT", patient="hidden"),
        StudyQuery(patient="Hidden", date_to=date(2024, 3, 14)),
    ],
)
def test_c_find_excludes_what_does_not_match(orthanc: LoadedStudy, query: StudyQuery) -> None:
    assert client(orthanc).search_studies(query) == []


def test_c_get_retrieves_the_series_as_held(orthanc: LoadedStudy) -> None:
    pacs = client(orthanc)
    (series,) = pacs.search_series(orthanc.study_uid)
    assert (series.modality, series.description, series.number, series.instance_count) == (
        "MR",
        "T1 axial",
        7,
        3,
    )
    seen: list[tuple[int, int]] = []
    items = pacs.retrieve_series(
        orthanc.study_uid,
        orthanc.series_uid,
        max_instances=10,
        max_bytes=10**8,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen[0] == (0, 3) and seen[-1] == (3, 3) and len(items) == 3
    by_uid = {str(ds.SOPInstanceUID): ds for ds in orthanc.datasets}
    for item in items:
        ds = load(item.data)
        assert not differences(by_uid[item.sop_uid], ds)
        assert ds.PixelData == by_uid[item.sop_uid].PixelData
    assert sorted(pacs.instance_uids(orthanc.study_uid, orthanc.series_uid)) == sorted(by_uid)


def test_caps_and_cancel(orthanc: LoadedStudy) -> None:
    pacs = client(orthanc)
    with pytest.raises(PacsLimitError, match="3 instances but this session may open only 2 more"):
        pacs.retrieve_series(orthanc.study_uid, orthanc.series_uid, max_instances=2, max_bytes=10**8)
    with pytest.raises(PacsLimitError, match="larger than"):
        pacs.retrieve_series(orthanc.study_uid, orthanc.series_uid, max_instances=10, max_bytes=8000)
    cancel = threading.Event()

    def cancel_after_one(done: int, total: int) -> None:
        if done == 1:
            cancel.set()

    with pytest.raises(PacsCancelledError, match="Cancelled: nothing of this request was kept"):
        pacs.retrieve_series(
            orthanc.study_uid,
            orthanc.series_uid,
            max_instances=10,
            max_bytes=10**8,
            progress=cancel_after_one,
            cancel=cancel,
        )
    with pytest.raises(PacsNotFoundError, match="lists no instance"):
        pacs.retrieve_series(orthanc.study_uid, generate_uid(), max_instances=10, max_bytes=10**8)


def test_c_move_to_a_configured_destination() -> None:
    require_orthanc()
    port = free_port()
    with running_orthanc(dicom=True, modalities={"STUDIOMOVE": ("127.0.0.1", port)}) as server:
        study = load_study(server)
        pacs = connect(dimse_server(server, move_aet="STUDIOMOVE", move_port=port, move_host="127.0.0.1"))
        items = pacs.retrieve_series(study.study_uid, study.series_uid, max_instances=10, max_bytes=10**8)
        assert sorted(i.sop_uid for i in items) == sorted(str(ds.SOPInstanceUID) for ds in study.datasets)
        assert all(
            not differences(ds, load(next(i.data for i in items if i.sop_uid == ds.SOPInstanceUID)))
            for ds in study.datasets
        )
        unknown = connect(dimse_server(server, move_aet="NOBODY", move_port=port, move_host="127.0.0.1"))
        with pytest.raises(PacsRejectedError, match="refused the C-MOVE to 'NOBODY'"):
            unknown.retrieve_series(study.study_uid, study.series_uid, max_instances=10, max_bytes=10**8)


# --- store and verify ------------------------------------------------------------------------


def test_edit_store_over_c_store_and_read_back(orthanc: LoadedStudy) -> None:
    pacs = client(orthanc)
    items = pacs.retrieve_series(orthanc.study_uid, orthanc.series_uid, max_instances=10, max_bytes=10**8)
    original = load(items[0].data)
    edited = copy.deepcopy(original)
    stroke = np.zeros((pacs_support.ROWS, pacs_support.COLS), bool)
    stroke[20:23, 10:50] = True
    apply_mask(edited, 0x6000, stroke, "draw")
    derived = derive_instance(original, edited, generate_uid())
    (where,) = store_and_verify(pacs, [Outgoing(derived, "the edited instance")])
    assert where.sop_uid == str(derived.SOPInstanceUID)
    back = pacs.retrieve(where.study_uid, where.series_uid, where.sop_uid)
    bits = plane_bits(load(back.data), 0x6000)[0]
    assert (bits == (plane_bits(original, 0x6000)[0] | stroke)).all()


def test_a_failed_c_store_status_and_an_unknown_sop_class(orthanc: LoadedStudy) -> None:
    """Orthanc refuses an instance without a Series Instance UID with a failed status; an unknown SOP class
    gets no presentation context. Either is one sentence, and nothing else of the store is lost."""
    pacs = client(orthanc)
    (ds,), _ = series_datasets(1)
    del ds.SeriesInstanceUID
    with pytest.raises(
        PacsRejectedError, match=r"^The PACS 'ORTHANC' refused 1 of 1 instances \(status 0x[A-C]"
    ):
        pacs.store([ds])
    (other,), _ = series_datasets(1)
    other.SOPClassUID = other.file_meta.MediaStorageSOPClassUID = "1.2.826.0.1.3680043.8.498.99.1"
    with pytest.raises(
        PacsRejectedError, match="accepts none of the SOP classes and transfer syntaxes needed"
    ):
        pacs.store([other])
    (known,), _ = series_datasets(1)
    with pytest.raises(
        PacsRejectedError, match=r"refused 1 of 2 instances \(a SOP class or transfer syntax it"
    ):
        pacs.store([known, other])  # one context accepted, the other not: the known one is stored


def test_an_instance_dropped_after_a_successful_c_store_is_caught_by_reading_back() -> None:
    """A Lua filter: Orthanc 1.10.1 drops the instance but answers the C-STORE as stored (its
    ReceivedCStoreInstanceFilter's status is not sent either), so only reading back shows it."""
    require_orthanc()
    lua = (
        'function ReceivedInstanceFilter(dicom, origin, info)\n  return dicom.PatientID ~= "PACS-0042"\nend\n'
    )
    with running_orthanc(lua=lua, dicom=True) as server:
        pacs = connect(dimse_server(server))
        (ds,), _ = series_datasets(1)
        with pytest.raises(
            PacsError, match=r"^The PACS 'ORTHANC' accepted one\.dcm but does not return it: "
        ):
            store_and_verify(pacs, [Outgoing(ds, "one.dcm")])


# --- failures --------------------------------------------------------------------------------


# Orthanc sends A-ASSOCIATE-RJ and closes the connection at once; under load pynetdicom may read
# the close before the RJ. Either way the user is told to check the AE titles, never "cannot be
# reached" (nothing listening is the next test).
def test_wrong_called_ae_title_is_a_rejected_association(orthanc: LoadedStudy) -> None:
    wrong = connect(dimse_server(orthanc.server, called_aet="NOTORTHANC"))
    with pytest.raises(
        PacsUnreachableError,
        match=r"(rejected the association|closed the connection without accepting the association) "
        r"while searching for studies: check its called AE title",
    ):
        wrong.search_studies(StudyQuery())


def test_nothing_listening() -> None:
    pacs = DimseClient(DimseServer("gone", "ORTHANC", "127.0.0.1", free_port(), timeout=2))
    with pytest.raises(PacsUnreachableError, match="cannot be reached while searching for studies"):
        pacs.search_studies(StudyQuery())


def test_server_killed_mid_series() -> None:
    require_orthanc()
    with running_orthanc(dicom=True) as server:
        study = load_study(server)
        pacs = connect(dimse_server(server, timeout=10))

        def kill_after_first(done: int, total: int) -> None:
            if done == 1 and server.process is not None:
                server.process.kill()

        with pytest.raises(
            PacsUnreachableError, match="broke off the association while retrieving the series"
        ):
            pacs.retrieve_series(
                study.study_uid,
                study.series_uid,
                max_instances=10,
                max_bytes=10**8,
                progress=kill_after_first,
            )


def test_server_stopped_by_sigstop_times_out(orthanc: LoadedStudy) -> None:
    assert orthanc.server.process is not None
    pid = orthanc.server.process.pid
    pacs = client(orthanc, timeout=1.5)
    os.kill(pid, signal.SIGSTOP)
    try:
        with pytest.raises(
            PacsUnreachableError, match=r"did not answer within 1.5 s while listing the series of a study"
        ):
            pacs.search_series(orthanc.study_uid)
    finally:
        os.kill(pid, signal.SIGCONT)
    assert client(orthanc).search_series(orthanc.study_uid)  # it answers again


def test_no_identifiers_in_the_logs(orthanc: LoadedStudy, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client(orthanc).search_studies(StudyQuery(patient="hidden"))
    assert "Hidden^Pacs" not in caplog.text and PATIENT_ID not in caplog.text


def test_a_status_other_than_success_is_one_sentence(orthanc: LoadedStudy) -> None:
    pacs = client(orthanc)
    with pytest.raises((PacsResponseError, PacsNotFoundError)):
        pacs.retrieve(orthanc.study_uid, orthanc.series_uid, generate_uid())
