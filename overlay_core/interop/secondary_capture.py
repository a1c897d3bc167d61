"""A burned-in RGB Secondary Capture: one frame with its visible planes painted in.

For PACS viewers that show neither overlays nor SEG nor presentation states. The frame
is rendered at full resolution by :func:`overlay_core.render.compose.render` (the same pixels
as the *Burn-in PNG*: windowed, planes in their styles) and stored as a new RGB
Secondary Capture Image (8 bits, Explicit VR Little Endian) in a new series of the same
patient and study, referencing the source image and frame.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.uid import UID, ExplicitVRLittleEndian

from overlay_core.checks import check_frame_index
from overlay_core.errors import InvalidArgumentError, OverlayError, UnsupportedError, clause
from overlay_core.interop.derived import (
    MODEL_NAME,
    SOFTWARE_VERSION,
    complete_derived,
    is_multi_frame_class,
    new_instance,
    source_header,
)
from overlay_core.planes.reading import image_info, load
from overlay_core.planes.writing import to_bytes
from overlay_core.render.compose import render
from overlay_core.render.styles import PlaneStyle
from overlay_core.render.windowing import Voi

__all__ = ["SECONDARY_CAPTURE_STORAGE", "burned_in_pixels", "export_sc", "sc_bytes"]

SECONDARY_CAPTURE_STORAGE = UID("1.2.840.10008.5.1.4.1.1.7")


def burned_in_pixels(
    ds: Dataset, frame: int = 0, voi: Voi | None = None, styles: Sequence[PlaneStyle] | None = None
) -> NDArray[np.uint8]:
    """Return one frame with its visible planes painted in, ``uint8`` RGB ``(rows, cols, 3)``.

    Parameters are those of :func:`overlay_core.render.compose.render` (``frame`` 0-based;
    ``styles`` default to the app's look of every usable plane).

    Raises
    ------
    InvalidArgumentError
        If the file has no image or the frame is out of range.
    UnsupportedError
        If the image cannot be decoded: a black Secondary Capture would mislead.
    """
    view = render(ds, frame=frame, voi=voi, styles=styles)
    if view.missing_reason is not None:
        raise UnsupportedError(view.missing_reason)
    return view.image


def export_sc(
    ds: Dataset,
    frame: int = 0,
    voi: Voi | None = None,
    styles: Sequence[PlaneStyle] | None = None,
    series_number: int = 1,
    series_uid: str | None = None,
) -> Dataset:
    """Return a new RGB Secondary Capture of one frame with the visible planes burned in.

    Patient and study attributes are the image's; series (``series_uid`` when given),
    SOP Instance UID and equipment are new. (0008,2112) *Source Image Sequence* names
    the image (and the frame of a multi-frame image).

    Raises
    ------
    InvalidArgumentError, UnsupportedError
        As :func:`burned_in_pixels`, or when the image lacks a UID to reference, or
        ``series_uid`` is not a valid UID.

    Examples
    --------
    >>> from pydicom.uid import generate_uid
    >>> ds = Dataset(); ds.Rows, ds.Columns, ds.BitsAllocated, ds.BitsStored = 2, 3, 8, 8
    >>> ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PixelRepresentation = 1, "MONOCHROME2", 0
    >>> ds.HighBit, ds.PixelData = 7, bytes(range(6))
    >>> for k in ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID"):
    ...     setattr(ds, k, generate_uid())
    >>> sc = export_sc(ds)
    >>> sc.PhotometricInterpretation, sc.Rows, sc.Columns, sc.StudyInstanceUID == ds.StudyInstanceUID
    ('RGB', 2, 3, True)
    """
    import highdicom as hd

    header = source_header(ds, "a Secondary Capture")
    info = image_info(ds)
    check_frame_index(frame, info.frames, "the image")
    pixels = burned_in_pixels(ds, frame, voi, styles)
    orientation = header.get("PatientOrientation")
    instance = new_instance(series_number, equipment=False, series_uid=series_uid)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sc: Dataset = hd.sc.SCImage.from_ref_dataset(
                ref_dataset=header, pixel_array=pixels, photometric_interpretation="RGB",
                bits_allocated=8, coordinate_system="PATIENT", **instance,
                patient_orientation=("L", "P"),  # replaced below: highdicom insists on a value
                transfer_syntax_uid=ExplicitVRLittleEndian,
            )
    except Exception as exc:
        reason = clause(exc)
        raise InvalidArgumentError(f"highdicom could not make a Secondary Capture: {reason}.") from None
    # (0020,0020) is Type 2: the image's own value, or empty (unknown), never invented.
    sc.PatientOrientation = list(orientation) if orientation and len(orientation) == 2 else ""
    sc.ManufacturerModelName = MODEL_NAME
    sc.SoftwareVersions = SOFTWARE_VERSION
    sc.ImageType = ["DERIVED", "SECONDARY"]
    sc.DerivationDescription = f"Frame {frame + 1} with its visible overlay planes burned in"
    sc.SeriesDescription = "Overlays burned in"
    source = Dataset()
    source.ReferencedSOPClassUID = header.SOPClassUID
    source.ReferencedSOPInstanceUID = header.SOPInstanceUID
    if info.frames > 1 and is_multi_frame_class(header):
        source.ReferencedFrameNumber = frame + 1
    sc.SourceImageSequence = [source]
    complete_derived(sc, header, burned_in=True)  # the planes are painted into its pixels
    return sc


def sc_bytes(
    ds: Dataset,
    frame: int = 0,
    voi: Voi | None = None,
    styles: Sequence[PlaneStyle] | None = None,
    series_uid: str | None = None,
) -> bytes:
    """Return the Secondary Capture as file bytes, after reading it back and checking its pixels.

    It goes into the series ``series_uid``, or a new one (see :func:`export_sc`).

    Raises
    ------
    OverlayError
        As :func:`export_sc`, or when the pixels read back differ from the rendering.
    """
    sc = export_sc(ds, frame, voi, styles, series_uid=series_uid)
    data = to_bytes(sc)
    reread = load(data)
    try:
        found = reread.pixel_array
    except Exception as exc:
        raise OverlayError(f"The Secondary Capture written cannot be decoded ({exc}).") from None
    rows, cols = int(sc.Rows), int(sc.Columns)
    expected = np.frombuffer(sc.PixelData, np.uint8)[: rows * cols * 3].reshape(rows, cols, 3)
    if found.shape != expected.shape or not np.array_equal(found, expected):
        raise OverlayError(
            "The Secondary Capture read back differs from the rendering, so it is not offered."
        )
    return data
