"""Instances as archives hold them, opened over DICOMweb and over DIMSE (a real Orthanc).

A Python script filling a PACS with ``dicomweb-client``'s ``store_instances(datasets=...)``
leaves files without the 128-byte preamble and ``DICM`` (Orthanc keeps what it is sent);
a modality may send a dataset without File Meta, in Implicit VR. Each is read like a file
on disk, whichever protocol retrieves it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
from pydicom import dcmwrite
from pydicom.uid import ImplicitVRLittleEndian

from overlay_core.pacs.client import PacsClient, connect
from overlay_core.pacs.config import Server
from overlay_core.planes.compare import differences
from overlay_core.planes.reading import load
from tests.pacs_support import LoadedStudy, dimse_server, require_orthanc, series_datasets
from tools.orthanc import running_orthanc


@pytest.fixture(scope="module", name="archive")
def archive_fixture() -> Iterator[LoadedStudy]:
    """An Orthanc holding a preamble-less series (STOW-RS by dicomweb-client) and one without File Meta."""
    require_orthanc()
    from dicomweb_client.api import DICOMwebClient

    with running_orthanc(dicom=True) as server:
        datasets, masks = series_datasets(3)
        DICOMwebClient(server.url).store_instances(datasets=datasets[:2])  # as scripts do: no preamble
        bare = datasets[2]
        bare.PatientID = datasets[0].PatientID
        del bare.file_meta  # no File Meta at all, Implicit VR Little Endian
        buffer = io.BytesIO()
        dcmwrite(buffer, bare, implicit_vr=True, little_endian=True, enforce_file_format=False)
        server.upload(buffer.getvalue())
        yield LoadedStudy(server, str(datasets[0].StudyInstanceUID), str(datasets[0].SeriesInstanceUID),
                          datasets, masks)


def _stored_file(archive: LoadedStudy, sop: str) -> bytes:
    (found,) = json.loads(archive.server.request("/tools/lookup", data=sop.encode(), method="POST"))
    return archive.server.request(f"/instances/{found['ID']}/file")


def test_the_archive_holds_files_without_preamble(archive: LoadedStudy) -> None:
    first = _stored_file(archive, str(archive.datasets[0].SOPInstanceUID))
    assert first[:4] == b"\x02\x00\x02\x00"  # File Meta straight away: no preamble, no "DICM"


@pytest.mark.parametrize("protocol", ["DICOMweb", "DIMSE"])
def test_every_instance_opens_over_either_protocol(archive: LoadedStudy, protocol: str) -> None:
    client: PacsClient = connect(Server("web", archive.server.url) if protocol == "DICOMweb"
                                 else dimse_server(archive.server))
    items = client.retrieve_series(archive.study_uid, archive.series_uid, max_instances=10, max_bytes=10**8)
    by_uid = {str(ds.SOPInstanceUID): ds for ds in archive.datasets}
    assert sorted(i.sop_uid for i in items) == sorted(by_uid)
    for item in items:
        ds = load(item.data)
        assert not differences(by_uid[item.sop_uid], ds)
        assert ds.PixelData == by_uid[item.sop_uid].PixelData


def test_implicit_vr_without_file_meta_opens(archive: LoadedStudy) -> None:
    client = connect(Server("web", archive.server.url))
    bare = archive.datasets[2]
    item = client.retrieve(archive.study_uid, archive.series_uid, str(bare.SOPInstanceUID))
    ds = load(item.data)
    assert not differences(bare, ds)
    assert ds.file_meta.get("TransferSyntaxUID", ImplicitVRLittleEndian) == ImplicitVRLittleEndian
