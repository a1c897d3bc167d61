"""The derived files, one dispatcher: a DICOM SEG, a presentation state, a burned-in image.

:class:`DerivedKind` names the three; :func:`derived_bytes` makes the checked bytes of one
(each exporter writes, reads back and checks its file), for the app, the CLI's interop
commands and batch ``seg`` alike. :func:`covered_frame` is the app's rule for which image
frame a file covers when the user has chosen one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from pydicom.dataset import Dataset

from overlay_core.model import Choice
from overlay_core.planes.reading import image_info, read_planes

__all__ = ["DerivedKind", "KindName", "covered_frame", "derived_bytes"]

#: The kinds' values, for code that holds them as plain strings (e.g. a widget's choice).
KindName = Literal["seg", "gsps", "sc", "rtstruct"]


class DerivedKind(Choice):
    """A kind of derived file (accepted as a member, a value or a name, any case).

    >>> DerivedKind.coerce("GSPS").noun, DerivedKind.SC.suffix
    ('presentation state', 'sc')
    """

    SEG = "seg"
    GSPS = "gsps"
    SC = "sc"
    RTSTRUCT = "rtstruct"

    @property
    def noun(self) -> str:
        """What a sentence calls it."""
        return _NOUNS[self]

    @property
    def suffix(self) -> str:
        """The end of a file name of this kind (``scan-pr.dcm``)."""
        return "pr" if self is DerivedKind.GSPS else self.value


_NOUNS = {
    DerivedKind.SEG: "DICOM SEG",
    DerivedKind.GSPS: "presentation state",
    DerivedKind.SC: "burned-in Secondary Capture",
    DerivedKind.RTSTRUCT: "RT Structure Set",
}


def covered_frame(
    ds: Dataset, kind: DerivedKind | str, groups: Sequence[int] | None, frame: int
) -> int | None:
    """Return the 0-based frame a derived file of ``frame`` covers, or ``None`` for the whole image.

    A SEG or an RT Structure Set covers every frame; a presentation state only ``frame`` when
    some chosen plane differs per frame of a multi-frame image; a Secondary Capture ``frame`` of a
    multi-frame image (a single-frame image needs no frame, nor ``-frame1`` in a file name).

    >>> covered_frame(Dataset(), "sc", None, 0) is None
    True
    """
    kind = DerivedKind.coerce(kind)
    if kind in (DerivedKind.SEG, DerivedKind.RTSTRUCT) or image_info(ds).frames <= 1:
        return None
    if kind is DerivedKind.SC:
        return frame
    planes = [p for p in read_planes(ds) if groups is None or p.group in groups]
    return frame if any(p.frame_specific or p.frames > 1 for p in planes) else None


def derived_bytes(
    ds: Dataset,
    kind: DerivedKind | str,
    groups: Sequence[int] | None = None,
    *,
    labels: Mapping[int, str] | None = None,
    frame: int | None = None,
    series_uid: str | None = None,
    labelmap: bool = False,
) -> bytes:
    """Return the checked bytes of a derived file of ``ds``.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The image and its overlay planes.
    kind : DerivedKind or str
        ``seg``, ``gsps``, ``sc`` or ``rtstruct``.
    groups : sequence of int, optional
        The planes, in order (default: every usable plane): the segments of the SEG, the
        planes of the presentation state, the planes burned into the Secondary Capture.
    labels : mapping of int to str, optional
        SEG segment and RT Structure Set ROI labels by group (default: each plane's label).
    frame : int, optional
        0-based. Presentation state: the frame it shows (default: every frame, which fails
        when a plane differs per frame). Secondary Capture: the frame burned in (default 0).
        Ignored for a SEG and an RT Structure Set.
    series_uid : str, optional
        The new file's series (default: a new one).
    labelmap : bool, optional
        A SEG: write one LABELMAP segmentation instead of BINARY segments (the planes must not
        overlap).

    Raises
    ------
    OverlayError
        When the file cannot be made or fails its read-back check (one sentence).
    """
    kind = DerivedKind.coerce(kind)
    if kind is DerivedKind.SEG:
        from overlay_core.interop.seg import seg_bytes  # highdicom: imported for a SEG only

        return seg_bytes(ds, groups, labels, series_uid=series_uid, labelmap=labelmap)
    if kind is DerivedKind.RTSTRUCT:
        from overlay_core.interop.rtstruct import rtstruct_bytes  # contours: scikit-image

        return rtstruct_bytes([ds], groups, labels, series_uid=series_uid)
    if kind is DerivedKind.GSPS:
        from overlay_core.interop.gsps import gsps_bytes

        return gsps_bytes(ds, groups, frame, series_uid=series_uid)
    from overlay_core.interop.secondary_capture import sc_bytes
    from overlay_core.render.burn_in import burn_in_styles

    styles = burn_in_styles(ds, groups)
    return sc_bytes(ds, frame or 0, styles=styles, series_uid=series_uid)
