"""Open page and router: every page launches, uploads, the sample, bad files, switching, removing."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from overlay_core.planes.reading import read_planes
from studio import state
from studio.ui import SESSION_NOTE
from tests.app.support import APP, PAGES, errors, goto, no_exception, shown
from tests.builders import roi_file, two_plane_file


@pytest.mark.parametrize("page", PAGES)
def test_every_page_launches_without_a_file(app: AppTest, page: str) -> None:
    app.run()
    no_exception(app)
    # AppTest 1.67 drops the entrypoint's sidebar elements after switch_page (a plain
    # two-page app shows the same), so the sidebar is checked on the first page only.
    assert any("this browser session only" in c.value for c in app.sidebar.caption)
    if page != "pages/open.py":
        goto(app, page.split("/")[1].removesuffix(".py"))
        assert "Open a DICOM file first." in [i.value for i in app.info]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_launches_on_the_sample(monkeypatch: pytest.MonkeyPatch, page: str) -> None:
    monkeypatch.setenv("OVERLAY_STUDIO_SAMPLE", "1")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    no_exception(at)
    assert shown(at.sidebar.markdown[0].value).endswith(state.SAMPLE_NAME)
    goto(at, page.split("/")[1].removesuffix(".py"))
    assert not errors(at)


def test_sample_is_loaded_once_per_session(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OVERLAY_STUDIO_SAMPLE", "1")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.run()
    assert [f.name for f in state.files(at.session_state)] == [state.SAMPLE_NAME]


def test_sample_button_opens_the_bundled_sample(app: AppTest) -> None:
    app.run()
    app.button(key="open.sample").click().run()
    no_exception(app)
    entry = state.active(app.session_state)
    assert entry is not None and entry.name == state.SAMPLE_NAME
    assert [p.group for p in entry.planes()] == [0x6000]
    assert "`6000`" in app.sidebar.markdown[1].value


def test_upload_several_files_newest_becomes_active(app: AppTest) -> None:
    first, _ = two_plane_file()
    second, _ = roi_file()
    app.run()
    app.file_uploader(key="upload").set_value([
        ("first.dcm", first, "application/dicom"), ("second.img", second, "application/octet-stream"),
    ]).run()
    no_exception(app)
    names = [f.name for f in state.files(app.session_state)]
    assert names == ["first.dcm", "second.img"]
    active = state.active(app.session_state)
    assert active is not None and active.name == "second.img"
    assert [p.group for p in read_planes(active.original)] == [0x6000]
    assert active.size == len(second) and active.original.buffer is None  # the bytes are not kept
    assert "second.img" in shown(app.sidebar.markdown[0].value)
    app.run()  # the uploader still holds both files: nothing is added twice
    assert len(state.files(app.session_state)) == 2


def test_bad_file_shows_an_error_and_other_files_stay_usable(app: AppTest) -> None:
    good, _ = two_plane_file()
    app.run()
    app.file_uploader(key="upload").set_value([
        ("good.dcm", good, "application/dicom"), ("notes.txt", b"not a DICOM file at all", "text/plain"),
    ]).run()
    no_exception(app)
    [message] = errors(app)
    assert "could not be read as DICOM" in message or "not a DICOM file" in message
    active = state.active(app.session_state)
    assert active is not None and active.name == "good.dcm"
    goto(app, "inspect")
    assert not errors(app)
    assert len(app.dataframe) == 1


def test_truncated_file_is_reported(app: AppTest) -> None:
    good, _ = two_plane_file()
    app.run()
    app.file_uploader(key="upload").set_value(("cut.dcm", good[:-300], "application/dicom")).run()
    no_exception(app)
    assert errors(app) == ["The file is truncated: it ends 300 bytes before the end of its data."]
    assert state.active(app.session_state) is None


def test_switch_and_remove_files(app: AppTest) -> None:
    first, _ = two_plane_file()
    second, _ = roi_file()
    app.run()
    app.file_uploader(key="upload").set_value([
        ("first.dcm", first, "application/dicom"), ("second.dcm", second, "application/dicom"),
    ]).run()
    ids = [f.id for f in state.files(app.session_state)]
    app.button(key=f"open.activate.{ids[0]}").click().run()
    no_exception(app)
    assert state.active(app.session_state).name == "first.dcm"
    assert "first.dcm" in shown(app.sidebar.markdown[0].value)
    app.button(key=f"open.remove.{ids[0]}").click().run()
    no_exception(app)
    assert [f.name for f in state.files(app.session_state)] == ["second.dcm"]
    assert state.active(app.session_state).name == "second.dcm"
    app.button(key=f"open.remove.{ids[1]}").click().run()
    assert state.active(app.session_state) is None
    assert "No file open yet" in app.info[0].value


def test_the_session_note_is_shown_once_on_open(app: AppTest) -> None:
    data, _ = two_plane_file()
    app.run()
    app.file_uploader(key="upload").set_value(("two.dcm", data, "application/dicom")).run()
    no_exception(app)
    notes = [c.value for c in app.caption if c.value == SESSION_NOTE]
    assert notes == [SESSION_NOTE]  # in the sidebar (on every page), not repeated on Open
    assert SESSION_NOTE in [c.value for c in app.sidebar.caption]


def test_first_screen_shows_the_sample_and_what_to_do_next(monkeypatch: pytest.MonkeyPatch) -> None:
    # QA: the first screen loaded the sample but showed no image and no next step, and
    # "Open the bundled sample" stayed and did nothing visible when clicked again.
    monkeypatch.setenv("OVERLAY_STUDIO_SAMPLE", "1")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    no_exception(at)
    assert len(at.get("image")) == 1  # the sample's picture, its plane drawn
    card = shown(" ".join(m.value for m in at.markdown))
    assert f"**{state.SAMPLE_NAME}** is open: overlay plane 6000 (G, 300 × 484), drawn on the image." in card
    links = [link.proto.label for link in at.get("page_link")]
    assert links[:2] == ["Inspect: its planes, diagnostics and frames",
                         "Edit: draw or erase on a plane, or add one"]
    assert not [b for b in at.button if b.key == "open.sample"]  # open already: not offered again
