r"""Overlay planes to and from NIfTI mask volumes (nnU-Net, MONAI, FSL), with nibabel.

The volume is the one ``dcm2niix`` makes of the same images, voxel for voxel, so a mask
lies on the image volume a research pipeline already has:

* slices are the image frames (one per single-frame image of a series, or the frames of
  an enhanced multi-frame image) sorted by their position along the slice normal
  ``X × Y``, whatever their Instance Numbers;
* voxel ``(i, j, k)`` is column ``i`` and row ``rows - 1 - j`` of slice ``k`` (dcm2niix
  flips the rows so that the volume is not mirrored);
* the affine maps voxels to RAS millimetres: the DICOM LPS geometry
  (:mod:`overlay_core.interop.geometry`) with x and y negated, the slice axis the step
  from the first to the last slice position (one slice: the normal times Slice
  Thickness), qform and sform both scanner-based.

Each chosen plane gets a label value (1, 2, … in the order given): one plane gives a
0/1 mask; planes that overlap cannot share a voxel and are refused. Import reads each
non-zero value as one plane on the images where it has voxels.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from overlay_core.errors import InvalidArgumentError, OverlayError
from overlay_core.interop.geometry import FrameGeometry, series_geometries
from overlay_core.interop.new_planes import Planned, add_planes, free_groups
from overlay_core.model import OverlayPlane, group_hex
from overlay_core.planes.placement import image_mask
from overlay_core.planes.reading import image_info, overlay_groups, read_planes
from overlay_core.planes.writing import Attributes

__all__ = ["VolumeGrid", "export_nifti", "import_nifti", "nifti_bytes", "nifti_labels", "volume_grid"]

#: Tolerance, in mm, for slices to count as parallel, evenly spaced and on the same grid.
_TOLERANCE_MM = 1e-3
_LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])


@dataclass(frozen=True, eq=False)
class VolumeGrid:
    """The voxel grid a series (or a multi-frame image) forms, as dcm2niix lays it out.

    Attributes
    ----------
    slices : list of tuple of int
        ``(image index, frame)`` of each NIfTI slice ``k``.
    shape : tuple of int
        ``(columns, rows, slices)``.
    affine : numpy.ndarray
        4 x 4 voxel-to-RAS affine.
    """

    slices: list[tuple[int, int]]
    shape: tuple[int, int, int]
    affine: NDArray[np.float64]


def _same_plane(a: FrameGeometry, b: FrameGeometry) -> bool:
    return bool(np.allclose(a.row_direction, b.row_direction, atol=1e-4)
                and np.allclose(a.column_direction, b.column_direction, atol=1e-4)
                and np.allclose(a.spacing, b.spacing, atol=1e-6))


def volume_grid(datasets: Sequence[Dataset]) -> VolumeGrid:
    """Return the voxel grid of the images (see the module docstring).

    Raises
    ------
    InvalidArgumentError
        If an image has no patient geometry, the images differ in size, Frame of
        Reference or orientation, two slices share a position, or the slices are not
        evenly spaced (no single volume holds them).
    """
    geometries = series_geometries(datasets, "a NIfTI volume")
    sizes = {(image_info(ds).rows, image_info(ds).columns) for ds in datasets}
    if len(sizes) > 1:
        raise InvalidArgumentError("The images differ in rows and columns, so they do not form one volume.")
    rows, cols = sizes.pop()
    frames = [(i, f, g) for i, per in enumerate(geometries) for f, g in enumerate(per)]
    first = frames[0][2]
    if not all(_same_plane(first, g) for _, _, g in frames):
        raise InvalidArgumentError(
            "The images differ in orientation or pixel spacing, so they do not form one volume."
        )
    normal = first.normal
    frames.sort(key=lambda item: float(item[2].position @ normal))
    positions = np.array([g.position for _, _, g in frames])
    affine = first.affine()
    if len(frames) > 1:
        steps = np.diff(positions, axis=0)
        gaps = steps @ normal
        if np.min(gaps) < _TOLERANCE_MM:
            raise InvalidArgumentError(
                "Two of the slices lie at the same position, so they do not form one volume."
            )
        if not np.allclose(steps, steps[0], atol=max(_TOLERANCE_MM, 1e-3 * float(np.abs(gaps[0])))):
            raise InvalidArgumentError("The slices are not evenly spaced, so they do not form one volume.")
        affine[:3, 2] = (positions[-1] - positions[0]) / (len(frames) - 1)
    else:
        thickness = _thickness(datasets[frames[0][0]])
        affine[:3, 2] = normal * thickness
    affine[:3, 3] = positions[0]
    ras = _LPS_TO_RAS @ affine
    # dcm2niix flips the rows: voxel j is row rows - 1 - j.
    ras[:3, 3] += (rows - 1) * ras[:3, 1]
    ras[:3, 1] *= -1
    return VolumeGrid([(i, f) for i, f, _ in frames], (cols, rows, len(frames)), ras)


def _thickness(ds: Dataset) -> float:
    for keyword in ("SliceThickness", "SpacingBetweenSlices"):
        try:
            value = float(ds.get(keyword))
        except (TypeError, ValueError):
            continue
        if value > 0:
            return value
    return 1.0


_Placed = dict[tuple[int, int], NDArray[np.bool_]]


def _placed(datasets: Sequence[Dataset], groups: Sequence[int]) -> _Placed:
    """Return each plane placed on each image that has it, by (image index, group)."""
    return {(i, group): image_mask(ds, group) for i, ds in enumerate(datasets)
            for group in groups if group in overlay_groups(ds)}


def _label_volume(grid: VolumeGrid, groups: Sequence[int], placed: _Placed) -> NDArray[np.uint8]:
    volume = np.zeros(grid.shape, dtype=np.uint8)
    for value, group in enumerate(groups, start=1):
        for k, (index, frame) in enumerate(grid.slices):
            mask = placed.get((index, group))
            if mask is not None:
                voxels = mask[frame].T[:, ::-1]  # (cols, rows), rows flipped as dcm2niix does
                clash = voxels & (volume[:, :, k] > 0)
                if clash.any():
                    other = groups[int(volume[:, :, k][clash][0]) - 1]
                    raise InvalidArgumentError(
                        f"Overlay groups {group_hex(other)} and {group_hex(group)} overlap in "
                        f"{int(clash.sum())} pixel(s), so they cannot share one label volume; "
                        "export them apart."
                    )
                volume[:, :, k][voxels] = value
        if not (volume == value).any():  # an empty label: import_nifti would refuse the file
            raise InvalidArgumentError(
                f"Overlay group {group_hex(group)} has no pixel on the images, so it would be an empty "
                "label; leave it out."
            )
    return volume


def _groups(datasets: Sequence[Dataset], groups: Iterable[int] | None) -> list[int]:
    found = {p.group for ds in datasets for p in read_planes(ds)}
    chosen = sorted(found) if groups is None else list(dict.fromkeys(groups))
    for group in chosen:
        if group not in found:
            raise InvalidArgumentError(f"No image has a usable overlay plane in group {group_hex(group)}.")
    if not chosen:
        raise InvalidArgumentError(f"The {'file has' if len(datasets) == 1 else 'images have'} no "
                                   "overlay plane to export.")
    if len(chosen) > 255:
        raise InvalidArgumentError("At most 255 planes fit in one label volume.")
    return chosen


def export_nifti(datasets: Sequence[Dataset], groups: Iterable[int] | None = None) -> Any:
    """Return a :class:`nibabel.nifti1.Nifti1Image` of the planes on the images' voxel grid.

    Parameters
    ----------
    datasets : sequence of pydicom.dataset.Dataset
        One image or the images of one series; not changed.
    groups : iterable of int, optional
        The planes, labelled 1, 2, … in this order; default every group with a usable plane.

    Raises
    ------
    InvalidArgumentError
        As :func:`volume_grid`; also when a group has no plane or no pixel on the images, or
        two planes overlap.
    """
    chosen = _groups(datasets, groups)
    return _image(volume_grid(datasets), chosen, _placed(datasets, chosen))


def _image(grid: VolumeGrid, chosen: Sequence[int], placed: _Placed) -> Any:
    import nibabel as nib

    volume = _label_volume(grid, chosen, placed)
    image = nib.Nifti1Image(volume, grid.affine)  # type: ignore[no-untyped-call]
    image.set_qform(grid.affine, code=1)  # type: ignore[no-untyped-call]
    image.set_sform(grid.affine, code=1)  # type: ignore[no-untyped-call]
    image.header.set_xyzt_units("mm")  # type: ignore[no-untyped-call]
    image.header["descrip"] = ("Overlay Studio: " + " ".join(group_hex(g) for g in chosen))[:79].encode()
    return image


def _encode(image: Any, compressed: bool) -> bytes:
    data: bytes = image.to_bytes()
    # mtime 0: the same planes give the same file.
    # Level 1: masks are mostly zeros, so it is nearly as small as level 6 at a third of the time.
    return gzip.compress(data, compresslevel=1, mtime=0) if compressed else data


def _decode(data: bytes) -> Any:
    import nibabel as nib

    try:
        raw = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
        image = nib.Nifti1Image.from_bytes(raw)
    except Exception as exc:
        reason = " ".join(str(exc).split()).rstrip(".")
        raise InvalidArgumentError(f"The file is not a NIfTI-1 volume nibabel can read ({reason}).") from None
    return image


def nifti_bytes(datasets: Sequence[Dataset], groups: Iterable[int] | None = None, compressed: bool = True
                ) -> bytes:
    """Return the NIfTI mask as file bytes (``.nii.gz`` by default), read back and checked.

    The bytes are read again with nibabel: the grid must be the images' and each label
    value must equal its plane as placed on each image, bit for bit.

    Raises
    ------
    OverlayError
        As :func:`export_nifti`, or when the volume read back differs.
    """
    chosen = _groups(datasets, groups)
    placed = _placed(datasets, chosen)
    grid = volume_grid(datasets)
    data = _encode(_image(grid, chosen, placed), compressed)
    labels = _labels(datasets, grid, data)
    shapes = [image_info(ds).shape for ds in datasets]
    for value, group in enumerate(chosen, start=1):
        for index in range(len(datasets)):
            shape = shapes[index]
            expected = placed.get((index, group))
            expected = np.zeros(shape, bool) if expected is None else expected
            found = labels[value][index] if value in labels else np.zeros(shape, bool)
            if not np.array_equal(found, expected):
                raise OverlayError(
                    f"The NIfTI volume read back differs from plane {group_hex(group)}, so it is not offered."
                )
    return data


def nifti_labels(datasets: Sequence[Dataset], data: bytes) -> dict[int, list[NDArray[np.bool_]]]:
    """Return each non-zero value of a NIfTI mask as image-space masks, one per image.

    Each mask is ``(frames, rows, cols)`` of its image; values are read as integers
    (a float mask is rounded).

    Raises
    ------
    InvalidArgumentError
        If the file is not NIfTI, or its grid (shape and affine) is not the images'.
    """
    return _labels(datasets, volume_grid(datasets), data)


def _labels(datasets: Sequence[Dataset], grid: VolumeGrid, data: bytes) -> dict[int, list[NDArray[np.bool_]]]:
    image = _decode(data)
    volume = np.asanyarray(image.dataobj)
    while volume.ndim > 3 and volume.shape[-1] == 1:
        volume = volume[..., 0]
    if volume.ndim == 2 and grid.shape[2] == 1:
        volume = volume[..., None]
    if volume.shape != grid.shape:
        raise InvalidArgumentError(
            f"The NIfTI volume is {' x '.join(str(n) for n in volume.shape)} voxels but the images form "
            f"{' x '.join(str(n) for n in grid.shape)}, so it does not lie on them."
        )
    affine = image.get_sform() if int(image.header["sform_code"]) > 0 else image.get_qform()
    # float32 in the file: allow its rounding of positions hundreds of mm from the origin
    tolerance = max(_TOLERANCE_MM * 10, 1e-4 * float(np.abs(grid.affine).max()))
    if not np.allclose(affine, grid.affine, atol=tolerance):
        raise InvalidArgumentError(
            "The NIfTI volume's affine differs from the images' (another position, orientation or "
            "spacing), so it does not lie on them."
        )
    values = np.rint(volume).astype(np.int64) if volume.dtype.kind == "f" else np.asarray(volume)
    shapes = [image_info(ds).shape for ds in datasets]
    out: dict[int, list[NDArray[np.bool_]]] = {}
    if values.dtype.kind == "u" and values.dtype.itemsize <= 2:  # masks: counting is faster than sorting
        present = [int(v) for v in np.flatnonzero(np.bincount(values.ravel()))]
    else:
        present = [int(v) for v in np.unique(values)]
    for value in [v for v in present if v != 0]:
        masks = [np.zeros(shape, dtype=bool) for shape in shapes]
        for k, (index, frame) in enumerate(grid.slices):
            masks[index][frame] = (values[:, :, k] == value)[:, ::-1].T
        out[value] = masks
    return out


def import_nifti(
    datasets: Sequence[Dataset], data: bytes, name: str = "NIfTI mask"
) -> list[list[OverlayPlane]]:
    r"""Add each label of a NIfTI mask as a plane on the images where it has voxels.

    Each label goes into one group, the first free on every image, as an image-sized
    plane at origin ``1\1`` labelled ``name`` (with the value when there are several).
    All or nothing: on any error no image is changed.

    Returns
    -------
    list of list of OverlayPlane
        The new planes of each image, in the order of ``datasets``.

    Raises
    ------
    InvalidArgumentError
        As :func:`nifti_labels`; also when the mask is empty or has more labels than free groups.
    """
    labels = nifti_labels(datasets, data)
    if not labels:
        raise InvalidArgumentError("The NIfTI volume has no voxel set.")
    free = free_groups(datasets)
    if len(labels) > len(free):
        raise InvalidArgumentError(
            f"The NIfTI volume has {len(labels)} label(s) but only {len(free)} overlay group(s) are free on "
            "every image."
        )
    text = " ".join(name.replace("\\", "/").split())[:56] or "NIfTI mask"
    planned: list[Planned] = []
    for group, (value, masks) in zip(free, labels.items(), strict=False):
        label = text if len(labels) == 1 else f"{text} {value}"
        planned.append((group, masks, Attributes(origin=(1, 1), type="R", label=label[:64])))
    return add_planes(datasets, planned)
