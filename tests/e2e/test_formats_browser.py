"""In Chromium: a series dropped with its RT Structure Set and a NIfTI mask imports as planes.

The images (without planes), the structure set and the mask are uploaded in one go; the
NIfTI file is kept, not opened as DICOM; *Import as planes* adds the structures, then
the mask, each in one click, with no exception and no page error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from overlay_core.interop.nifti import nifti_bytes
from overlay_core.interop.rtstruct import rtstruct_bytes
from overlay_core.planes.reading import load, overlay_groups
from overlay_core.planes.writing import delete_plane
from tests.builders import to_file_bytes
from tests.e2e.editor import wait_idle
from tests.formats_support import mr_series, with_planes

pytestmark = pytest.mark.e2e


def test_structures_and_mask_dropped_with_their_images_import(page: Any, server: str, tmp_path: Path) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    series = with_planes(mr_series(3, 30, 40))
    paths = []
    rs, mask = rtstruct_bytes(series, [0x6000]), nifti_bytes(series, [0x6002])
    for k, ds in enumerate(series):
        bare = load(to_file_bytes(ds))
        for group in overlay_groups(bare):
            delete_plane(bare, group)
        paths.append(tmp_path / f"slice{k + 1}.dcm")
        paths[-1].write_bytes(to_file_bytes(bare))
    (tmp_path / "rs.dcm").write_bytes(rs)
    (tmp_path / "spots.nii.gz").write_bytes(mask)
    page.goto(server)
    page.locator(".st-key-upload input[type=file]").set_input_files(
        [str(p) for p in [*paths, tmp_path / "rs.dcm", tmp_path / "spots.nii.gz"]])
    page.get_by_text("Import as planes", exact=True).first.wait_for()
    wait_idle(page)
    assert page.locator('[class*="st-key-open-file-"]').count() == 4  # three images and rs.dcm
    for name in ("rs.dcm", "spots.nii.gz"):
        box = page.locator('[class*="st-key-open-import-"]').filter(has_text=name)
        box.get_by_role("button", name="Import as planes").click()
        page.get_by_text(f"Imported {name} as plane(s)").wait_for()
        wait_idle(page)
    assert page.get_by_test_id("stException").count() == 0
    assert errors == []
