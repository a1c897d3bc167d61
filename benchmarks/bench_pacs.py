"""Speed of opening a series from, and storing it to, a local Orthanc over DICOMweb and DIMSE.

A series of 20 instances, 512 x 512 16-bit, each with a full-size plane, in a throw-away
Orthanc on 127.0.0.1 (DICOMweb and its DICOM port): search + list, retrieve the whole
series (QIDO + one WADO-RS request per instance; C-FIND + one C-GET), and store 20 derived
instances then read each back and compare (:func:`overlay_core.pacs.store.store_and_verify`:
STOW-RS + WADO-RS; C-STORE + C-GET).

Goals (issue 20), measured side by side in the same run: opening over C-GET within 1.5x the
DICOMweb time; store and check 20 instances over C-STORE in at most 3 s (median of 3).
Skipped where Orthanc with its DICOMweb plugin is not installed.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator

import pytest
from pydicom.uid import generate_uid

from overlay_core.dataset.series import derive_instance
from overlay_core.pacs.client import PacsClient, StudyQuery, connect
from overlay_core.pacs.config import Server
from overlay_core.pacs.store import Outgoing, store_and_verify
from overlay_core.planes.reading import load
from tests.builders import to_file_bytes
from tests.pacs_support import LoadedStudy, dimse_server, require_orthanc, series_datasets
from tools.orthanc import running_orthanc

COUNT, SIZE = 20, 512
OPEN_RATIO_GOAL, STORE_GOAL_S = 1.5, 3.0


@pytest.fixture(scope="module")
def study() -> Iterator[LoadedStudy]:
    require_orthanc()
    with running_orthanc(dicom=True) as server:
        datasets, masks = series_datasets(COUNT, SIZE, SIZE)
        for ds in datasets:
            server.upload(to_file_bytes(ds))
        yield LoadedStudy(server, str(datasets[0].StudyInstanceUID), str(datasets[0].SeriesInstanceUID),
                          datasets, masks)


def _clients(study: LoadedStudy) -> dict[str, PacsClient]:
    return {"DICOMweb": connect(Server("bench", study.server.url)),
            "DIMSE": connect(dimse_server(study.server))}


def _open(client: PacsClient, study: LoadedStudy) -> None:
    items = client.retrieve_series(study.study_uid, study.series_uid, max_instances=100, max_bytes=2**30)
    assert len(items) == COUNT and all(load(i.data) is not None for i in items)


def _store(client: PacsClient, study: LoadedStudy) -> None:
    series = generate_uid()
    items = [Outgoing(derive_instance(ds, ds, series), f"instance {n}")
             for n, ds in enumerate(study.datasets, 1)]
    assert len(store_and_verify(client, items)) == COUNT


@pytest.mark.parametrize("protocol", ["DICOMweb", "DIMSE"])
def test_search_and_list_series(benchmark: pytest.FixtureRequest, study: LoadedStudy, protocol: str) -> None:
    client = _clients(study)[protocol]

    def run() -> None:
        (found,) = client.search_studies(StudyQuery(patient="hidden^pacs"))
        client.search_series(found.study_uid)

    benchmark(run)  # type: ignore[operator]


@pytest.mark.parametrize("protocol", ["DICOMweb", "DIMSE"])
def test_open_series_of_20(benchmark: pytest.FixtureRequest, study: LoadedStudy, protocol: str) -> None:
    client = _clients(study)[protocol]
    benchmark.pedantic(lambda: _open(client, study), rounds=3, iterations=1)  # type: ignore[attr-defined]


@pytest.mark.parametrize("protocol", ["DICOMweb", "DIMSE"])
def test_store_and_check_20(benchmark: pytest.FixtureRequest, study: LoadedStudy, protocol: str) -> None:
    client = _clients(study)[protocol]
    benchmark.pedantic(lambda: _store(client, study), rounds=3, iterations=1)  # type: ignore[attr-defined]


def _median(run: Callable[[], None], rounds: int = 3) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def test_goals_c_get_against_dicomweb_and_c_store_in_3_s(benchmark: pytest.FixtureRequest,
                                                         study: LoadedStudy) -> None:
    """The goals, measured side by side (interleaved, so the machine's load falls on both alike)."""
    benchmark.pedantic(lambda: _goals(study), rounds=1, iterations=1)  # type: ignore[attr-defined]


def _goals(study: LoadedStudy) -> None:
    clients = _clients(study)
    web, dimse = [], []
    for _ in range(3):
        web.append(_median(lambda: _open(clients["DICOMweb"], study), rounds=1))
        dimse.append(_median(lambda: _open(clients["DIMSE"], study), rounds=1))
    ratio = statistics.median(dimse) / statistics.median(web)
    store = _median(lambda: _store(clients["DIMSE"], study))
    print(f"\nopen 20 x 512²: DICOMweb {statistics.median(web):.2f} s, "
          f"C-GET {statistics.median(dimse):.2f} s "
          f"({ratio:.2f}x, goal ≤ {OPEN_RATIO_GOAL}x); store and check 20 over C-STORE {store:.2f} s "
          f"(goal ≤ {STORE_GOAL_S} s)")
    assert ratio <= OPEN_RATIO_GOAL
    assert store <= STORE_GOAL_S
