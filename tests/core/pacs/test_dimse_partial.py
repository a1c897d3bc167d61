"""A series whose server cannot send one instance: the others open, that one gets its sentence.

Orthanc sends whatever it holds (it refuses to store a transfer syntax it does not know),
so this server is a small pynetdicom Query/Retrieve SCP holding three instances, one of them
in a private transfer syntax that no presentation context offered by the client carries:
its C-STORE sub-operation fails, as it does on a PACS holding an instance in a form it
cannot send over DIMSE.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from pydicom.dataset import Dataset
from pydicom.uid import UID

from overlay_core.pacs.config import DimseServer
from overlay_core.pacs.dimse import FIND, GET, DimseClient
from overlay_core.pacs.errors import PacsResponseError
from overlay_core.planes.compare import differences
from overlay_core.planes.reading import load
from tests.pacs_support import series_datasets
from tools.orthanc import free_port

PRIVATE_SYNTAX = UID("1.2.826.0.1.3680043.8.498.77.1")


@pytest.fixture(name="scp")
def scp_fixture() -> Iterator[tuple[DimseServer, list[Dataset]]]:
    from pynetdicom import AE, evt
    from pynetdicom.presentation import AllStoragePresentationContexts

    datasets, _ = series_datasets(3)
    held = [copy.deepcopy(ds) for ds in datasets]
    held[1].file_meta.TransferSyntaxUID = PRIVATE_SYNTAX  # a form it cannot send

    def on_find(event: Any) -> Iterator[tuple[int, Dataset | None]]:
        for ds in held:
            answer = Dataset()
            answer.QueryRetrieveLevel = "IMAGE"
            answer.SOPInstanceUID, answer.SOPClassUID = ds.SOPInstanceUID, ds.SOPClassUID
            answer.InstanceNumber = ds.InstanceNumber
            yield 0xFF00, answer

    def on_get(event: Any) -> Iterator[Any]:
        asked = event.identifier.SOPInstanceUID
        asked = {str(asked)} if isinstance(asked, str) else {str(uid) for uid in asked}
        chosen = [ds for ds in held if str(ds.SOPInstanceUID) in asked]
        yield len(chosen)
        for ds in chosen:
            yield 0xFF00, ds

    ae = AE(ae_title="PARTIAL")
    ae.add_supported_context(FIND)
    ae.add_supported_context(GET)
    for context in AllStoragePresentationContexts:
        ae.add_supported_context(context.abstract_syntax, scu_role=False, scp_role=True)
    port = free_port()
    server = ae.start_server(("127.0.0.1", port), block=False,
                             evt_handlers=[(evt.EVT_C_FIND, on_find), (evt.EVT_C_GET, on_get)])
    try:
        yield DimseServer("partial", "PARTIAL", "127.0.0.1", port, timeout=10), datasets
    finally:
        server.shutdown()


def test_the_others_open_and_the_one_says_why(scp: tuple[DimseServer, list[Dataset]]) -> None:
    server, datasets = scp
    client = DimseClient(server)
    study, series = str(datasets[0].StudyInstanceUID), str(datasets[0].SeriesInstanceUID)
    items = client.retrieve_series(study, series, max_instances=10, max_bytes=10**8)
    assert [i.sop_uid for i in items] == [str(ds.SOPInstanceUID) for ds in datasets]
    good = [items[0], items[2]]
    assert all(i.problem is None and not differences(ds, load(i.data))
               for i, ds in zip(good, [datasets[0], datasets[2]], strict=True))
    assert items[1].data == b"" and items[1].problem == (
        f"The PACS 'partial' did not send this instance (SOP Instance UID {datasets[1].SOPInstanceUID}): "
        "it may hold it in a form it cannot send over DIMSE.")
    with pytest.raises(PacsResponseError, match=r"answered with status 0xA702 while retrieving"):  # it alone
        client.retrieve_instances(study, series, [str(datasets[1].SOPInstanceUID)])
