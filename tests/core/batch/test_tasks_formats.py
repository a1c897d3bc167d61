"""The ``rtstruct`` and ``nifti`` batch tasks: a checked file per image, a note where there is no geometry."""

from __future__ import annotations

import gzip
from pathlib import Path

import nibabel as nib
import numpy as np

from overlay_core.batch.sources import Item
from overlay_core.batch.tasks import Options, run_task
from overlay_core.interop.nifti import nifti_labels
from overlay_core.interop.rtstruct import roi_masks
from overlay_core.planes.placement import image_mask
from overlay_core.planes.reading import load
from tests import builders as b
from tests.formats_support import enhanced_image, mr_series, with_planes, write_series


def _item(path: Path) -> Item:
    return Item(key=path.name, relative=path.name, path=str(path))


def test_rtstruct_and_nifti_tasks(tmp_path: Path) -> None:
    [path] = write_series(with_planes(mr_series(3, 30, 40))[:1], tmp_path / "in")  # both planes
    ds = load(path.read_bytes())
    out = tmp_path / "out"
    record = run_task("rtstruct", str(out), Options(), _item(path))
    assert (record["status"], record["rois"], record["outputs"]) == ("ok", ["6000", "6002"], [
        f"{path.name}.rtstruct.dcm"])
    masks = roi_masks([ds], load((out / f"{path.name}.rtstruct.dcm").read_bytes()))
    assert np.array_equal(masks[2][0], image_mask(ds, 0x6002))
    record = run_task("nifti", str(out), Options(), _item(path))
    assert (record["status"], record["planes"]) == ("ok", ["6000", "6002"])
    assert record["outputs"] == [f"{path.name}.6000.nii.gz", f"{path.name}.6002.nii.gz"]
    data = (out / f"{path.name}.6000.nii.gz").read_bytes()
    assert nib.Nifti1Image.from_bytes(gzip.decompress(data)).shape == (40, 30, 1)
    assert np.array_equal(nifti_labels([ds], data)[1][0], image_mask(ds, 0x6000))


def test_multi_frame_image_and_no_geometry(tmp_path: Path) -> None:
    enhanced = enhanced_image(frames=3)
    b.add_plane(enhanced, 0x6000, b.random_mask((3, 20, 24), seed=7), frames_attr=3, image_frame_origin=1)
    flat = tmp_path / "flat.dcm"
    flat.write_bytes(b.two_plane_file()[0])
    multi = tmp_path / "multi.dcm"
    multi.write_bytes(b.to_file_bytes(enhanced))
    for task in ("rtstruct", "nifti"):
        record = run_task(task, str(tmp_path / "out"), Options(), _item(flat))
        assert record["status"] == "ok" and record["outputs"] == []
        assert "has no patient geometry" in record["note"]
        record = run_task(task, str(tmp_path / "out"), Options(), _item(multi))
        assert record["status"] == "ok" and len(record["outputs"]) == 1, record
