r"""Synthetic DICOM files built in code, for what the shared corpus lacks.

Everything here is deliberately *raw*: the builders write elements as given, without
going through :mod:`overlay_core.planes.writing`, so that tests can build faulty files (odd
lengths, wrong VRs, missing attributes) and check the reader against values that come
from the standard rather than from our own writer.

Conventions:

* masks are ``(frames, rows, cols)`` (or ``(rows, cols)``) arrays, non-zero = set;
* ``origin`` is the 1-based (60xx,0050) ``(row, col)`` as stored;
* :func:`encode_mask` packs bits with plain Python (PS3.5 8.1.1: first pixel in the
  least significant bit of the first byte, padded to even length), independently of
  :mod:`overlay_core.planes.bits`, so tests can compare the two.

Main entry points: :func:`image_dataset`, :func:`add_plane`, :func:`add_embedded_plane`,
:func:`to_file_bytes`, and the ready-made files ``*_file()`` at the end.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import numpy as np
import pydicom
from numpy.typing import NDArray
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    UID,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    RLELossless,
    generate_uid,
)

__all__ = [
    "add_embedded_plane",
    "add_plane",
    "all_groups_file",
    "big_claim_file",
    "embedded_file",
    "encode_mask",
    "image_dataset",
    "implicit_vr_file",
    "larger_plane_file",
    "multiframe_file",
    "presentation_state_file",
    "random_mask",
    "rle_file",
    "roi_file",
    "to_file_bytes",
    "two_plane_file",
]

SECONDARY_CAPTURE = UID("1.2.840.10008.5.1.4.1.1.7")
MULTIFRAME_GRAYSCALE_WORD_SC = UID("1.2.840.10008.5.1.4.1.1.7.3")
GRAYSCALE_SOFTCOPY_PR = UID("1.2.840.10008.5.1.4.1.1.11.1")


def random_mask(shape: Sequence[int], seed: int = 0, density: float = 0.3) -> NDArray[np.bool_]:
    """Return a reproducible random bool mask of ``shape``.

    >>> random_mask((2, 3, 5)).shape
    (2, 3, 5)
    """
    return np.random.default_rng(seed).random(tuple(shape)) < density


def encode_mask(mask: NDArray[np.generic], pad: bool = True) -> bytes:
    r"""Pack a mask into Overlay Data with plain Python, as PS3.5 8.1.1 describes.

    Frame after frame, row after row; pixel ``i`` goes to bit ``i % 8`` of byte ``i // 8``.

    >>> encode_mask(np.array([[1, 0, 0], [0, 0, 0], [0, 0, 1]]))
    b'\x01\x01'
    >>> encode_mask(np.ones((1, 3, 3)), pad=False)
    b'\xff\x01'
    """
    flat = [bool(v) for v in np.asarray(mask).ravel()]
    out = bytearray((len(flat) + 7) // 8)
    for i, bit in enumerate(flat):
        if bit:
            out[i // 8] |= 1 << (i % 8)
    if pad and len(out) % 2:
        out.append(0)
    return bytes(out)


def new_dataset(sop_class: str, transfer_syntax: UID | str = ExplicitVRLittleEndian) -> Dataset:
    """Return an empty dataset of ``sop_class`` with file meta and a new SOP Instance UID."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = UID(str(transfer_syntax))
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = generate_uid()
    ds.SOPClassUID = sop_class
    return ds


def image_dataset(
    rows: int = 16,
    cols: int = 20,
    frames: int = 1,
    bits_allocated: int = 16,
    bits_stored: int | None = None,
    transfer_syntax: UID = ExplicitVRLittleEndian,
    seed: int = 1,
) -> Dataset:
    """Return a grayscale image with native Pixel Data and file meta.

    Pixel values are random below ``2**bits_stored`` (so bits above High Bit are 0).
    ``frames > 1`` adds (0028,0008) *Number of Frames*.

    Examples
    --------
    >>> ds = image_dataset(4, 5, frames=2)
    >>> ds.Rows, ds.Columns, int(ds.NumberOfFrames), len(ds.PixelData)
    (4, 5, 2, 80)
    """
    bits_stored = bits_stored or (12 if bits_allocated == 16 else 7)
    ds = new_dataset(MULTIFRAME_GRAYSCALE_WORD_SC if frames > 1 else SECONDARY_CAPTURE, transfer_syntax)
    ds.PatientName = "Synthetic^Overlay"
    ds.PatientID = "SYN-1"
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = "OT"
    ds.Rows, ds.Columns = rows, cols
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = bits_allocated
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 0
    dtype = np.dtype(f"u{bits_allocated // 8}")
    dtype = dtype.newbyteorder(">" if transfer_syntax == ExplicitVRBigEndian else "<")
    values = np.random.default_rng(seed).integers(0, 1 << bits_stored, size=(frames, rows, cols))
    data = values.astype(dtype).tobytes()
    ds.PixelData = data + b"\x00" * (len(data) % 2)
    ds["PixelData"].VR = "OW" if bits_allocated > 8 else "OB"
    ds.set_original_encoding(
        transfer_syntax == ImplicitVRLittleEndian, transfer_syntax != ExplicitVRBigEndian
    )
    return ds


def add_plane(
    ds: Dataset,
    group: int,
    mask: NDArray[np.generic] | None,
    *,
    origin: tuple[int, int] | None = (1, 1),
    overlay_type: str | None = "G",
    frames_attr: int | None = None,
    frames_vr: str = "IS",
    image_frame_origin: int | None = None,
    bits_allocated: int | None = 1,
    bit_position: int | None = 0,
    data: bytes | None = None,
    data_vr: str = "OW",
    rows: int | None = None,
    cols: int | None = None,
    label: str | None = None,
    description: str | None = None,
    subtype: str | None = None,
    roi: tuple[int, float, float] | None = None,
) -> Dataset:
    """Add a standalone (60xx,3000) plane exactly as given (no validation).

    Parameters
    ----------
    mask : array_like or None
        ``(rows, cols)`` or ``(frames, rows, cols)``; ``None`` writes no Overlay Data.
    origin, overlay_type, bits_allocated, bit_position : optional
        ``None`` leaves the element out.
    frames_attr, image_frame_origin : int, optional
        (60xx,0015) (written with ``frames_vr``) and (60xx,0051); left out when ``None``.
    data : bytes, optional
        Overlay Data to write instead of :func:`encode_mask` of ``mask``.
    rows, cols : int, optional
        Overlay Rows/Columns to write instead of the mask's.
    roi : (area, mean, standard deviation), optional
        (60xx,1301), (60xx,1302), (60xx,1303).

    Returns
    -------
    pydicom.dataset.Dataset
        ``ds``, changed in place.
    """
    arr = None if mask is None else np.asarray(mask)
    if arr is not None and arr.ndim == 2:
        arr = arr[np.newaxis]
    shape_rows = rows if rows is not None else (arr.shape[1] if arr is not None else 1)
    shape_cols = cols if cols is not None else (arr.shape[2] if arr is not None else 1)
    t = group << 16
    ds.add_new(t | 0x0010, "US", shape_rows)
    ds.add_new(t | 0x0011, "US", shape_cols)
    if frames_attr is not None:
        ds.add_new(t | 0x0015, frames_vr, str(frames_attr) if frames_vr == "IS" else frames_attr)
    for element, vr, value in (
        (0x0022, "LO", description), (0x0040, "CS", overlay_type), (0x0045, "LO", subtype),
        (0x0050, "SS", None if origin is None else list(origin)), (0x0051, "US", image_frame_origin),
        (0x0100, "US", bits_allocated), (0x0102, "US", bit_position),
    ):
        if value is not None:
            ds.add_new(t | element, vr, value)
    if roi is not None:
        ds.add_new(t | 0x1301, "IS", str(roi[0]))
        ds.add_new(t | 0x1302, "DS", f"{roi[1]:.6g}")
        ds.add_new(t | 0x1303, "DS", f"{roi[2]:.6g}")
    if label is not None:
        ds.add_new(t | 0x1500, "LO", label)
    if data is not None or arr is not None:
        payload = data if data is not None else encode_mask(arr)  # type: ignore[arg-type]
        ds.add_new(t | 0x3000, data_vr, payload)
    return ds


def add_embedded_plane(
    ds: Dataset, group: int, mask: NDArray[np.generic], bit_position: int, origin: tuple[int, int] = (1, 1)
) -> Dataset:
    """Add a retired plane embedded in bit ``bit_position`` of native Pixel Data.

    ``mask`` must have the image's ``(frames, rows, cols)`` (or ``(rows, cols)``).
    (60xx,0100) gets the image's Bits Allocated; there is no (60xx,3000).
    """
    arr = np.asarray(mask).astype(bool)
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    arr = arr.reshape(frames, ds.Rows, ds.Columns)
    big = ds.file_meta.TransferSyntaxUID == ExplicitVRBigEndian
    dtype = np.dtype(f"u{ds.BitsAllocated // 8}").newbyteorder(">" if big else "<")
    count = arr.size
    raw = bytes(ds.PixelData)
    words = np.frombuffer(raw, dtype=dtype, count=count).copy()
    words |= (arr.ravel().astype(dtype) << bit_position).astype(dtype)
    ds.PixelData = words.tobytes() + raw[words.nbytes:]
    t = group << 16
    ds.add_new(t | 0x0010, "US", ds.Rows)
    ds.add_new(t | 0x0011, "US", ds.Columns)
    ds.add_new(t | 0x0040, "CS", "G")
    ds.add_new(t | 0x0050, "SS", list(origin))
    ds.add_new(t | 0x0100, "US", ds.BitsAllocated)
    ds.add_new(t | 0x0102, "US", bit_position)
    return ds


def to_file_bytes(ds: Dataset, preamble: bool = True, file_meta: bool = True) -> bytes:
    """Serialise ``ds`` in its file meta's transfer syntax.

    Parameters
    ----------
    preamble : bool
        ``False`` drops the 128-byte preamble (the file starts with ``DICM``).
    file_meta : bool
        ``False`` writes the bare dataset: no preamble, no ``DICM``, no group 0002.

    Examples
    --------
    >>> data = to_file_bytes(image_dataset(2, 2))
    >>> data[128:132], to_file_bytes(image_dataset(2, 2), preamble=False)[:4]
    (b'DICM', b'DICM')
    """
    buffer = io.BytesIO()
    ts = ds.file_meta.TransferSyntaxUID
    if file_meta:
        pydicom.dcmwrite(buffer, ds, enforce_file_format=True)
        data = buffer.getvalue()
        return data if preamble else data[128:]
    bare = Dataset(ds)
    pydicom.dcmwrite(
        buffer, bare, implicit_vr=ts == ImplicitVRLittleEndian,
        little_endian=ts != ExplicitVRBigEndian,
    )
    return buffer.getvalue()


def two_plane_file() -> tuple[bytes, dict[int, NDArray[np.bool_]]]:
    """Return a 16 x 20 image with planes 6000 (image-sized) and 6002 (5 x 7 at 3\\4)."""
    ds = image_dataset(16, 20)
    masks = {0x6000: random_mask((1, 16, 20), seed=2), 0x6002: random_mask((1, 5, 7), seed=3)}
    add_plane(ds, 0x6000, masks[0x6000], label="FIRST", description="image-sized")
    add_plane(ds, 0x6002, masks[0x6002], origin=(3, 4), label="SECOND")
    return to_file_bytes(ds), masks


def roi_file() -> tuple[bytes, NDArray[np.bool_]]:
    """Return an image with an ROI plane (type R) carrying area, mean and standard deviation."""
    ds = image_dataset(10, 12)
    mask = np.zeros((1, 10, 12), bool)
    mask[0, 2:6, 3:9] = True
    add_plane(ds, 0x6000, mask, overlay_type="R", roi=(24, 812.5, 13.25), subtype="ROI",
              label="LESION", description="measured region")
    return to_file_bytes(ds), mask


def all_groups_file() -> tuple[bytes, dict[int, NDArray[np.bool_]]]:
    """Return an 8 x 9 image with a distinct plane in each of the 16 groups 6000-601E."""
    ds = image_dataset(8, 9)
    masks = {}
    for i, group in enumerate(range(0x6000, 0x6020, 2)):
        masks[group] = random_mask((1, 8, 9), seed=100 + i)
        add_plane(ds, group, masks[group], label=f"PLANE{i}")
    return to_file_bytes(ds), masks


def implicit_vr_file() -> tuple[bytes, NDArray[np.bool_]]:
    """Return an Implicit VR Little Endian image with one 7 x 9 plane at 2\\3 (odd bit count)."""
    ds = image_dataset(12, 14, transfer_syntax=ImplicitVRLittleEndian)
    mask = random_mask((1, 7, 9), seed=4)
    add_plane(ds, 0x6000, mask, origin=(2, 3))
    return to_file_bytes(ds), mask


def rle_file() -> tuple[bytes, NDArray[np.bool_]]:
    """Return an RLE Lossless image (Pixel Data encapsulated) with one standalone plane."""
    ds = image_dataset(16, 16, frames=2)
    ds.compress(RLELossless)
    mask = random_mask((1, 16, 16), seed=5)
    add_plane(ds, 0x6000, mask)
    return to_file_bytes(ds), mask


def embedded_file(bits_allocated: int = 16, frames: int = 1) -> tuple[bytes, dict[int, NDArray[np.bool_]]]:
    """Return an image with retired embedded planes above High Bit.

    16-bit: Bits Stored 12, planes 6000 in bit 15 and 6002 in bit 13. 8-bit: Bits
    Stored 6, planes 6000 in bit 7 and 6002 in bit 6.
    """
    ds = image_dataset(9, 11, frames=frames, bits_allocated=bits_allocated,
                       bits_stored=12 if bits_allocated == 16 else 6)
    top = bits_allocated - 1
    masks = {0x6000: random_mask((frames, 9, 11), seed=6), 0x6002: random_mask((frames, 9, 11), seed=7)}
    add_embedded_plane(ds, 0x6000, masks[0x6000], top)
    add_embedded_plane(ds, 0x6002, masks[0x6002], top - 2 if bits_allocated == 16 else top - 1)
    return to_file_bytes(ds), masks


def larger_plane_file() -> tuple[bytes, NDArray[np.bool_]]:
    """Return a 6 x 7 image with a 10 x 12 plane at origin 0\\-1 (sticks out on every side)."""
    ds = image_dataset(6, 7)
    mask = random_mask((1, 10, 12), seed=8)
    add_plane(ds, 0x6000, mask, origin=(0, -1))
    return to_file_bytes(ds), mask


def multiframe_file(
    image_frames: int = 4, plane_frames: int = 2, image_frame_origin: int = 2,
    origin: tuple[int, int] = (2, 3),
) -> tuple[bytes, NDArray[np.bool_]]:
    """Return a multi-frame image with a multi-frame plane (60xx,0015)/(60xx,0051) set."""
    ds = image_dataset(10, 11, frames=image_frames)
    mask = random_mask((plane_frames, 5, 7), seed=9)
    add_plane(ds, 0x6000, mask, origin=origin, frames_attr=plane_frames,
              image_frame_origin=image_frame_origin)
    return to_file_bytes(ds), mask


def big_claim_file() -> bytes:
    """Return a small image whose plane claims 1000 frames of 65535 x 65535 with 20 bytes of data."""
    ds = image_dataset(4, 4)
    add_plane(ds, 0x6000, None, rows=65535, cols=65535, frames_attr=1000, data=bytes(range(20)))
    return to_file_bytes(ds)


def presentation_state_file() -> tuple[bytes, NDArray[np.bool_]]:
    """Return a dataset without Pixel Data (like a presentation state).

    6000 only sets (60xx,1001) Overlay Activation Layer; 6002 is a full 6 x 8 plane.
    """
    ds = new_dataset(GRAYSCALE_SOFTCOPY_PR)
    ds.Modality = "PR"
    ds.add_new(0x60001001, "CS", "LAYER1")
    mask = random_mask((1, 6, 8), seed=10)
    add_plane(ds, 0x6002, mask)
    ds.add_new(0x60021001, "CS", "LAYER2")
    return to_file_bytes(ds), mask


def png_bytes(mask: NDArray[np.generic]) -> bytes:
    """An 8-bit grey PNG of a 2-D mask: set pixels 255."""
    buffer = io.BytesIO()
    Image.fromarray((np.asarray(mask) != 0).astype(np.uint8) * 255).save(buffer, format="PNG")
    return buffer.getvalue()


def npy_bytes(array: NDArray[np.generic]) -> bytes:
    """The bytes of ``array`` saved as ``.npy``."""
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def edit_helpers(rows: int, cols: int) -> tuple[
    Callable[..., Dataset], Callable[..., Dataset], Callable[..., NDArray[np.bool_]]
]:
    """``image(frames)``, ``with_plane(mask, origin, frames)`` and ``bits(ds, group)`` for one image size."""
    from overlay_core.planes.reading import unpack_plane
    from overlay_core.planes.writing import Attributes, set_plane

    def image(frames: int = 1) -> Dataset:
        return image_dataset(rows, cols, frames=frames)

    def with_plane(mask: NDArray[np.bool_], origin: tuple[int, int] = (1, 1), frames: int = 1) -> Dataset:
        ds = image(frames)
        set_plane(ds, 0x6000, mask, Attributes(origin=origin))
        return ds

    def bits(ds: Dataset, group: int = 0x6000) -> NDArray[np.bool_]:
        return unpack_plane(ds, group)[1]

    return image, with_plane, bits


def deep_sequence_file(depth: int = 120) -> bytes:
    """Return a small image with one plane and a sequence nested ``depth`` levels deep.

    Written byte by byte (undefined-length sequences and items, Explicit VR Little
    Endian): pydicom's own writer recurses too deeply to write such a file.
    """
    import struct

    ds = image_dataset(4, 4)
    add_plane(ds, 0x6000, np.eye(4, dtype=bool))
    head = to_file_bytes(ds)
    opening = (struct.pack("<HH2sHI", 0x0008, 0x1140, b"SQ", 0, 0xFFFFFFFF)
               + struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF))
    closing = struct.pack("<HHI", 0xFFFE, 0xE00D, 0) + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
    nested = opening * depth + closing * depth
    # Group 0008 elements must come before the rest: insert the sequence before (0010,0010).
    cut = head.index(struct.pack("<HH2s", 0x0010, 0x0010, b"PN"))
    return head[:cut] + nested + head[cut:]
