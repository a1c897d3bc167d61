"""Store to a PACS and verify: send, retrieve each instance again, compare with what was sent.

:func:`store_and_verify` is the one store path of the app (Export → *Store to PACS*),
whatever the protocol: it sends every :class:`Outgoing` instance in one store, retrieves
each again, and compares it with what was sent — an edited image by its overlay planes
(:func:`overlay_core.planes.compare.first_difference`), a derived file (SEG, presentation
state, burned-in image, RT Structure Set) by
:func:`overlay_core.interop.roundtrip.derived_difference` against the instance it was made
of. Any difference, an instance the server accepted but does not return, or one it returns
unreadable, is one sentence (:class:`~overlay_core.pacs.errors.PacsError`); the caller
changes nothing in its state unless this returns.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from pydicom.dataset import Dataset

from overlay_core.errors import OverlayError
from overlay_core.interop.roundtrip import derived_difference
from overlay_core.pacs.client import PacsClient
from overlay_core.pacs.errors import PacsError, PacsResponseError
from overlay_core.planes.compare import first_difference
from overlay_core.planes.reading import load

__all__ = ["Outgoing", "Stored", "store_and_verify"]


@dataclass(frozen=True)
class Outgoing:
    """One instance to store.

    ``dataset`` is sent; ``what`` names it in sentences; ``image`` is, for a derived file,
    the instance (as the PACS holds it) it was made of.
    """

    dataset: Dataset
    what: str
    image: Dataset | None = None


@dataclass(frozen=True)
class Stored:
    """One instance stored and read back the same: where it is."""

    study_uid: str
    series_uid: str
    sop_uid: str


def _uids(item: Outgoing) -> tuple[str, str, str]:
    uids = tuple(str(item.dataset.get(k) or "").strip()
                 for k in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"))
    for keyword, uid in zip(("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"), uids, strict=True):
        if not uid:
            raise PacsError(f"{item.what} has no {keyword}, so a PACS cannot store it.")
    return uids[0], uids[1], uids[2]


def store_and_verify(
    client: PacsClient, items: Sequence[Outgoing], cancel: threading.Event | None = None
) -> list[Stored]:
    """Store ``items``, retrieve each again and compare it with what was sent.

    Returns
    -------
    list of Stored
        Where each item is, in the order given.

    Raises
    ------
    PacsError
        If an item has no UIDs, the store fails or is refused, an item is not returned or
        returned unreadable, or it differs from what was sent (one sentence naming it).
    """
    name = client.server.name
    where = [_uids(item) for item in items]
    client.store([item.dataset for item in items], cancel)
    by_series: dict[tuple[str, str], list[str]] = {}
    for study, series, sop in where:
        by_series.setdefault((study, series), []).append(sop)
    back: dict[str, bytes] = {}
    for (study, series), sops in by_series.items():
        back.update({sop: item.data for sop, item in
                     client.retrieve_instances(study, series, sops, cancel).items()})
    out = []
    for item, (study, series, sop) in zip(items, where, strict=True):
        if sop not in back:
            http = " (HTTP 404)" if client.server.protocol == "DICOMweb" else ""
            raise PacsError(f"The PACS {name!r} accepted {item.what} but does not return it{http}: "
                            "it may have filtered it out.")
        try:
            found = load(back[sop])
        except OverlayError as exc:
            raise PacsResponseError(
                f"The PACS {name!r} returns {item.what} in a form that cannot be read.") from exc
        if item.image is None:
            reason = first_difference(item.dataset, found)
            if reason:
                raise PacsError(
                    f"The PACS {name!r} returns {item.what} without the overlay planes sent "
                    f"({reason.rstrip('.')}; it may keep an earlier copy of an instance with the same UID).")
        else:
            reason = derived_difference(item.dataset, found, item.image)
            if reason:
                raise PacsError(
                    f"The PACS {name!r} returns {item.what} differently from what was sent: {reason}.")
        out.append(Stored(study, series, sop))
    return out
