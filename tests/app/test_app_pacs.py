"""The PACS UI with AppTest against a real Orthanc: search, open, step, edit, store; zip uploads."""

from __future__ import annotations

import io
import logging
import zipfile
from datetime import date

import numpy as np
import pytest
from streamlit.elements.lib import policies
from streamlit.testing.v1 import AppTest

from overlay_core.edit import apply as edit
from overlay_core.pacs.config import Server
from overlay_core.pacs.dicomweb import DicomwebClient
from overlay_core.pacs.errors import PacsError
from overlay_core.planes.reading import load, plane_bits
from overlay_core.render.windowing import AUTOMATIC
from studio import series as series_mod
from studio import state
from studio.editor import editing
from studio.pacs import sections as pacs
from studio.pacs import session as pacs_session
from tests import pacs_support
from tests.app.support import errors, goto, no_exception, shown
from tests.builders import to_file_bytes
from tests.pacs_support import LoadedStudy
from tools.orthanc import Orthanc, free_port, running_orthanc

orthanc_fixture = pacs_support.orthanc_fixture

ENV = "OVERLAY_STUDIO_DICOMWEB_URL"


def test_without_configuration_nothing_changes(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    app.run()
    no_exception(app)
    assert "From PACS" not in [h.value for h in app.subheader]
    assert not [t for t in app.text_input if t.key == "pacs.query"]
    app.button(key="open.sample").click().run()
    goto(app, "export")
    assert "Store to PACS" not in [h.value for h in app.subheader]
    assert not [b for b in app.button if b.key == "pacs.store"]


def _search(app: AppTest, text: str) -> None:
    app.text_input(key="pacs.query").input(text)
    app.button(key="pacs.search").click().run()
    no_exception(app)


def _open_buttons(app: AppTest) -> list[str]:
    return [b.key for b in app.button if b.key and b.key.startswith("pacs.open")]


@pytest.fixture(name="pacs_app")
def pacs_app_fixture(app: AppTest, orthanc: LoadedStudy, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv(ENV, orthanc.server.url)
    monkeypatch.setenv("OVERLAY_STUDIO_DICOMWEB_NAME", "Lab PACS")
    app.run()
    no_exception(app)
    return app


def test_search_open_step_edit_store(pacs_app: AppTest, orthanc: LoadedStudy) -> None:
    app = pacs_app
    assert "From PACS" in [h.value for h in app.subheader]
    assert str(orthanc.server.port) not in repr(app.main)  # no address in the page
    _search(app, "hidden^pacs")  # PatientName with a caret: found despite Orthanc 1.10 (see dicomweb)
    (study,) = app.selectbox(key="pacs.study").options
    assert "Hidden^Pacs" in study and "PACS-0042" in study
    (key,) = _open_buttons(app)
    app.button(key=key).click().run()
    no_exception(app)
    entries = state.files(app.session_state)
    assert [int(e.original.InstanceNumber) for e in entries] == [1, 2, 3]  # stored on the server as 3, 1, 2
    first = state.active(app.session_state)
    assert first is not None and first.id == entries[0].id
    assert any("Opened 3 instance(s)" in s.value for s in app.success)

    # Inspect: the series navigation; the window follows to the next instance.
    goto(app, "inspect")
    assert any("Instance 1 of 3" in t.value for t in app.text)
    app.selectbox(key=f"inspect.voi.{first.id}").set_value(AUTOMATIC.name).run()
    app.button(key="inspect.series.next").click().run()
    no_exception(app)
    second = state.active(app.session_state)
    assert second is not None and second.id == entries[1].id
    assert any("Instance 2 of 3" in t.value for t in app.text)
    assert app.selectbox(key=f"inspect.voi.{second.id}").value == AUTOMATIC.name

    # Edit: a stroke on instance 2 (the canvas cannot be driven here; the browser test draws).
    goto(app, "edit")
    assert app.button(key="edit.series.prev").disabled is False
    app.button(key="edit.series.next").click().run()  # the plane group follows to instance 3
    third = state.active(app.session_state)
    assert third is not None and third.id == entries[2].id
    assert app.selectbox(key=f"edit.plane.{third.id}").value == 0x6000
    app.button(key="edit.series.prev").click().run()
    assert state.active(app.session_state).id == second.id
    stroke = np.zeros((pacs_support.ROWS, pacs_support.COLS), bool)
    stroke[30:33, 8:40] = True
    editing.run(second, "draw", lambda d: edit.apply_mask(d, 0x6000, stroke, "draw"))
    assert series_mod.unsaved(app.session_state, second)
    assert not series_mod.unsaved(app.session_state, entries[0])

    goto(app, "export")
    assert "Store to PACS" in [h.value for h in app.subheader]
    app.button(key="pacs.store").click().run()
    no_exception(app)
    assert not errors(app), errors(app)
    assert any("Stored 1 instance(s) on the PACS Lab PACS as new instances in a new series" in s.value
               for s in app.success)
    assert not series_mod.unsaved(app.session_state, second)
    assert app.button(key="pacs.store").disabled  # stored as it is: nothing new to store
    more = np.zeros_like(stroke)
    more[44, :] = True
    editing.run(second, "draw", lambda d: edit.apply_mask(d, 0x6000, more, "draw"))
    app.run()
    stored_note = [m.value for m in app.success if m.value.startswith("Stored ")]
    assert not app.button(key="pacs.store").disabled and not stored_note  # edited again
    editing.history(second).undo(second.dataset)
    app.run()
    stored_note = [m.value for m in app.success if m.value.startswith("Stored ")]
    assert app.button(key="pacs.store").disabled and stored_note  # back to what was stored

    # On the server: a new series with the edited instance 2, its plane holding the stroke.
    client = DicomwebClient(Server("check", orthanc.server.url))
    listed = {s.series_uid: s for s in client.search_series(orthanc.study_uid)}
    (new_uid,) = [uid for uid in listed if uid != orthanc.series_uid]
    assert listed[new_uid].description == "T1 axial (overlays edited)" and listed[new_uid].instance_count == 1
    (sop,) = client.instance_uids(orthanc.study_uid, new_uid)
    back = load(client.retrieve(orthanc.study_uid, new_uid, sop).data)
    assert int(back.InstanceNumber) == 2
    expected = orthanc.masks[1] | stroke
    assert (plane_bits(back, 0x6000)[0] == expected).all()
    assert back.SourceImageSequence[0].ReferencedSOPInstanceUID == second.original.SOPInstanceUID


def test_opening_twice_and_the_cap(
    pacs_app: AppTest, orthanc: LoadedStudy, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = pacs_app
    monkeypatch.setenv("OVERLAY_STUDIO_DICOMWEB_MAX_INSTANCES", "2")
    _search(app, "PACS-0042")
    key = f"pacs.open.{pacs.series_key(orthanc.series_uid)}"
    assert key in _open_buttons(app)
    app.button(key=key).click().run()
    no_exception(app)
    assert errors(app) == ["This series has 3 instances but this session may open only 2 more."]
    assert state.files(app.session_state) == []
    monkeypatch.delenv("OVERLAY_STUDIO_DICOMWEB_MAX_INSTANCES")
    app.button(key=key).click().run()
    assert len(state.files(app.session_state)) == 3
    app.button(key=key).click().run()
    assert errors(app) == ["This series is already open in this session."]
    assert len(state.files(app.session_state)) == 3


def test_unreachable_server_is_one_sentence(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, f"http://127.0.0.1:{free_port()}/dicom-web")
    app.run()
    app.button(key="open.sample").click().run()
    _search(app, "anyone")
    assert errors(app) == [
        "The PACS 'PACS' cannot be reached while searching for studies: check that it is running."]
    assert [f.name for f in state.files(app.session_state)] == [state.SAMPLE_NAME]  # nothing lost


def test_bad_configuration_is_shown_not_raised(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "http://bob:hunter2@127.0.0.1/dicom-web")
    app.run()
    no_exception(app)
    assert len(errors(app)) == 1 and "hunter2" not in errors(app)[0]
    assert "without user or password" in errors(app)[0]


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_zip_upload_opens_a_series_in_order(app: AppTest) -> None:
    datasets, _ = pacs_support.series_datasets()
    archive = _zip({f"series/im{n}.dcm": to_file_bytes(datasets[i]) for n, i in ((1, 2), (2, 0), (3, 1))})
    app.run()
    app.file_uploader(key="upload").set_value(("series.zip", archive, "application/zip")).run()
    no_exception(app)
    entries = state.files(app.session_state)
    assert [e.name for e in entries] == ["im1.dcm", "im2.dcm", "im3.dcm"]
    ordered = series_mod.members(app.session_state, entries[0])
    assert [int(e.original.InstanceNumber) for e in ordered] == [1, 2, 3]
    assert any("Series: 3 instances, 0 with unsaved edits" in c.value for c in app.sidebar.caption)


def test_several_uploads_of_one_series_and_a_bad_zip(app: AppTest) -> None:
    datasets, _ = pacs_support.series_datasets()
    app.run()
    uploads = [(f"x{i}.dcm", to_file_bytes(ds), "application/dicom")
               for i, ds in zip((3, 1, 2), reversed(datasets), strict=True)]
    uploads.append(("broken.zip", b"PK\x03\x04 not really", "application/zip"))
    app.file_uploader(key="upload").set_value(uploads).run()
    no_exception(app)
    entries = state.files(app.session_state)
    bad = [e for e in entries if not e.ok]
    assert [e.error for e in bad] == [
        "The zip cannot be read (damaged, or compressed in an unsupported way)."]
    good = [e for e in entries if e.ok]
    state.activate(app.session_state, good[0].id)
    goto(app, "inspect")
    assert any("of 3 in this series" in t.value for t in app.text)


def test_store_keeping_uids_needs_operator_permission(orthanc: LoadedStudy) -> None:
    session: dict[str, object] = {}
    state.init(session, sample=False)
    datasets, _ = pacs_support.series_datasets(1)
    entry = state.add_file(session, "one.dcm", to_file_bytes(datasets[0]))
    with pytest.raises(PacsError, match="not configured to accept the original UIDs"):
        pacs_session.store_instances(session, Server("x", orthanc.server.url), [entry], keep_uids=True)


def _edited_entry(session: dict[str, object], ds: object) -> object:
    entry = state.add_file(session, "one.dcm", to_file_bytes(ds))
    stroke = np.zeros((pacs_support.ROWS, pacs_support.COLS), bool)
    stroke[40, :] = True
    editing.run(entry, "draw", lambda d: edit.apply_mask(d, 0x6000, stroke, "draw"))
    return entry


@pytest.mark.parametrize("overwrite", [True, False])
def test_store_under_original_uids(overwrite: bool) -> None:
    """Allowed by the operator: replaced on a server that overwrites; caught on one that keeps its copy."""
    pacs_support.require_orthanc()
    (ds,), _ = pacs_support.series_datasets(1)
    with running_orthanc(overwrite=overwrite) as server:
        server.upload(to_file_bytes(ds))
        session: dict[str, object] = {}
        state.init(session, sample=False)
        entry = _edited_entry(session, ds)
        target = Server("lab", server.url, allow_original_uids=True)
        uids = (str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), str(ds.SOPInstanceUID))
        if overwrite:
            (stored,) = pacs_session.store_instances(session, target, [entry], keep_uids=True)
            assert (stored.study_uid, stored.series_uid, stored.sop_uid) == uids
            assert not series_mod.unsaved(session, entry)
        else:
            with pytest.raises(PacsError, match=r"returns one\.dcm without the overlay planes sent"):
                pacs_session.store_instances(session, target, [entry], keep_uids=True)
            assert series_mod.unsaved(session, entry)
        back = load(DicomwebClient(target).retrieve(*uids).data)
        assert bool(plane_bits(back, 0x6000)[0, 40].all()) is overwrite


def test_navigation_carries_plane_zoom_and_window_only() -> None:
    session: dict[str, object] = {}
    state.init(session, sample=False)
    datasets, _ = pacs_support.series_datasets(2)
    one, two = (state.add_file(session, f"{i}.dcm", to_file_bytes(ds)) for i, ds in enumerate(datasets))
    odd, _ = pacs_support.series_datasets(1, rows=20)
    other_size = state.add_file(session, "odd.dcm", to_file_bytes(odd[0]))
    carried = {f"edit.plane.{one.id}": 0x6000, f"edit.zoom.{one.id}": 2.0, f"edit.centre.{one.id}": (3, 4),
               f"inspect.voi.{one.id}": AUTOMATIC.name, f"inspect.opacity.{one.id}.6000": 0.4}
    kept = {f"inspect.frame.{one.id}": 1, f"edit.confirm_delete.{one.id}": True,
            f"inspect.voi.{two.id}x": "other file f2x"}
    session.update(carried)
    session.update(kept)
    series_mod.navigate(session, one.id, two.id)
    assert state.active(session) is two
    for key, value in carried.items():
        assert session[key.replace(one.id, two.id)] == value
    assert f"inspect.frame.{two.id}" not in session and f"edit.confirm_delete.{two.id}" not in session
    session[f"inspect.voi.{two.id}"] = "a preset f1 does not have"
    series_mod.navigate(session, two.id, one.id)  # an unknown window name is not carried
    assert session[f"inspect.voi.{one.id}"] == AUTOMATIC.name
    series_mod.navigate(session, one.id, other_size.id)  # zoom only between images of one size
    assert f"edit.plane.{other_size.id}" in session and f"edit.zoom.{other_size.id}" not in session


def _open_draw_export(
    app: AppTest, monkeypatch: pytest.MonkeyPatch, server: Orthanc, row: int
) -> tuple[state.LoadedFile, str]:
    """Load the study into ``server``, open its series, draw ``row`` on instance 1, go to Export.

    Returns the instance drawn on and the key of the series' Open button.
    """
    study = pacs_support.load_study(server)
    monkeypatch.setenv(ENV, server.url)
    app.run()
    _search(app, "hidden")
    key = f"pacs.open.{pacs.series_key(study.series_uid)}"
    app.button(key=key).click().run()
    entry = state.active(app.session_state)
    assert entry is not None
    stroke = np.zeros((pacs_support.ROWS, pacs_support.COLS), bool)
    stroke[row, :] = True
    editing.run(entry, "draw", lambda d: edit.apply_mask(d, 0x6000, stroke, "draw"))
    goto(app, "export")
    return entry, key


def test_server_stopped_after_listing_and_a_filtering_store(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Open fails in one sentence when the server has gone; a store the server drops is reported."""
    pacs_support.require_orthanc()
    lua = ('function ReceivedInstanceFilter(dicom, origin, info)\n'
           '  return dicom.SeriesDescription ~= "T1 axial (overlays edited)"\nend\n')
    with running_orthanc(lua=lua) as server:
        entry, key = _open_draw_export(app, monkeypatch, server, row=1)
        assert len(state.files(app.session_state)) == 3
        app.button(key="pacs.store").click().run()
        no_exception(app)
        assert errors(app) == [f"The PACS 'PACS' accepted {entry.name} but does not return it (HTTP 404): "
                               "it may have filtered it out."]
        assert series_mod.unsaved(app.session_state, entry)
        goto(app, "open")
        for opened in state.files(app.session_state):
            state.remove(app.session_state, opened.id)
        app.button(key="open.sample").click().run()
        server.stop()
        app.button(key=key).click().run()
        no_exception(app)
        assert errors(app) == ["The PACS 'PACS' cannot be reached while listing the instances of a series: "
                               "check that it is running."]
        assert [f.name for f in state.files(app.session_state)] == [state.SAMPLE_NAME]  # nothing lost


def test_servers_from_the_secrets_table(
    app: AppTest, orthanc: LoadedStudy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV, raising=False)
    app.secrets["dicomweb"] = {
        "max_instances": 50,
        "offline": {"url": f"http://127.0.0.1:{free_port()}/dicom-web", "timeout": 2},
        "lab": {"url": orthanc.server.url, "username": "nobody", "password": "unused-secret"},
    }
    app.run()
    no_exception(app)
    assert app.selectbox(key="pacs.server").options == ["offline (DICOMweb)", "lab (DICOMweb)"]
    _search(app, "hidden")
    assert errors(app) == ["The PACS 'offline' cannot be reached while searching for studies: "
                           "check that it is running."]
    app.selectbox(key="pacs.server").set_value("lab").run()
    _search(app, "hidden")  # Orthanc without authentication ignores the credentials
    assert not errors(app) and len(app.selectbox(key="pacs.study").options) == 1
    assert "unused-secret" not in repr(app.main) and str(orthanc.server.port) not in repr(app.main)


def test_more_studies_pages_through_the_results(pacs_app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pacs, "PAGE_SIZE", 1)
    app = pacs_app
    app.button(key="pacs.search").click().run()  # everything: the series' study and the sample's
    assert len(app.selectbox(key="pacs.study").options) == 1
    app.button(key="pacs.more").click().run()
    no_exception(app)
    assert len(app.selectbox(key="pacs.study").options) == 2
    app.button(key="pacs.more").click().run()  # a page with nothing new ends the paging
    assert len(app.selectbox(key="pacs.study").options) == 2
    assert not [b for b in app.button if b.key == "pacs.more"]


# --- derived files (SEG, presentation state, burned-in Secondary Capture) stored with the instances


KIND_MODALITY = {"seg": "SEG", "gsps": "PR", "sc": "OT"}


def _derived(app: AppTest) -> list[pacs_session.StoredInstance]:
    return [s for s in app.session_state[pacs.REPORT]["stored"] if s.kind != "image"]


def _seg_pixels(data: bytes, sop: str) -> np.ndarray:
    """Segment 1 of a SEG on the image ``sop``, read by highdicom alone."""
    import highdicom as hd

    seg = hd.seg.segread(io.BytesIO(data))
    return np.asarray(seg.get_pixels_by_source_instance(
        [sop], segment_numbers=[1], combine_segments=False, ignore_spatial_locations=True))[0, :, :, 0]


def _references(ds: object) -> tuple[set[str], set[str]]:
    from overlay_core.interop.roundtrip import referenced_uids

    return referenced_uids(ds)  # type: ignore[arg-type]


def test_store_with_seg_presentation_state_and_burned_in_image(
    pacs_app: AppTest, orthanc: LoadedStudy
) -> None:
    """Instances 2 and 3 edited, instance 1 shown unedited: 3 files of each kind, referencing as stored."""
    app = pacs_app
    _search(app, "PACS-0042")
    app.button(key=f"pacs.open.{pacs.series_key(orthanc.series_uid)}").click().run()
    one, two, three = state.files(app.session_state)
    strokes = {}
    for entry, row in ((two, 20), (three, 25)):
        stroke = np.zeros((pacs_support.ROWS, pacs_support.COLS), bool)
        stroke[row, 10:50] = True
        editing.run(entry, "draw", lambda d, s=stroke: edit.apply_mask(d, 0x6000, s, "draw"))
        strokes[entry.id] = stroke
    goto(app, "export")
    assert app.multiselect(key="pacs.derived").value == []  # nothing extra by default
    app.multiselect(key="pacs.derived").set_value(["seg", "gsps", "sc"]).run()
    app.text_input(key=f"export.seg_label.{one.id}.6000").input("Lesion A").run()
    no_exception(app)
    made = "Made from MR-instance-0001.dcm with the planes, segment labels and frame chosen"
    assert any(made in shown(c.value) and "the 2 other instance(s) stored now" in c.value
               and "as opened from the PACS" in c.value for c in app.caption)
    app.button(key="pacs.store").click().run()
    no_exception(app)
    assert not errors(app), errors(app)
    (message,) = [m.value for m in app.success if m.value.startswith("Stored ")]
    assert message.startswith(
        "Stored 2 instance(s) on the PACS Lab PACS as new instances in a new series, and "
        "3 DICOM SEGs, 3 presentation states and 3 burned-in Secondary Captures (one new series per kind)")
    assert app.multiselect(key="pacs.derived").value == []  # cleared: a second click stores nothing again
    assert app.button(key="pacs.store").disabled
    report = app.session_state[pacs.REPORT]["stored"]
    images = {s.file_id: s for s in report if s.kind == "image"}
    assert set(images) == {two.id, three.id}
    derived = _derived(app)
    assert sorted((s.kind, s.file_id) for s in derived) == sorted(
        (k, e.id) for k in KIND_MODALITY for e in (one, two, three))
    series_of = {k: {s.series_uid for s in derived if s.kind == k} for k in KIND_MODALITY}
    assert all(len(uids) == 1 for uids in series_of.values())  # one new series per kind ...
    new_series = {uid for uids in series_of.values() for uid in uids}
    assert len(new_series) == 3 and orthanc.series_uid not in new_series  # ... each new

    # On the server, found by QIDO: each kind's series in the study, holding exactly its three files.
    client = DicomwebClient(Server("check", orthanc.server.url))
    listed = {s.series_uid: s for s in client.search_series(orthanc.study_uid)}
    for kind, (uid,) in series_of.items():
        assert listed[uid].modality == KIND_MODALITY[kind] and listed[uid].instance_count == 3
        assert set(client.instance_uids(orthanc.study_uid, uid)) == {
            s.sop_uid for s in derived if s.kind == kind}
    # Each references its instance as the PACS holds it: 1 as opened, 2 and 3 as stored just now.
    held = {one.id: (orthanc.series_uid, str(one.original.SOPInstanceUID)),
            two.id: (images[two.id].series_uid, images[two.id].sop_uid),
            three.id: (images[three.id].series_uid, images[three.id].sop_uid)}
    expected_bits = {one.id: orthanc.masks[0], two.id: orthanc.masks[1] | strokes[two.id],
                     three.id: orthanc.masks[2] | strokes[three.id]}
    for item in derived:
        data = client.retrieve(orthanc.study_uid, item.series_uid, item.sop_uid).data
        back = load(data)
        series, sop = held[item.file_id]
        assert str(back.StudyInstanceUID) == orthanc.study_uid
        sops, referenced_series = _references(back)
        assert sops == {sop} and referenced_series <= {series}, (item.kind, item.instance)
        if item.kind == "seg":
            assert (_seg_pixels(data, sop) == expected_bits[item.file_id]).all()
        if item.kind == "sc":
            colour = back.pixel_array.astype(int)
            painted = (colour[..., 0] != colour[..., 1]) | (colour[..., 1] != colour[..., 2])
            assert (painted == expected_bits[item.file_id]).all()
    segs = {s.file_id: s for s in derived if s.kind == "seg"}
    labels = {fid: load(client.retrieve(orthanc.study_uid, s.series_uid, s.sop_uid).data)
              .SegmentSequence[0].SegmentLabel for fid, s in segs.items()}
    assert labels == {one.id: "Lesion A", two.id: "slice 2", three.id: "slice 3"}

    # Nothing pending: a SEG of instance 2 alone references the copy stored above, not the original.
    series_mod.navigate(app.session_state, one.id, two.id)
    app.run()
    assert app.button(key="pacs.store").disabled
    app.multiselect(key="pacs.derived").set_value(["seg"]).run()
    assert not app.button(key="pacs.store").disabled
    assert any("MR-instance-0002.dcm as stored there earlier" in shown(c.value) for c in app.caption)
    app.button(key="pacs.store").click().run()
    no_exception(app)
    assert not errors(app), errors(app)
    assert any(m.value.startswith("Stored 1 DICOM SEG on the PACS Lab PACS (one new series")
               for m in app.success)
    (seg,) = _derived(app)
    assert [s.kind for s in app.session_state[pacs.REPORT]["stored"]] == ["seg"]  # no instance sent again
    data = client.retrieve(orthanc.study_uid, seg.series_uid, seg.sop_uid).data
    assert _references(load(data)) == ({images[two.id].sop_uid}, {images[two.id].series_uid})
    assert (_seg_pixels(data, images[two.id].sop_uid) == expected_bits[two.id]).all()


def test_a_derived_file_the_server_drops_leaves_the_session_as_it_was(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    pacs_support.require_orthanc()
    lua = 'function ReceivedInstanceFilter(dicom, origin, info)\n  return dicom.Modality ~= "SEG"\nend\n'
    with running_orthanc(lua=lua) as server:
        entry, _ = _open_draw_export(app, monkeypatch, server, row=2)
        app.multiselect(key="pacs.derived").set_value(["gsps", "seg"]).run()
        app.button(key="pacs.store").click().run()
        no_exception(app)
        assert errors(app) == [f"The PACS 'PACS' accepted the DICOM SEG of {entry.name} but does not return "
                               "it (HTTP 404): it may have filtered it out."]
        assert series_mod.unsaved(app.session_state, entry)  # not marked as stored
        assert pacs.REPORT not in app.session_state
        assert entry.id not in app.session_state.get(pacs_session.STORED, {})
        assert app.multiselect(key="pacs.derived").value == ["gsps", "seg"]  # the choice is kept
        assert not app.button(key="pacs.store").disabled


def test_derived_files_of_an_uploaded_instance_need_it_stored(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An uploaded file is not on the PACS: its derived files can only go with it, once edited."""
    monkeypatch.setenv(ENV, f"http://127.0.0.1:{free_port()}/dicom-web")  # never asked: nothing is stored
    (ds,), _ = pacs_support.series_datasets(1)
    app.run()
    app.file_uploader(key="upload").set_value(("one.dcm", to_file_bytes(ds), "application/dicom")).run()
    goto(app, "export")
    app.multiselect(key="pacs.derived").set_value(["sc"]).run()
    no_exception(app)
    why = ("one.dcm is not on the PACS PACS as it is now (not opened from there, or edits not stored there), "
           "so there is nothing to make them from.")
    assert any(shown(c.value) == why for c in app.caption)
    assert app.button(key="pacs.store").disabled
    entry = state.active(app.session_state)
    stroke = np.zeros((pacs_support.ROWS, pacs_support.COLS), bool)
    stroke[3, :] = True
    editing.run(entry, "draw", lambda d: edit.apply_mask(d, 0x6000, stroke, "draw"))
    app.run()
    assert not app.button(key="pacs.store").disabled
    assert any(shown(c.value).endswith("(one.dcm as stored now).") for c in app.caption)



class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _dates_preset() -> None:
    """The PACS section under a button that sets the study dates through Session State first."""
    from datetime import date

    import streamlit as st

    from studio.pacs import sections

    if st.button("Last year", key="preset"):  # as a reload's takeover or any preset would
        st.session_state[sections.DATES] = (date(2020, 1, 1), date(2020, 12, 31))
    sections.open_section()


def test_study_dates_set_through_session_state_log_no_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dates set through Session State in the run that draws the widget, with a value= default, made
    Streamlit log 'created with a default value but also had its value set via the Session State API'."""
    monkeypatch.setenv(ENV, f"http://127.0.0.1:{free_port()}/dicom-web")  # drawn, never asked
    monkeypatch.setattr(policies, "_shown_default_value_warning", False)  # Streamlit warns once a process
    records = _Records()
    policies._LOGGER.addHandler(records)
    app = AppTest.from_function(_dates_preset, default_timeout=30)
    try:
        app.run()
        assert app.date_input(key=pacs.DATES).value == ()  # an empty range, not today's date
        app.button(key="preset").click().run()
        app.run()  # drawn again, the value carried
    finally:
        policies._LOGGER.removeHandler(records)
    no_exception(app)
    assert app.date_input(key=pacs.DATES).value == (date(2020, 1, 1), date(2020, 12, 31))
    assert [m for m in records.messages if "Session State API" in m] == []
