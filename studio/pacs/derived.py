"""Derived files stored by "Store to PACS": a DICOM SEG, a presentation state, a burned-in image.

Beside the edited instances, the Export page's *Store to PACS* section can store the
derived files of *For other viewers* (:mod:`studio.interop`): of the instance shown, with
the planes, segment labels and frame chosen there, and of every other instance stored in
the same action, with all its planes. Each is made from its instance **as stored on the
PACS** (the copy sent now, or, for an instance already there, the original or the copy
stored earlier), so its references name the study, series and SOP Instance UIDs the PACS
holds. The files of one kind share one new series of the study. After the store each is
retrieved again and compared with what was sent (:func:`overlay_core.pacs.store.store_and_verify`).

The choice (widget key ``pacs.derived``) is cleared after a successful store, so a
second click does not store the same files again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from overlay_core.errors import OverlayError, clause
from overlay_core.interop.kinds import KindName as DerivedKind
from overlay_core.pacs.errors import PacsError
from overlay_core.planes.reading import load, read_planes
from studio.interop import chosen_options, make_derived
from studio.state import LoadedFile, State
from studio.text import plain

__all__ = [
    "CHOICE", "KINDS", "Derived", "Target", "build", "choose", "note", "reset",
]

#: The derived files, as sentences name them.
KINDS: dict[DerivedKind, str] = {
    "seg": "DICOM SEG", "gsps": "presentation state", "sc": "burned-in Secondary Capture",
    "rtstruct": "RT Structure Set",
}
#: Widget key of the choice, and the flag that clears it on the next run.
CHOICE, _RESET = "pacs.derived", "pacs.derived_reset"


@dataclass(frozen=True)
class Target:
    """An instance to derive files from: the file, and its dataset as stored on the PACS."""

    entry: LoadedFile
    image: Dataset
    shown: bool  # the instance shown on Export: its choices of *For other viewers* apply


@dataclass(frozen=True)
class Derived:
    """One derived file, made and checked, ready to send: of ``image``, as a dataset."""

    kind: DerivedKind
    entry: LoadedFile
    image: Dataset
    dataset: Dataset

    @property
    def what(self) -> str:
        """How a sentence names it: "the DICOM SEG of MR-instance-0002.dcm"."""
        return f"the {KINDS[self.kind]} of {self.entry.name}"


def _options(session: State, target: Target) -> tuple[list[int], dict[int, str], int]:
    if target.shown:
        return chosen_options(session, target.entry)
    return [p.group for p in read_planes(target.image)], {}, 0


def build(session: State, kinds: Sequence[DerivedKind], targets: Sequence[Target]) -> list[Derived]:
    """Make every chosen kind of file of every target; the files of one kind share one new series.

    A target without a plane (or, for the instance shown, without a plane chosen) gets none.

    Raises
    ------
    PacsError
        If a file cannot be made (one sentence naming the file and the instance).
    """
    series = {kind: generate_uid() for kind in kinds}
    out = []
    for target in targets:
        groups, labels, frame = _options(session, target)
        if not groups:
            continue
        for kind in kinds:
            try:
                _, data = make_derived(target.image, kind, groups, labels, frame, series[kind])
            except OverlayError as exc:
                raise PacsError(
                    f"The {KINDS[kind]} of {target.entry.name} cannot be made: {clause(exc)}."
                ) from exc
            out.append(Derived(kind, target.entry, target.image, load(data)))
    return out


# --- UI ---------------------------------------------------------------------------------------


def choose() -> list[DerivedKind]:
    """Draw the "Also store" choice (nothing by default) and return the kinds chosen."""
    if st.session_state.pop(_RESET, False):
        st.session_state[CHOICE] = []
    labels = {kind: text[0].upper() + text[1:] for kind, text in KINDS.items()}
    chosen: list[DerivedKind] = st.multiselect(
        "Also store", list(KINDS), format_func=labels.__getitem__, key=CHOICE, placeholder="Nothing else",
        help="Derived files of the instance shown (as chosen under 'For other viewers' below) and of "
             "each instance stored now; each kind in one new series of this study.",
    )
    return chosen


def note(server: str, entry: LoadedFile, where: str | None, sending: int) -> bool:
    """Caption what the derived files will be made of; return whether the instance shown gets them.

    ``where`` says how the server holds the instance shown: ``"sent"`` (it is among the
    ``sending`` instances stored now), ``"original"``, ``"stored"`` (earlier), or ``None``.
    """
    name = plain(entry.name)
    others = sending - (where == "sent")
    if where is None or not entry.planes() or not chosen_options(st.session_state, entry)[0]:
        why = (f"{name} has no overlay plane" if not entry.planes() else
               f"{name} has no plane chosen under *For other viewers* below" if where else
               f"{name} is not on the PACS {server} as it is now (not opened from there, or edits "
               "not stored there)")
        st.caption(why + (f", so derived files are made only from the {others} instance(s) stored now, with "
                          "all their planes." if others else ", so there is nothing to make them from."))
        return False
    held = {"sent": "as stored now", "original": "as opened from the PACS",
            "stored": "as stored there earlier"}
    also = f", and from the {others} other instance(s) stored now with all their planes" if others else ""
    st.caption(f"Made from {name} with the planes, segment labels and frame chosen under *For other viewers* "
               f"below{also}. Each kind goes into one new series of this study and references the instances "
               f"as the PACS holds them ({name} {held[where]}).")
    return True


def reset() -> None:
    """Clear the choice on the next run (after a successful store)."""
    st.session_state[_RESET] = True
