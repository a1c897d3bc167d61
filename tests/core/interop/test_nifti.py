"""Overlay planes to NIfTI masks and back; the affine is dcm2niix's, checked against the real dcm2niix."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from pydicom.dataset import Dataset

from overlay_core.errors import InvalidArgumentError
from overlay_core.interop.nifti import export_nifti, import_nifti, nifti_bytes, nifti_labels, volume_grid
from overlay_core.planes.placement import image_mask
from overlay_core.planes.reading import load, overlay_groups, read_planes
from overlay_core.planes.writing import delete_plane, to_bytes
from tests import builders as b
from tests.formats_support import enhanced_image, mr_series, with_planes, write_series


def bare(datasets: list[Dataset]) -> list[Dataset]:
    out = []
    for ds in datasets:
        copy = load(to_bytes(ds))
        for group in overlay_groups(copy):
            delete_plane(copy, group)
        out.append(copy)
    return out


def dcm2niix(folder: Path, out: Path) -> nib.Nifti1Image:
    found = shutil.which("dcm2niix")
    if found is None:
        pytest.skip("dcm2niix (Debian package dcm2niix) is not installed; `make system-deps` installs it")
    out.mkdir()
    subprocess.run([found, "-z", "n", "-f", "image", "-o", str(out), str(folder)], check=True,
                   capture_output=True, timeout=120)
    return nib.load(str(out / "image.nii"))


@pytest.mark.parametrize("count", [3, 1])
def test_affine_and_voxels_equal_dcm2niix(tmp_path: Path, count: int) -> None:
    # Oblique, non-square pixels (0.7 x 1.1), Instance Numbers against the slice order.
    series = mr_series(count, 96, 128)
    for k, ds in enumerate(series):
        ds.InstanceNumber = count - k
    write_series(series, tmp_path / "series")
    reference = dcm2niix(tmp_path / "series", tmp_path / "nifti")
    grid = volume_grid(series)
    assert grid.shape == reference.shape
    assert np.allclose(grid.affine, reference.affine, atol=1e-4)
    # The same voxel layout: our mask of "pixel > median" is dcm2niix's image thresholded alike.
    for ds in series:
        pixels = ds.pixel_array
        b.add_plane(ds, 0x6000, pixels > 2000)
    mask = nib.Nifti1Image.from_bytes(gzip.decompress(nifti_bytes(series, [0x6000])))
    assert np.allclose(mask.affine, reference.affine, atol=1e-4)
    assert np.array_equal(np.asarray(mask.dataobj) == 1, np.asarray(reference.dataobj) > 2000)


def test_series_round_trip_bit_for_bit() -> None:
    series = with_planes(mr_series(4, 40, 52))
    data = nifti_bytes(series, [0x6000])
    targets = bare(series)
    added = import_nifti(targets, data, name="lesion.nii.gz")
    assert all(len(planes) == 1 for planes in added)
    for source, target in zip(series, targets, strict=True):
        assert np.array_equal(image_mask(target, 0x6000), image_mask(source, 0x6000))
    assert read_planes(targets[0])[0].label == "lesion.nii.gz"


def test_two_planes_are_two_labels_and_overlap_is_refused() -> None:
    series = mr_series(2, 20, 24)
    for ds in series:
        b.add_plane(ds, 0x6000, np.eye(20, 24, dtype=bool))
        b.add_plane(ds, 0x6002, np.eye(20, 24, k=3, dtype=bool), origin=(2, 1))
        block = np.zeros((20, 24), bool)
        block[:5, :5] = True  # shares the diagonal's first 5 pixels with 6000
        b.add_plane(ds, 0x6004, block)
    labels = nifti_labels(series, nifti_bytes(series, [0x6000, 0x6002]))
    assert sorted(labels) == [1, 2]
    assert np.array_equal(labels[2][1], image_mask(series[1], 0x6002))
    with pytest.raises(InvalidArgumentError, match="Overlay groups 6000 and 6004 overlap in 5 pixel"):
        export_nifti(series, [0x6000, 0x6004, 0x6002])


def test_a_plane_with_no_pixel_on_the_images_is_refused_as_seg_and_rtstruct_do() -> None:
    # fo-dicom_GH1728 in the corpus: its one plane has no pixel set. An empty label value
    # is a file import_nifti refuses ("no voxel set"), so export refuses it first.
    series = mr_series(2, 20, 24)
    for ds in series:
        b.add_plane(ds, 0x6000, np.eye(20, 24, dtype=bool))
        b.add_plane(ds, 0x6002, np.zeros((20, 24), bool))
    with pytest.raises(InvalidArgumentError, match="group 6002 has no pixel on the images"):
        nifti_bytes(series, [0x6000, 0x6002])
    with pytest.raises(InvalidArgumentError, match="group 6002 has no pixel on the images"):
        export_nifti(series[:1])
    labels = nifti_labels(series, nifti_bytes(series, [0x6000]))
    assert sorted(labels) == [1]


def test_enhanced_multi_frame_round_trip() -> None:
    ds = enhanced_image(frames=3)
    b.add_plane(ds, 0x6000, b.random_mask((3, 20, 24), seed=2), frames_attr=3, image_frame_origin=1)
    [target] = bare([ds])
    import_nifti([target], nifti_bytes([ds]))
    assert np.array_equal(image_mask(target, 0x6000), image_mask(ds, 0x6000))


def test_grid_mismatch_is_one_sentence_and_changes_nothing() -> None:
    series = with_planes(mr_series(3, 30, 40))
    data = nifti_bytes(series, [0x6000])
    fewer = bare(series[:2])
    expected = (r"^The NIfTI volume is 40 x 30 x 3 voxels but the images form 40 x 30 x 2, "
                r"so it does not lie on them\.$")
    with pytest.raises(InvalidArgumentError, match=expected):
        import_nifti(fewer, data)
    moved = bare(mr_series(3, 30, 40, origin=(0.0, 0.0, 0.0)))
    before = [to_bytes(ds) for ds in moved]
    with pytest.raises(InvalidArgumentError, match="affine differs from the images'"):
        import_nifti(moved, data)
    assert [to_bytes(ds) for ds in moved] == before
    with pytest.raises(InvalidArgumentError, match="not a NIfTI-1 volume"):
        import_nifti(moved, b"not a volume at all" * 30)


def test_no_geometry_and_uneven_slices_are_refused() -> None:
    ds = b.image_dataset(8, 8)
    b.add_plane(ds, 0x6000, np.eye(8, dtype=bool))
    with pytest.raises(InvalidArgumentError, match="has no patient geometry"):
        nifti_bytes([ds])
    series = with_planes(mr_series(3, 20, 24))
    series[2].ImagePositionPatient = [float(v) + 0.5 for v in series[2].ImagePositionPatient]
    with pytest.raises(InvalidArgumentError, match="not evenly spaced"):
        nifti_bytes(series)
