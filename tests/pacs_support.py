"""A real Orthanc for the PACS tests, and the series loaded into it.

Test modules bind ``orthanc_fixture`` (one server per module, loaded with :func:`study`)
and use :func:`tools.orthanc.running_orthanc` directly for servers with other settings.
The fixture's server also has a DICOM port (:func:`dimse_server`). The tests skip, saying
why, where Debian's ``orthanc``/``orthanc-dicomweb`` are missing
(``make test`` installs them).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from overlay_core.pacs.config import DimseServer
from tests.builders import add_plane, image_dataset, to_file_bytes
from tools import orthanc

PATIENT_NAME, PATIENT_ID, ACCESSION = "Hidden^Pacs", "PACS-0042", "ACC-77"
ROWS, COLS, COUNT = 48, 64, 3


@dataclass
class LoadedStudy:
    """What a fixture server holds: the series' datasets in Instance Number order."""

    server: orthanc.Orthanc
    study_uid: str
    series_uid: str
    datasets: list[Dataset]
    masks: list[NDArray[np.bool_]]


def series_datasets(
    count: int = COUNT, rows: int = ROWS, cols: int = COLS
) -> tuple[list[Dataset], list[NDArray[np.bool_]]]:
    """Return ``count`` MR-like instances of one series, each with a plane 6000 (a row set)."""
    study, series = generate_uid(), generate_uid()
    datasets, masks = [], []
    for number in range(1, count + 1):
        ds = image_dataset(rows, cols, seed=number)
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.PatientName, ds.PatientID, ds.AccessionNumber = PATIENT_NAME, PATIENT_ID, ACCESSION
        ds.StudyDate, ds.Modality, ds.SeriesNumber = "20240315", "MR", 7
        ds.SeriesDescription, ds.ImageType = "T1 axial", ["ORIGINAL", "PRIMARY"]
        ds.InstanceNumber = number
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.ImagePositionPatient = [0, 0, 5.0 * number]
        mask = np.zeros((rows, cols), bool)
        mask[5 + number, 4:30] = True
        add_plane(ds, 0x6000, mask[None], label=f"slice {number}")
        datasets.append(ds)
        masks.append(mask)
    return datasets, masks


def load_study(server: orthanc.Orthanc) -> LoadedStudy:
    """Upload a generated series to ``server`` (out of order: 3, 1, 2) and the bundled sample."""
    from pydicom import examples

    datasets, masks = series_datasets()
    for index in (2, 0, 1):
        server.upload(to_file_bytes(datasets[index]))
    with open(examples.get_path("overlay"), "rb") as sample:
        server.upload(sample.read())
    return LoadedStudy(server, str(datasets[0].StudyInstanceUID), str(datasets[0].SeriesInstanceUID),
                       datasets, masks)


def require_orthanc() -> None:
    """Skip the test where Orthanc with its DICOMweb plugin is not installed."""
    reason = orthanc.missing()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module", name="orthanc")
def orthanc_fixture() -> Iterator[LoadedStudy]:
    """A fresh Orthanc (no authentication; DICOMweb and DICOM port) holding :func:`load_study`'s instances."""
    require_orthanc()
    with orthanc.running_orthanc(overwrite=False, dicom=True) as server:
        yield load_study(server)


def dimse_server(server: orthanc.Orthanc, name: str = "ORTHANC", **settings: Any) -> DimseServer:
    """The :class:`DimseServer` of ``server``'s DICOM port (called AE title ``ORTHANC``)."""
    assert server.dicom_port is not None
    values = {"called_aet": server.aet, "host": "127.0.0.1", "port": server.dicom_port, **settings}
    return DimseServer(name, **values)
