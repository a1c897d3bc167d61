"""The PACS UI over DIMSE with AppTest against a real Orthanc's DICOM port, beside DICOMweb.

The same sections as DICOMweb (:mod:`tests.app.test_app_pacs`): a server configured with
``OVERLAY_STUDIO_DIMSE`` is searched with C-FIND, opened with C-GET, and stored to with
C-STORE, read back with C-GET and compared.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from pydicom import dcmwrite
from pydicom.encaps import encapsulate
from pydicom.uid import UID
from streamlit.testing.v1 import AppTest

from overlay_core.edit import apply as edit
from overlay_core.pacs.client import connect
from overlay_core.planes.reading import load, plane_bits
from studio import series as series_mod
from studio import state
from studio.editor import editing
from studio.pacs import sections as pacs
from tests import pacs_support
from tests.app.support import errors, goto, no_exception
from tests.builders import to_file_bytes
from tests.pacs_support import LoadedStudy, dimse_server, series_datasets
from tools.orthanc import running_orthanc

orthanc_fixture = pacs_support.orthanc_fixture


@pytest.fixture(name="dimse_app")
def dimse_app_fixture(app: AppTest, orthanc: LoadedStudy, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("OVERLAY_STUDIO_DICOMWEB_URL", orthanc.server.url)
    monkeypatch.setenv("OVERLAY_STUDIO_DICOMWEB_NAME", "Web")
    monkeypatch.setenv("OVERLAY_STUDIO_DIMSE", orthanc.server.dimse)
    app.run()
    no_exception(app)
    return app


def test_search_open_edit_store_read_back_over_dimse(dimse_app: AppTest, orthanc: LoadedStudy) -> None:
    app = dimse_app
    server = app.selectbox(key="pacs.server")
    assert server.options == ["Web (DICOMweb)", "ORTHANC (DIMSE)"]
    server.set_value("ORTHANC").run()
    assert str(orthanc.server.dicom_port) not in repr(app.main)  # no address in the page
    app.text_input(key="pacs.query").input("hidden^pacs")
    app.button(key="pacs.search").click().run()
    no_exception(app)
    (study,) = app.selectbox(key="pacs.study").options
    assert "Hidden^Pacs" in study and "PACS-0042" in study
    app.button(key=f"pacs.open.{pacs.series_key(orthanc.series_uid)}").click().run()
    no_exception(app)
    entries = state.files(app.session_state)
    assert [int(e.original.InstanceNumber) for e in entries] == [1, 2, 3]
    assert any("Opened 3 instance(s)" in s.value for s in app.success)

    second = entries[1]
    stroke = np.zeros((pacs_support.ROWS, pacs_support.COLS), bool)
    stroke[30:33, 8:40] = True
    editing.run(second, "draw", lambda d: edit.apply_mask(d, 0x6000, stroke, "draw"))
    state.activate(app.session_state, second.id)
    goto(app, "export")
    assert any("To the PACS this series came from: ORTHANC." in c.value for c in app.caption)
    app.button(key="pacs.store").click().run()
    no_exception(app)
    assert not errors(app), errors(app)
    assert any(
        "Stored 1 instance(s) on the PACS ORTHANC as new instances in a new series" in s.value
        for s in app.success
    )
    assert not series_mod.unsaved(app.session_state, second)

    client = connect(dimse_server(orthanc.server))  # read back over DIMSE, as a PACS user would
    listed = {s.series_uid: s for s in client.search_series(orthanc.study_uid)}
    new = [uid for uid, s in listed.items() if s.description == "T1 axial (overlays edited)"]
    (new_uid,) = new
    (sop,) = client.instance_uids(orthanc.study_uid, new_uid)
    back = load(client.retrieve(orthanc.study_uid, new_uid, sop).data)
    assert int(back.InstanceNumber) == 2
    assert (plane_bits(back, 0x6000)[0] == (orthanc.masks[1] | stroke)).all()


def test_several_series_of_a_study_open_together(dimse_app: AppTest, orthanc: LoadedStudy) -> None:
    app = dimse_app
    other, _ = series_datasets(2)
    for ds in other:  # a second series in the same study
        ds.StudyInstanceUID, ds.SeriesNumber, ds.SeriesDescription = orthanc.study_uid, 8, "T2 axial"
        orthanc.server.upload(to_file_bytes(ds))
    app.selectbox(key="pacs.server").set_value("ORTHANC").run()
    app.text_input(key="pacs.query").input("PACS-0042")
    app.button(key="pacs.search").click().run()
    picks = [c for c in app.checkbox if c.key and c.key.startswith("pacs.pick.")]
    assert len(picks) >= 2 and app.button(key="pacs.open_chosen").disabled
    wanted = {pacs.series_key(orthanc.series_uid), pacs.series_key(str(other[0].SeriesInstanceUID))}
    for pick in picks:
        if pick.key.removeprefix("pacs.pick.") in wanted:
            pick.check()
    app.run()
    app.button(key="pacs.open_chosen").click().run()
    no_exception(app)
    assert not errors(app), errors(app)
    opened = state.files(app.session_state)
    assert len(opened) == 5 and {str(e.original.SeriesInstanceUID) for e in opened} == {
        orthanc.series_uid,
        str(other[0].SeriesInstanceUID),
    }
    app.button(key="pacs.open_chosen").click().run()  # again: nothing added, one sentence
    assert errors(app) == ["One of these series is already open in this session."]
    assert len(state.files(app.session_state)) == 5


def test_a_wrong_called_ae_title_is_one_sentence(
    app: AppTest, orthanc: LoadedStudy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OVERLAY_STUDIO_DICOMWEB_URL", raising=False)
    monkeypatch.setenv("OVERLAY_STUDIO_DIMSE", f"dimse://NOTORTHANC@127.0.0.1:{orthanc.server.dicom_port}")
    app.run()
    app.text_input(key="pacs.query").input("hidden")
    app.button(key="pacs.search").click().run()
    no_exception(app)
    assert errors(app) == [
        "The PACS 'NOTORTHANC' rejected the association while searching for studies: check "
        "its called AE title and that it knows this app's AE title 'OVERLAYSTUDIO'."
    ]


def _mpeg2_instance(study: LoadedStudy) -> bytes:
    """An instance of the series whose Pixel Data is MPEG-2 video: readable, not decodable here."""
    (ds,), _ = series_datasets(1)
    ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.InstanceNumber = study.study_uid, study.series_uid, 4
    ds.PatientName, ds.PatientID = pacs_support.PATIENT_NAME, pacs_support.PATIENT_ID
    ds.file_meta.TransferSyntaxUID = UID("1.2.840.10008.1.2.4.100")
    ds.PixelData = encapsulate([b"\x00\x00\x01\xb3" + bytes(200)])
    ds["PixelData"].VR = "OB"
    buffer = io.BytesIO()
    dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()


@pytest.mark.parametrize("server", ["Web", "ORTHANC"])
def test_an_undecodable_transfer_syntax_is_one_sentence_while_the_others_open(
    app: AppTest, monkeypatch: pytest.MonkeyPatch, server: str
) -> None:
    pacs_support.require_orthanc()
    with running_orthanc(dicom=True) as orthanc_server:
        study = pacs_support.load_study(orthanc_server)
        orthanc_server.upload(_mpeg2_instance(study))
        monkeypatch.setenv("OVERLAY_STUDIO_DICOMWEB_URL", orthanc_server.url)
        monkeypatch.setenv("OVERLAY_STUDIO_DICOMWEB_NAME", "Web")
        monkeypatch.setenv("OVERLAY_STUDIO_DIMSE", orthanc_server.dimse)
        app.run()
        app.selectbox(key="pacs.server").set_value(server).run()
        app.text_input(key="pacs.query").input("hidden")
        app.button(key="pacs.search").click().run()
        app.button(key=f"pacs.open.{pacs.series_key(study.series_uid)}").click().run()
        no_exception(app)
        assert not errors(app), errors(app)
        entries = state.files(app.session_state)
        assert len(entries) == 4 and all(e.ok for e in entries)  # sent as held, read like a file
        mpeg = next(e for e in entries if int(e.original.InstanceNumber) == 4)
        state.activate(app.session_state, mpeg.id)
        goto(app, "inspect")
        no_exception(app)
        (shown,) = [w.value for w in app.warning]  # one sentence, on this instance only
        assert "no decoder exists for its transfer syntax" in shown and "MPEG2" in shown, shown
        state.activate(app.session_state, entries[0].id)  # the others show their image
        app.run()
        assert not errors(app) and not [w.value for w in app.warning]


def test_dimse_servers_from_the_secrets_table(
    app: AppTest, orthanc: LoadedStudy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OVERLAY_STUDIO_DICOMWEB_URL", raising=False)
    monkeypatch.delenv("OVERLAY_STUDIO_DIMSE", raising=False)
    app.secrets["dimse"] = {"calling_aet": "STUDIO", "archive": {"url": orthanc.server.dimse, "timeout": 5}}
    app.run()
    no_exception(app)
    assert not [s for s in app.selectbox if s.key == "pacs.server"]  # one server: no choice to make
    app.text_input(key="pacs.query").input("PACS-0042")
    app.button(key="pacs.search").click().run()
    no_exception(app)
    assert not errors(app), errors(app)
    (study,) = app.selectbox(key="pacs.study").options
    assert "Hidden^Pacs" in study
