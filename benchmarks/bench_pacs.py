"""Speed of opening a series from, and storing it to, a local Orthanc (``make bench``).

A series of 20 instances, 512 x 512 16-bit, each with a full-size plane, in a throw-away
Orthanc on 127.0.0.1: search + list, retrieve the whole series (QIDO + one WADO-RS request
per instance), and store 20 derived instances (STOW-RS) then read each back and compare.
Skipped where Orthanc with its DICOMweb plugin is not installed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydicom.uid import generate_uid

from overlay_core.dataset.series import derive_instance
from overlay_core.pacs.client import StudyQuery
from overlay_core.pacs.config import Server
from overlay_core.pacs.dicomweb import DicomwebClient
from overlay_core.planes.changes import same_planes
from overlay_core.planes.reading import load
from tests.builders import to_file_bytes
from tests.pacs_support import LoadedStudy, require_orthanc, series_datasets
from tools.orthanc import running_orthanc

COUNT, SIZE = 20, 512


@pytest.fixture(scope="module")
def study() -> Iterator[LoadedStudy]:
    require_orthanc()
    with running_orthanc() as server:
        datasets, masks = series_datasets(COUNT, SIZE, SIZE)
        for ds in datasets:
            server.upload(to_file_bytes(ds))
        yield LoadedStudy(server, str(datasets[0].StudyInstanceUID), str(datasets[0].SeriesInstanceUID),
                          datasets, masks)


def test_search_and_list_series(benchmark: pytest.FixtureRequest, study: LoadedStudy) -> None:
    client = DicomwebClient(Server("bench", study.server.url))

    def run() -> None:
        (found,) = client.search_studies(StudyQuery(patient="hidden^pacs"))
        client.search_series(found.study_uid)

    benchmark(run)  # type: ignore[operator]


def test_open_series_of_20(benchmark: pytest.FixtureRequest, study: LoadedStudy) -> None:
    client = DicomwebClient(Server("bench", study.server.url))

    def run() -> None:
        items = client.retrieve_series(study.study_uid, study.series_uid, max_instances=100, max_bytes=2**30)
        assert len(items) == COUNT and all(load(i.data) is not None for i in items)

    benchmark.pedantic(run, rounds=3, iterations=1)  # type: ignore[attr-defined]


def test_store_and_check_20(benchmark: pytest.FixtureRequest, study: LoadedStudy) -> None:
    client = DicomwebClient(Server("bench", study.server.url))

    def run() -> None:
        series = generate_uid()
        derived = [derive_instance(ds, ds, series) for ds in study.datasets]
        client.store(derived)
        for ds in derived:
            back = load(client.retrieve(study.study_uid, series, str(ds.SOPInstanceUID)).data)
            assert same_planes(ds, back)

    benchmark.pedantic(run, rounds=3, iterations=1)  # type: ignore[attr-defined]
