"""What a new user meets (issue 22), in Chromium at 1366 x 768, on one server started as `make run` does.

The first screen with the sample's picture and next steps; Inspect's image in the first
screen; every finding readable in full; the series as the unit of Export (its files only,
in a folder named for it, each checked); one upload limit, its refusal readable without
hovering; and, after all of these flows, no Streamlit warning in the server's log.
"""

from __future__ import annotations

import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydicom.uid import generate_uid

from overlay_core.planes.reading import load, plane_bits, read_planes
from studio.streaming import CHUNKED_FROM
from tests.builders import add_plane, image_dataset, to_file_bytes
from tests.e2e.browser import streamlit_server
from tests.e2e.editor import canvas_box, commit, goto, stroke, wait_idle

pytestmark = pytest.mark.e2e

#: A session budget of 20 MB: the uploader's one limit is then 10 MB per file.
BUDGET = 20 << 20


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """``streamlit run serve.py`` with the sample (as ``make run``), a PACS configured, its log in a file."""
    log = tmp_path_factory.mktemp("server") / "server.log"
    env = {"OVERLAY_STUDIO_SAMPLE": "1", "OVERLAY_STUDIO_SESSION_BYTES": str(BUDGET),
           # the PACS section is drawn (its widgets too); nothing listens there, nothing is asked
           "OVERLAY_STUDIO_DICOMWEB_URL": "http://127.0.0.1:9/dicom-web"}
    with streamlit_server("--server.address", "127.0.0.1", env=env, script="serve.py",
                          log_path=log) as (url, _):
        yield url, log


@pytest.fixture(name="small")
def small_page(browser: Any) -> Iterator[Any]:
    """A 1366 x 768 page that fails the test on any page error."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
        assert errors == []
    finally:
        context.close()


def _in_first_screen(page: Any, locator: Any) -> None:
    box = locator.bounding_box()
    assert box is not None and box["width"] > 50 and box["height"] > 20
    assert box["y"] >= 0 and box["y"] + box["height"] <= page.viewport_size["height"], box


def test_first_screen_shows_the_sample_and_what_to_do_next(served: tuple[str, Path], small: Any) -> None:
    url, _ = served
    small.goto(url)
    picture = small.locator(".st-key-open-active img")
    picture.wait_for()
    wait_idle(small)
    _in_first_screen(small, picture)
    card = small.locator(".st-key-open-active")
    assert "pydicom-examples-overlay.dcm is open: overlay plane 6000" in card.inner_text()
    for link in ("Inspect: its planes, diagnostics and frames", "Edit: draw or erase on a plane, or add one"):
        _in_first_screen(small, card.get_by_role("link", name=link))
    assert small.get_by_role("button", name="Open the bundled sample").count() == 0
    assert small.locator('[class*="st-key-open-file-"]').count() == 1  # one line, details on demand
    small.get_by_role("link", name="Inspect: its planes, diagnostics and frames").click()
    small.get_by_role("heading", name="Inspect").wait_for()
    wait_idle(small)
    _in_first_screen(small, small.locator(".st-key-inspect-view img"))


def _upload(page: Any, *paths: Path) -> None:
    page.locator(".st-key-upload input[type=file]").set_input_files([str(p) for p in paths])
    page.get_by_test_id("stSidebar").get_by_text(paths[-1].name).first.wait_for()
    wait_idle(page)


def test_every_finding_is_readable_in_full(served: tuple[str, Path], small: Any, corpus: Path) -> None:
    # QA: "⚠ Overlay group 6000 data is 4 bits short (46210…" was cut in the table, shown nowhere in full.
    url, _ = served
    small.goto(url)
    wait_idle(small)
    _upload(small, corpus / "fo-dicom_GH1728.dcm")
    goto(small, "Inspect")
    found = small.locator("[data-testid='stExpander']", has_text="Diagnostics of the planes")
    text = found.inner_text()
    assert "data-short" in text and "46210 bytes" in text and "46212 expected" in text
    assert found.get_by_text("46212 expected", exact=False).is_visible()


def test_a_frame_without_the_plane_says_so(served: tuple[str, Path], small: Any, corpus: Path) -> None:
    url, _ = served
    small.goto(url)
    wait_idle(small)
    _upload(small, corpus / "mr_brucker_with_unaligned_multiframe_overlay.dcm")
    goto(small, "Inspect")
    small.get_by_text("Image frame 1 has no plane 6000 (it covers image frames 2–3).").wait_for()
    assert small.get_by_text("lies partly outside the 128 x 256 image", exact=False).is_visible()


def _series(folder: Path) -> list[Path]:
    uid, paths = generate_uid(), []
    for number in (1, 2, 3):
        ds = image_dataset(40, 50, seed=number)
        ds.SeriesInstanceUID, ds.InstanceNumber = uid, number
        ds.SeriesNumber, ds.SeriesDescription = 7, "T1 axial"
        mask = np.zeros((1, 12, 12), bool)
        mask[0, :number, :] = True
        add_plane(ds, 0x6000, mask, origin=(3, 4))
        paths.append(folder / f"slice{number}.dcm")
        paths[-1].write_bytes(to_file_bytes(ds))
    return paths


def test_export_downloads_the_open_series_only(served: tuple[str, Path], small: Any, tmp_path: Path) -> None:
    url, _ = served
    paths = _series(tmp_path)
    small.goto(url)
    wait_idle(small)
    _upload(small, *paths)  # beside the bundled sample: not part of the series
    sidebar = small.get_by_test_id("stSidebar")
    sidebar.get_by_text("Series: 3 instances, 0 with unsaved edits").wait_for()
    wait_idle(small)  # a click during the upload's last rerun would land on a button about to go
    sidebar.get_by_role("button", name="2 · slice2.dcm").click()  # instances by number and name
    small.wait_for_function("""() => document.querySelector('[data-testid="stSidebar"]').innerText
        .replace(/\\s+/g, ' ').includes('Active file slice2.dcm')""")
    wait_idle(small)
    assert " ".join(sidebar.inner_text().split()).count("Active file slice2.dcm") == 1
    goto(small, "Export")
    assert "This series: 3 instances, 0 changed" in small.get_by_test_id("stMain").inner_text()
    with small.expect_download() as download:
        small.locator(".st-key-export-series").get_by_role("button").click()
    assert download.value.suggested_filename == "series-7-T1-axial.zip"
    with zipfile.ZipFile(download.value.path()) as archive:
        names = archive.namelist()
        assert names == [f"series-7-T1-axial/slice{n}-edited.dcm" for n in (1, 2, 3)]
        for n, path in zip((1, 2, 3), paths, strict=True):
            written, source = load(archive.read(names[n - 1])), load(path.read_bytes())
            assert [p.group for p in read_planes(written)] == [0x6000]
            assert np.array_equal(plane_bits(written, 0x6000), plane_bits(source, 0x6000))
            assert written.SOPInstanceUID == source.SOPInstanceUID


def test_a_large_download_is_sent_as_itself_in_chunks(
    served: tuple[str, Path], small: Any, tmp_path: Path
) -> None:
    """Over studio.streaming.CHUNKED_FROM: sent by the app's middleware (serve.py), not gzipped or zipped."""
    url, _ = served
    ds = image_dataset(1100, 1200, frames=2, bits_allocated=16, seed=3)  # 5.3 MB
    add_plane(ds, 0x6000, np.eye(64, dtype=bool)[None], origin=(10, 20))
    path = tmp_path / "large.dcm"
    path.write_bytes(to_file_bytes(ds))
    small.goto(url)
    wait_idle(small)
    _upload(small, path)
    goto(small, "Export")
    with small.expect_download() as download:
        small.locator(".st-key-download").get_by_role("button").click()
    assert download.value.suggested_filename == "large-edited.dcm"
    written, source = load(Path(download.value.path()).read_bytes()), load(path.read_bytes())
    assert np.array_equal(plane_bits(written, 0x6000), plane_bits(source, 0x6000))
    assert written.PixelData == source.PixelData
    request = urllib.request.Request(download.value.url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=30) as response:  # as the browser asks for it
        assert response.headers.get("Content-Encoding") is None  # Streamlit would gzip application/dicom
        assert response.headers["Content-Disposition"] == 'attachment; filename="large-edited.dcm"'
        assert int(response.headers["Content-Length"]) == len(response.read()) > CHUNKED_FROM


def test_the_sidebar_marks_an_instance_unsaved_as_soon_as_a_stroke_applies(
    served: tuple[str, Path], small: Any, tmp_path: Path
) -> None:
    # QA: after a stroke the unsaved mark updated only on the next page run (the editor is a fragment).
    url, _ = served
    small.goto(url)
    wait_idle(small)
    _upload(small, *_series(tmp_path))
    sidebar = small.get_by_test_id("stSidebar")
    sidebar.get_by_text("Series: 3 instances, 0 with unsaved edits").wait_for()
    goto(small, "Edit")
    box = canvas_box(small)
    y = box["height"] * 0.2  # across plane 6000 (rows 3-14, columns 4-15 of the 40 x 50 image)
    stroke(small, [(box["width"] * 0.1, y), (box["width"] * 0.28, y)])
    commit(small, 1)
    sidebar.get_by_text("Series: 3 instances, 1 with unsaved edits").wait_for()  # no other click
    assert sidebar.get_by_role("button", name="3 · slice3.dcm ●").count() == 1


def test_one_upload_limit_and_its_refusal_without_hovering(
    served: tuple[str, Path], small: Any, tmp_path: Path
) -> None:
    url, _ = served
    small.goto(url)
    wait_idle(small)
    # The one limit, half the session budget, stated once (Streamlit's "10MB per file" hidden:
    # it rounds 512 MB up to "1GB").
    label = "DICOM files (any extension), up to 10 MB each"
    small.locator(".st-key-upload").get_by_text(label).wait_for()
    # the page's style (st.html, its code loaded on demand) may apply a moment after the uploader shows
    small.wait_for_function("() => !document.querySelector('.st-key-upload').innerText.includes('per file')")
    shown = small.locator(".st-key-upload").inner_text()  # rendered text only
    assert label in shown and "per file" not in shown
    assert not small.get_by_test_id("stFileUploaderDropzoneInstructions").is_visible()
    notes = tmp_path / "notes.txt"
    notes.write_text("not a DICOM file\n")
    small.locator(".st-key-upload input[type=file]").set_input_files(str(notes))
    small.get_by_text("The file is not a DICOM file.").wait_for()  # said once, in the list
    wait_idle(small)
    chips = small.locator(".st-key-upload [data-testid='stFileChip']")
    assert chips.count() == 1 and not chips.first.is_visible()  # handled: its chip is gone
    # ... and the uploader still looks like a drop zone: its "+" reads "Upload", as a button.
    add = small.locator(".st-key-upload button[aria-label='Add files']")
    look = add.evaluate("b => [getComputedStyle(b).borderTopWidth, getComputedStyle("
                        "b.querySelector('span[data-has-shortcut]'), '::after').content]")
    assert look == ["1px", '"Upload"'], look
    box = add.bounding_box()
    assert box is not None and box["width"] > 80 and box["height"] >= 38, box
    big = tmp_path / "big.dcm"
    with big.open("wb") as fh:
        fh.truncate(12 << 20)  # sparse: nothing is written
    small.locator(".st-key-upload input[type=file]").set_input_files(str(big))
    refusal = small.locator(".st-key-upload [data-testid='stFileChip'][aria-invalid='true'] [role='alert']")
    refusal.wait_for()
    assert refusal.inner_text() == "Error: File must be 10.0MB or smaller."
    box = refusal.bounding_box()  # shown, not only on hover
    assert box is not None and box["width"] > 100 and box["height"] > 8


def test_no_streamlit_warning_in_the_server_log(served: tuple[str, Path], small: Any, tmp_path: Path) -> None:
    """Last: after the flows above, and a series stepped through on Inspect (carried widget values)."""
    url, log = served
    small.goto(url)
    wait_idle(small)
    _upload(small, *_series(tmp_path))
    small.get_by_test_id("stSidebar").get_by_role("button", name="1 · slice1.dcm").click()
    wait_idle(small)
    goto(small, "Inspect")
    small.locator(".st-key-inspect-series-next").get_by_role("button").click()
    wait_idle(small)
    small.get_by_text("Instance 2 of 3 in this series", exact=False).wait_for()
    goto(small, "Open")
    dates = small.locator(".st-key-pacs-dates input")  # the PACS search's date range (issue: pacs.dates)
    dates.first.fill("2020-01-01")
    dates.nth(1).fill("2020-12-31")
    dates.nth(1).press("Tab")
    wait_idle(small)
    small.keyboard.press("Escape")  # the calendar, if it opened
    wait_idle(small)
    goto(small, "Inspect")
    goto(small, "Open")
    time.sleep(0.5)  # the log is written by the server process
    text = log.read_text()
    # Streamlit's warnings (e.g. 'The widget with key "inspect.visible.f3.6000" was created with
    # a default value but also had its value set via the Session State API.', then a stack)
    # carry no level name: after start-up, only the app's own INFO lines may appear.
    after = text.split("URL: ", 1)[1].splitlines()[1:]
    assert [line for line in after if line.strip() and " INFO overlay_studio: " not in line] == [], text
