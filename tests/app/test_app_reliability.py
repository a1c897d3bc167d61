"""Issue 10 in the app: strings from files stay text, no traceback reaches a page, memory budget."""

from __future__ import annotations

import gc
import logging
import tracemalloc

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from overlay_core.errors import LimitError
from overlay_core.planes.writing import Attributes, set_attributes
from studio import budget, state
from studio.guard import unexpected_message
from tests import builders as b
from tests.app.support import Downloads, errors, goto, no_exception, shown

# Markdown, HTML, links, colour directives, icons, emoji shortcodes, formulas, code.
NAME = "[evil](http://evil.example) **name** :smile: <i>x</i>.dcm"
LABEL = "**b** [l](http://evil.example) :red[r]"
DESCRIPTION = "<b>h</b> $x^2$ `c` _i_ :material/home:"
TYPE = "**X**"
RAW_MARKUP = ("](http", "**b**", "**name**", "**X**", "<b>", "<i>", ":smile:", ":red[", ":material/home:",
              "$x^2$", "`c`", "_i_")


def crafted_file() -> bytes:
    ds = b.image_dataset(16, 20)
    b.add_plane(ds, 0x6000, b.random_mask((1, 16, 20), seed=4), label=LABEL, description=DESCRIPTION,
                overlay_type=TYPE)
    return b.to_file_bytes(ds)


def markdown_sources(at: AppTest) -> list[str]:
    """Every string of the page that Streamlit renders as markdown (text and labels)."""
    out = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "subheader", "title",
                 "header"):
        out.extend(str(e.value) for e in getattr(at, kind))
    for kind in ("button", "checkbox", "expander", "selectbox", "radio", "text_input", "number_input"):
        out.extend(str(getattr(e, "label", "")) for e in getattr(at, kind))
    out.extend(str(e.proto.label) for e in at.get("download_button"))
    return out


def assert_inert(at: AppTest, must_show: tuple[str, ...]) -> None:
    sources = markdown_sources(at)
    leaked = [(m, s) for s in sources for m in RAW_MARKUP if m in s]
    assert not leaked, leaked
    text = " ".join(shown(s) for s in sources)
    for value in must_show:
        assert value in text, (value, text[:500])


def test_crafted_strings_stay_text_on_every_page(app: AppTest, downloads: Downloads) -> None:
    app.run()
    app.file_uploader(key="upload").set_value((NAME, crafted_file(), "application/dicom")).run()
    no_exception(app)
    assert_inert(app, (NAME, LABEL))  # the sidebar and the Open list
    goto(app, "inspect")
    assert_inert(app, (NAME,))  # the caption
    table = app.dataframe[0].value  # table cells are plain text: shown exactly
    assert (table["label"][0], table["description"][0]) == (LABEL, DESCRIPTION)
    assert f'Overlay Type "{TYPE}"' in table["diagnostics"][0]
    goto(app, "edit")
    assert_inert(app, ())
    entry = state.active(app.session_state)
    set_attributes(entry.dataset, 0x6000, Attributes(label="plain"))
    goto(app, "export")
    assert_inert(app, (NAME, LABEL))  # "What changed in NAME", the summary quotes the old label


def test_an_unexpected_error_is_one_sentence_and_the_session_stays_usable(
    app: AppTest, downloads: Downloads, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A fault inside a page (here: diagnose, called by the Open list) is caught by app.py's guard.

    (AppTest runs a page other than the first without app.py, so the Open page is used.)
    """
    import overlay_core.audit.diagnostics

    data, _ = b.two_plane_file()
    app.run()
    app.file_uploader(key="upload").set_value([("one.dcm", data, "application/dicom"),
                                               ("two.dcm", data, "application/dicom")]).run()

    def broken(*args: object, **kwargs: object) -> object:
        raise KeyError("/srv/secret/path/diagnostics.py line 1")  # an internal fault, not an OverlayError

    monkeypatch.setattr(overlay_core.audit.diagnostics, "diagnose", broken)
    with caplog.at_level(logging.ERROR, logger="overlay_studio"):
        app.run()
    no_exception(app)
    [message] = errors(app)
    assert message.startswith("Something went wrong on this page (reference ")
    assert "secret" not in message and "Traceback" not in message
    reference = message.split("reference ")[1][:8]
    assert message == unexpected_message(reference, "this page")
    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert logged and logged[0].exc_info and "secret" in str(logged[0].exc_info[1])
    assert shown(app.sidebar.markdown[0].value).endswith("two.dcm")  # the sidebar still drew
    # The session is intact: the other pages work, the file downloads, a file can be removed.
    goto(app, "export")
    assert not errors(app) and downloads.get_bytes("two-edited.dcm")
    monkeypatch.undo()
    goto(app, "open")
    app.button(key="open.remove.f2").click().run()
    no_exception(app)
    assert [e.name for e in state.files(app.session_state)] == ["one.dcm"]


def test_the_guard_shows_an_overlay_error_as_text() -> None:
    def script() -> None:
        from overlay_core.errors import InvalidOverlayError
        from studio.guard import guarded

        with guarded():
            raise InvalidOverlayError('Overlay group 6000 has Overlay Type "**X** [l](http://e.example)".')

    at = AppTest.from_function(script).run()
    assert not at.exception
    assert [shown(str(e.value)) for e in at.error] == [
        'Overlay group 6000 has Overlay Type "**X** [l](http://e.example)".'
    ]
    assert "](http" not in str(at.error[0].value)


def test_an_upload_over_the_session_budget_is_refused_before_parsing(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, _ = b.two_plane_file()
    # An open file holds about its size, and opening one needs twice that: one fits, not two.
    monkeypatch.setenv("OVERLAY_STUDIO_SESSION_BYTES", str(5 * len(data) // 2))
    app.run()
    app.file_uploader(key="upload").set_value([("first.dcm", data, "application/dicom"),
                                               ("second.dcm", data, "application/dicom"),
                                               ("huge.dcm", data * 4, "application/dicom")]).run()
    no_exception(app)
    first, second, huge = state.files(app.session_state)
    assert first.ok and not second.ok and not huge.ok
    assert second.error.startswith("Opening second.dcm (")
    assert "remove a file from the Open page" in second.error
    assert "OVERLAY_STUDIO_SESSION_BYTES" in second.error
    assert huge.error.startswith("huge.dcm is ") and "so it was not opened" in huge.error
    assert second.original is None and huge.original is None  # nothing kept
    assert state.active(app.session_state) is first
    with pytest.raises(LimitError):
        budget.check_upload("again.dcm", len(data), budget.session_bytes(state.files(app.session_state)))
    app.button(key="open.remove.f1").click().run()  # room again: the same file would now open
    budget.check_upload("again.dcm", len(data), budget.session_bytes(state.files(app.session_state)))


def test_opening_a_file_holds_at_most_twice_its_size_and_keeps_one() -> None:
    """Peak memory while a file is opened: its bytes plus at most their size again; once
    open, the session holds one copy (the uploaded bytes are not kept)."""
    ds = b.image_dataset(1024, 1024, frames=8)  # 16 MiB of Pixel Data
    b.add_plane(ds, 0x6000, np.eye(1024, dtype=bool)[None].repeat(8, 0), frames_attr=8)
    data = b.to_file_bytes(ds)
    size = len(data)
    del ds
    tracemalloc.start()
    try:
        entry = state.add_file({}, "big.dcm", data)
        del data
        gc.collect()
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert entry.ok
    assert size + peak <= 2.1 * size, (peak / size)
    assert held <= 1.1 * size, (held / size)
