r"""Overlay planes in Grayscale Softcopy Presentation States (GSPS).

A presentation state shows an overlay plane on the images it references when the plane's
(60xx,1001) *Overlay Activation Layer* names one of its graphic layers (PS3.3 C.11.7).
The plane is either carried by the state itself (its own (60xx,3000) *Overlay Data*) or
is the referenced image's plane in the same group (the state then holds only the
activation layer).

* :func:`export_gsps` writes a new GSPS that references the image and carries a copy of
  each chosen plane, activated in the graphic layer ``OVERLAYS`` (so the planes show even
  where the stored image lacks the edits).
* :func:`state_planes` returns the planes a state activates, placed on an image it
  references with :func:`overlay_core.planes.placement.place`.

A presentation state's overlay applies to every frame it references, so a plane that
differs per frame is exported one image frame at a time (``frame``).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.uid import UID

from overlay_core.checks import check_frame_index, require_image
from overlay_core.errors import InvalidArgumentError, OverlayError, WrongReferenceError, clause
from overlay_core.interop.derived import (
    chosen_planes,
    complete_derived,
    is_multi_frame_class,
    new_instance,
    restore_class,
    single_frame_view,
    source_header,
)
from overlay_core.model import OverlayPlane, group_hex
from overlay_core.planes.placement import frame_map, image_mask, place
from overlay_core.planes.reading import (
    ACTIVATION_LAYER,
    element_value,
    image_info,
    load,
    overlay_groups,
    unpack_plane,
)
from overlay_core.planes.writing import Attributes, set_plane, to_bytes

__all__ = [
    "GSPS_STORAGE",
    "LAYER",
    "StatePlane",
    "export_gsps",
    "gsps_bytes",
    "is_presentation_state",
    "referenced_frames",
    "state_planes",
]

GSPS_STORAGE = UID("1.2.840.10008.5.1.4.1.1.11.1")
#: The graphic layer our exported states activate their planes in.
LAYER = "OVERLAYS"


@dataclass(frozen=True, eq=False)
class StatePlane:
    """One plane a presentation state shows on an image.

    Attributes
    ----------
    group : int
        The overlay group.
    layer : str
        The graphic layer that activates it.
    from_state : bool
        True when the state carries the plane's data; False for the image's own plane.
    plane : OverlayPlane
        The plane's attributes (from the state or the image).
    mask : numpy.ndarray
        ``(image frames, rows, cols)`` bool: the plane placed on the image, only on the
        frames the state references.
    """

    group: int
    layer: str
    from_state: bool
    plane: OverlayPlane
    mask: NDArray[np.bool_]


def is_presentation_state(ds: Dataset) -> bool:
    """Say whether a dataset is a presentation state (Modality PR or a PS SOP class).

    >>> ds = Dataset(); ds.Modality = "PR"
    >>> is_presentation_state(ds)
    True
    """
    sop_class = str(ds.get("SOPClassUID", "") or "")
    modality = str(ds.get("Modality", "") or "").upper()
    return modality == "PR" or sop_class.startswith("1.2.840.10008.5.1.4.1.1.11.")


# --------------------------------------------------------------------------- export


def _frame_bits(plane: OverlayPlane, bits: NDArray[np.bool_], frames: int, frame: int | None
                ) -> NDArray[np.bool_] | None:
    """Return the plane's bitmap for one image frame (0-based), or None if it is not on it."""
    if not plane.frame_specific and plane.frames == 1:
        first: NDArray[np.bool_] = bits[0]
        return first
    if frame is None:
        if frames == 1:
            frame = 0
        else:
            raise InvalidArgumentError(
                f"Overlay group {plane.group_hex} differs between image frames, and a presentation "
                "state's overlay applies to every frame it references; choose one frame."
            )
    for k, f in frame_map(plane, frames):
        if f == frame:
            found: NDArray[np.bool_] = bits[k]
            return found
    return None


def export_gsps(
    ds: Dataset,
    groups: Iterable[int] | None = None,
    frame: int | None = None,
    series_number: int = 1,
    series_uid: str | None = None,
) -> Dataset:
    """Return a new GSPS that references the image and shows its planes.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The image with its planes; not changed.
    groups : iterable of int, optional
        The planes to carry; default every usable plane.
    frame : int, optional
        0-based image frame: the state references only this frame and carries each
        plane's bits for it. Needed for a multi-frame image whose planes differ per
        frame; default: every frame.
    series_number : int, optional
        (0020,0011) of the new series.
    series_uid : str, optional
        (0020,000E) of the series to put the state in; default a new one.

    Returns
    -------
    pydicom.dataset.Dataset
        A :class:`highdicom.pr.GrayscaleSoftcopyPresentationState` with the planes in their
        own groups, origins and sizes, activated in layer :data:`LAYER`.

    Raises
    ------
    InvalidArgumentError
        If there is no plane to carry, a group is not a usable plane, the frame is out of
        range, a plane differs per frame and no frame is given, or ``series_uid`` is not
        a valid UID.
    """
    import highdicom as hd

    header = source_header(ds, "a presentation state")
    info = image_info(ds)
    if frame is not None:
        check_frame_index(frame, info.frames, "the image")
    carried: list[tuple[OverlayPlane, NDArray[np.bool_]]] = []
    for chosen in chosen_planes(ds, groups):
        plane, bits, _ = unpack_plane(ds, chosen.group)
        frame_bits = _frame_bits(plane, bits, info.frames, frame)
        if frame_bits is not None:
            carried.append((plane, frame_bits))
    if not carried:
        where = "" if frame is None else f" on frame {frame + 1}"
        raise InvalidArgumentError(f"The file has no overlay plane{where} to put in a presentation state.")
    source = single_frame_view(header) if info.frames > 1 else header
    instance = new_instance(series_number, series_uid=series_uid)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            state: Dataset = hd.pr.GrayscaleSoftcopyPresentationState(
                referenced_images=[source], **instance,
                content_label="OVERLAYS", content_description="Overlay planes",
                graphic_layers=[hd.pr.GraphicLayer(LAYER, 1, "Overlay planes")],
            )
    except Exception as exc:
        reason = clause(exc)
        raise InvalidArgumentError(f"highdicom could not make a presentation state: {reason}.") from None
    restore_class(state, str(header.SOPInstanceUID), UID(str(header.SOPClassUID)))
    complete_derived(state, header)
    if frame is not None and info.frames > 1 and is_multi_frame_class(header):
        for series in state.ReferencedSeriesSequence:
            for item in series.ReferencedImageSequence:
                item.ReferencedFrameNumber = frame + 1
    for plane, frame_bits in carried:
        set_plane(state, plane.group, frame_bits, Attributes(
            origin=plane.origin, type=plane.type, subtype=plane.subtype or None,
            label=plane.label or None, description=plane.description or None,
        ))
        state.add_new((plane.group << 16) | ACTIVATION_LAYER, "CS", LAYER)
    return state


# --------------------------------------------------------------------------- showing a state


def referenced_frames(state: Dataset, ds: Dataset) -> list[int]:
    """Return the 0-based frames of ``ds`` that a presentation state applies to.

    Raises
    ------
    WrongReferenceError
        If the state does not reference the image.

    Examples
    --------
    >>> image = Dataset(); image.SOPInstanceUID = "1.2"; image.Rows = image.Columns = 4
    >>> ref = Dataset(); ref.ReferencedSOPInstanceUID = "1.2"
    >>> series = Dataset(); series.ReferencedImageSequence = [ref]
    >>> state = Dataset(); state.ReferencedSeriesSequence = [series]
    >>> referenced_frames(state, image)
    [0]
    """
    uid = str(ds.get("SOPInstanceUID", "") or "")
    frames = image_info(ds).frames
    for series in state.get("ReferencedSeriesSequence", []):
        for item in series.get("ReferencedImageSequence", []):
            if uid and str(item.get("ReferencedSOPInstanceUID", "")) == uid:
                value = item.get("ReferencedFrameNumber")
                if value is None or value == "":
                    return list(range(frames))
                numbers = value if isinstance(value, Sequence) and not isinstance(value, str) else [value]
                return sorted({int(n) - 1 for n in numbers if 1 <= int(n) <= frames})
    raise WrongReferenceError("The presentation state does not reference this image.")


def state_planes(state: Dataset, ds: Dataset) -> list[StatePlane]:
    """Return the planes a presentation state shows on an image it references.

    Each plane whose (60xx,1001) *Overlay Activation Layer* is set: the state's own plane
    when it carries one in that group, else the image's plane in that group; placed on
    the image by :func:`overlay_core.planes.placement.place`, on the referenced frames only.

    Raises
    ------
    WrongReferenceError
        If the state does not reference the image.
    InvalidArgumentError
        If ``ds`` has no image.
    PlaneNotFoundError, InvalidOverlayError
        If an activated plane is missing from both or unusable.
    """
    frames = referenced_frames(state, ds)
    info = image_info(ds)
    require_image(info, "to show the presentation state's planes on")
    keep = np.zeros(info.frames, bool)
    keep[frames] = True
    out = []
    for group in overlay_groups(state):
        layer = element_value(state, group, ACTIVATION_LAYER)
        if layer is None:
            continue
        own = any((int(t) >> 16) == group and (int(t) & 0xFFFF) != ACTIVATION_LAYER for t in state.keys())
        if own:
            plane, bits, _ = unpack_plane(state, group)
            single = OverlayPlane(**{**plane.__dict__, "frames": 1, "frame_specific": False})
            mask = place(single, bits[:1], info.shape)
        else:
            plane = unpack_plane(ds, group)[0]
            mask = image_mask(ds, group)
        mask[~keep] = False
        out.append(StatePlane(group, str(layer).strip(), own, plane, mask))
    return out


# --------------------------------------------------------------------------- bytes, checked


def gsps_bytes(
    ds: Dataset, groups: Iterable[int] | None = None, frame: int | None = None, series_uid: str | None = None
) -> bytes:
    """Return a GSPS of the planes as file bytes, after reading it back and checking it.

    The state read back must reference the image and show each plane exactly where
    :func:`overlay_core.planes.placement.image_mask` places it (on the referenced frames). It
    goes into the series ``series_uid``, or a new one (see :func:`export_gsps`).

    Raises
    ------
    OverlayError
        As :func:`export_gsps`, or when the state read back differs.
    """
    state = export_gsps(ds, groups, frame, series_uid=series_uid)
    data = to_bytes(state)
    reread = load(data)
    shown = state_planes(reread, ds)
    frames = referenced_frames(reread, ds)
    for item in shown:  # frame by frame: a multi-frame image's masks are not held twice
        if not all(np.array_equal(item.mask[f], image_mask(ds, item.group, f)) for f in frames):
            raise OverlayError(
                f"The presentation state read back shows plane {group_hex(item.group)} differently, "
                "so it is not offered."
            )
    return data
