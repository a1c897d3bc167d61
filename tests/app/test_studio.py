"""studio helpers without a running app: session state, content keys, canvas keys.

(``studio`` is outside pytest's doctest paths, so its doctests are repeated here.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from overlay_core.planes.writing import delete_plane, set_plane
from studio import state
from studio.editor.canvas import canvas_key
from studio.export import download_name
from tests.builders import embedded_file, two_plane_file


@dataclass
class FakeUpload:
    file_id: str
    name: str
    data: bytes

    def getvalue(self) -> bytes:
        return self.data


def test_sample_switch() -> None:
    assert state.sample_requested([], {"OVERLAY_STUDIO_SAMPLE": "1"})
    assert state.sample_requested(["--sample"], {})
    assert not state.sample_requested([], {"OVERLAY_STUDIO_SAMPLE": "0"})
    assert not state.sample_requested([], {})


def test_init_runs_once_and_loads_the_sample() -> None:
    session: dict = {}
    state.init(session, sample=True)
    state.init(session, sample=True)
    [entry] = state.files(session)
    assert entry.name == state.SAMPLE_NAME and state.active(session) is entry
    assert entry.original is not entry.dataset


def test_uploads_are_ingested_once_and_bad_files_kept_with_their_error() -> None:
    session: dict = {}
    good, _ = two_plane_file()
    uploads = [FakeUpload("u1", "good.dcm", good), FakeUpload("u2", "bad.dcm", b"\x00" * 10)]
    added = state.ingest_uploads(session, uploads)
    assert [(e.name, e.ok) for e in added] == [("good.dcm", True), ("bad.dcm", False)]
    assert added[1].error and state.active(session) is added[0]
    assert state.ingest_uploads(session, uploads) == []
    state.remove(session, added[0].id)
    assert state.ingest_uploads(session, uploads) == []  # removed files do not come back
    assert state.active(session) is None
    state.activate(session, added[1].id)  # an unreadable file cannot become active
    assert state.active(session) is None


def test_content_key_follows_the_content() -> None:
    session: dict = {}
    data, _ = two_plane_file()
    a, b = state.add_file(session, "a.dcm", data), state.add_file(session, "b.dcm", data)
    assert state.content_key(a) == state.content_key(b)  # same content, same key
    before = state.content_key(a)
    set_plane(a.dataset, 0x6004, np.eye(4, dtype=bool))
    assert state.content_key(a) != before
    delete_plane(a.dataset, 0x6004)
    assert state.content_key(a) == before


def test_content_key_sees_pixel_data_changes() -> None:
    session: dict = {}
    data, _ = embedded_file()
    entry = state.add_file(session, "e.dcm", data)
    before = state.content_key(entry)
    delete_plane(entry.dataset, 0x6000)  # clears its bit in Pixel Data
    after = state.content_key(entry)
    assert after != before
    entry.dataset.PixelData = bytes(entry.original.PixelData)
    assert state.content_key(entry) != after


def test_canvas_key_names_file_plane_frame_and_nonce_not_the_view() -> None:
    keys = {
        canvas_key("f1", 0x6000, 0, 0),
        canvas_key("f2", 0x6000, 0, 0),
        canvas_key("f1", 0x6002, 0, 0),
        canvas_key("f1", 0x6000, 1, 0),
        canvas_key("f1", 0x6000, 0, 1),
    }
    assert len(keys) == 5 and all(k.startswith("canvas.") for k in keys)
    # a new view (zoom, pan) keeps the canvas: it is emptied by a new generation instead
    assert canvas_key("f1", 0x6000, 0, 0) == canvas_key("f1", 0x6000, 0, 0)


def test_download_name() -> None:
    assert download_name(state.LoadedFile("f1", "scan.dcm", 0, "")) == "scan-edited.dcm"
    assert download_name(state.LoadedFile("f1", "IM0001", 0, "")) == "IM0001-edited.dcm"


def test_the_sample_opens_once() -> None:
    session: dict[str, object] = {}
    first = state.add_sample(session)
    other = state.add_file(session, "other.dcm", b"not dicom")
    again = state.add_sample(session)
    assert again is first
    assert [e.id for e in state.files(session)] == [first.id, other.id]
    assert state.active(session) is first
