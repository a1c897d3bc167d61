"""The series' Previous/Next buttons show their labels in full on a 1366-pixel-wide screen.

Found in a QA pass: in columns of 1/5 of the page each, "Previous" beside its shortcut
hint "Shift + PageUp" was cut to "P…" and "Next" to "N".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydicom.uid import generate_uid

from tests.builders import add_plane, image_dataset, to_file_bytes
from tests.e2e.editor import goto, wait_idle

pytestmark = pytest.mark.e2e

CLIPPED = "b => [...b.querySelectorAll('*')].filter(e => e.scrollWidth > e.clientWidth + 1).length"


def series_files(tmp_path: Path) -> list[Path]:
    series = generate_uid()
    paths = []
    for number in (1, 2):
        ds = image_dataset(40, 50)
        ds.SeriesInstanceUID = series
        ds.InstanceNumber = number
        add_plane(ds, 0x6000, np.ones((1, 10, 10), bool))
        path = tmp_path / f"slice{number}.dcm"
        path.write_bytes(to_file_bytes(ds))
        paths.append(path)
    return paths


@pytest.mark.parametrize("title", ["Inspect", "Edit"])
def test_series_buttons_are_not_cut(page: Any, server: str, tmp_path: Path, title: str) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    paths = series_files(tmp_path)
    page.goto(server)
    page.locator(".st-key-upload input[type=file]").set_input_files([str(p) for p in paths])
    page.get_by_test_id("stSidebar").get_by_text("Series: 2 instances", exact=False).wait_for()
    wait_idle(page)
    goto(page, title)
    key = title.lower()
    for name in ("prev", "next"):
        button = page.locator(f".st-key-{key}-series-{name}").get_by_role("button")
        assert button.evaluate(CLIPPED) == 0, name
        assert ("Previous" if name == "prev" else "Next") in button.inner_text()
