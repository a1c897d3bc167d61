"""Images with a patient geometry, for RTSTRUCT and NIfTI tests (the corpus has no such series).

:func:`mr_series` makes single-frame MR images of one series and Frame of Reference,
oblique and with non-square pixels by default; :func:`write_series` writes them to a
folder (for ``dcm2niix`` and rt-utils).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset
from pydicom.uid import MRImageStorage, generate_uid

from tests import builders as b

__all__ = ["OBLIQUE", "enhanced_image", "mr_series", "write_series"]

#: Row and column direction cosines of an oblique plane (rotated about two axes).
OBLIQUE = (0.9659258, 0.2588190, 0.0, -0.0669873, 0.2500000, -0.9659258)


def mr_series(
    count: int = 3,
    rows: int = 96,
    cols: int = 128,
    spacing: tuple[float, float] = (0.7, 1.1),
    orientation: Sequence[float] = OBLIQUE,
    thickness: float = 2.5,
    origin: Sequence[float] = (-40.0, -55.5, 12.25),
    seed: int = 3,
) -> list[Dataset]:
    """Return ``count`` single-frame MR images of one series, slices ``thickness`` mm apart.

    Instance Numbers run 1..count along the slice normal; pixel values are random.
    """
    x, y = np.asarray(orientation[:3], float), np.asarray(orientation[3:], float)
    normal = np.cross(x, y)
    study, series, frame_of_reference = generate_uid(), generate_uid(), generate_uid()
    out = []
    for k in range(count):
        ds = b.image_dataset(rows, cols, seed=seed + k)
        ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = MRImageStorage
        ds.Modality = "MR"
        ds.PatientName, ds.PatientID = "Geometry^Series", "GEO-1"
        ds.PatientBirthDate, ds.PatientSex = "", "O"
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.FrameOfReferenceUID = frame_of_reference
        ds.PositionReferenceIndicator = ""
        ds.StudyDate, ds.StudyTime, ds.StudyID, ds.AccessionNumber = "20260101", "120000", "1", ""
        ds.ReferringPhysicianName = ""
        ds.SeriesNumber, ds.InstanceNumber = 7, k + 1
        ds.ImageType = ["ORIGINAL", "PRIMARY", "M"]
        ds.ImagePositionPatient = [f"{v:.6f}" for v in np.asarray(origin, float) + k * thickness * normal]
        ds.ImageOrientationPatient = [f"{v:.7f}" for v in orientation]
        ds.PixelSpacing = [spacing[0], spacing[1]]
        ds.SliceThickness = thickness
        ds.SpacingBetweenSlices = thickness
        ds.BodyPartExamined = "HEAD"
        ds.ScanningSequence, ds.SequenceVariant, ds.ScanOptions, ds.MRAcquisitionType = "SE", "NONE", "", "2D"
        ds.RepetitionTime, ds.EchoTime, ds.EchoTrainLength = 500, 15, 1
        ds.MagneticFieldStrength = 1.5
        ds.AcquisitionNumber = 1
        ds.SeriesDescription = "geometry"
        ds.Manufacturer = "Test"
        out.append(ds)
    return out


def enhanced_image(frames: int = 3, rows: int = 20, cols: int = 24) -> Dataset:
    """Return a multi-frame image whose frames carry their geometry in functional groups."""
    series = mr_series(frames, rows, cols)
    ds = b.image_dataset(rows, cols, frames=frames)
    ds.FrameOfReferenceUID = series[0].FrameOfReferenceUID
    ds.StudyInstanceUID = series[0].StudyInstanceUID
    shared, orientation, measures = Dataset(), Dataset(), Dataset()
    orientation.ImageOrientationPatient = series[0].ImageOrientationPatient
    measures.PixelSpacing = series[0].PixelSpacing
    measures.SliceThickness = series[0].SliceThickness
    shared.PlaneOrientationSequence = [orientation]
    shared.PixelMeasuresSequence = [measures]
    ds.SharedFunctionalGroupsSequence = [shared]
    items = []
    for one in series:
        item, position = Dataset(), Dataset()
        position.ImagePositionPatient = one.ImagePositionPatient
        item.PlanePositionSequence = [position]
        items.append(item)
    ds.PerFrameFunctionalGroupsSequence = items
    return ds


def write_series(datasets: Sequence[Dataset], folder: Path) -> list[Path]:
    """Write each image to ``folder/IMG0001.dcm``, ... and return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, ds in enumerate(datasets, start=1):
        path = folder / f"IMG{i:04d}.dcm"
        path.write_bytes(b.to_file_bytes(ds))
        paths.append(path)
    return paths


def ring_with_islands(rows: int, cols: int, shift: int = 0) -> np.ndarray:
    """Return a mask with a hole, an island in the hole and a separate island."""
    mask = np.zeros((rows, cols), bool)
    mask[2 + shift:rows - 3, 3:cols - 4] = True
    mask[5 + shift:rows - 6, 7:cols - 8] = False
    mask[rows // 2, cols // 2] = True
    mask[0, cols - 2:] = True
    return mask


def with_planes(datasets: Sequence[Dataset]) -> list[Dataset]:
    """Add to each image of a series two planes: a small one at a negative origin, partly
    outside the image (holes, islands), and an image-sized one that the middle image lacks."""
    for k, ds in enumerate(datasets):
        b.add_plane(ds, 0x6000, ring_with_islands(18, 24, shift=k % 2), origin=(-3, -4), label="lesion",
                    description="drawn by hand")
        if k != len(datasets) // 2:
            b.add_plane(ds, 0x6002, b.random_mask((int(ds.Rows), int(ds.Columns)), seed=40 + k, density=0.02),
                        origin=(1, 1), label="spots")
    return list(datasets)
