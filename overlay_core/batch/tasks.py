r"""What a batch does to one file: audit, migrate, strip, render, masks, seg, rtstruct, nifti or deid.

:func:`run_task` is the one task function a batch sends to its workers (a process pool
or a Dask cluster). It takes an :class:`~overlay_core.batch.sources.Item`, writes the file's
outputs under the output folder, at the item's ``relative`` path, and returns the file's
report record, a JSON-ready dict. It never raises: a file that fails returns
``status: "failed"`` and a one-line ``error``, and the batch goes on. A file that is
not DICOM at all (no ``DICM`` prefix, and not readable as DICOM without it: a README, a
``.tsv``, an ``.npz`` beside the images) is ``status: "skipped"``, not a failure.

Every record has ``file`` (the item's key), ``task``, ``status`` (``"ok"``,
``"failed"`` or ``"skipped"``), ``error`` (``None`` or one line) and ``outputs`` (paths
relative to the output folder); a skipped file's ``note`` says why. Each task adds its own fields:

``audit``
    ``image``, ``overlays`` (each plane's ``statistics`` included) and ``diagnostics``
    exactly as ``info --json`` prints them.
``migrate``
    ``migrated``: the groups moved from Pixel Data to (60xx,3000). Writes the file to
    ``relative`` (unchanged bytes when nothing was embedded).
``strip``
    ``removed``: each overlay group removed, with its size, type, label, set pixels and
    whether it was embedded (or why it was unusable); ``removed_other_groups``: odd or
    out-of-range 60xx groups removed too. Writes the file to ``relative``.
``render``
    One PNG per frame with every plane burnt in (``relative + ".png"``, or
    ``".0001.png"``, ``".0002.png"``… for a multi-frame image).
``masks``
    ``masks``: each usable plane placed on the image, saved as ``relative + ".6000.npy"``
    (uint8 0/1, ``(image frames, rows, cols)``); ``unusable_groups`` lists the others.
``seg``
    One DICOM Segmentation per file, ``relative + ".seg.dcm"``, a BINARY segment per plane
    that has pixels on the image (:func:`overlay_core.interop.kinds.derived_bytes`, read back and checked);
    ``segments``: their groups, in segment order; ``left_out``: planes with no pixel on the image.
``rtstruct``
    One RT Structure Set per file, ``relative + ".rtstruct.dcm"``, an ROI per plane with
    pixels on the image (:func:`overlay_core.interop.rtstruct.rtstruct_bytes`, checked);
    ``rois``: their groups, in ROI order; ``left_out`` as for ``seg``. A file without
    patient geometry gets a ``note`` and no output.
``nifti``
    One 0/1 NIfTI mask per plane with pixels on the image, ``relative + ".6000.nii.gz"``,
    on the voxel grid ``dcm2niix`` gives the image (:func:`overlay_core.interop.nifti.nifti_bytes`,
    checked; one file per plane, since planes may overlap); ``planes``: their groups;
    ``left_out`` as for ``seg``. A file without patient geometry gets a ``note``.
``deid``
    The overlays de-identified with ``Options.profile`` (:func:`overlay_core.deid.profiles.deidentify`),
    written to ``relative`` through the checked write path; ``deid``: the file's report (per
    plane and frame the words found, their boxes, what was removed or kept).

A DICOM file written (``migrate``, ``strip``, ``deid``; with a new SOP Instance UID under
``Options.new_uid``) is read back and checked first
(:func:`overlay_core.planes.writing.checked_bytes`): one that does not read back as
edited fails the file and writes nothing. Outputs are written to a temporary name and
renamed, so a worker killed mid-write leaves no half file under the final name, and no
output ever replaces its input file.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from overlay_core.batch.sources import Item
from overlay_core.errors import InvalidArgumentError, NotDicomError, OverlayError
from overlay_core.files.paths import same_file
from overlay_core.model import FIRST_GROUP, group_hex
from overlay_core.planes.reading import image_info, load, overlay_groups, read_planes, unpack_plane

__all__ = ["NOT_DICOM", "TASKS", "Options", "failure_record", "one_line", "run_task", "worker_modules"]

#: The ``note`` of a record skipped because the file is not DICOM.
NOT_DICOM = "Not a DICOM file (no DICM prefix, and not readable as DICOM): skipped."

#: The highest group number of the overlay repeating groups' range, odd groups included.
_LAST_60XX = 0x60FF


@dataclass(frozen=True)
class Options:
    """Settings of a batch that some tasks use.

    Attributes
    ----------
    max_size : int or None
        ``render``: the longest side of each PNG in pixels (default: full resolution).
    profile : str
        ``deid``: ``"remove"`` or ``"clean-graphics"``.
    decompress : bool
        ``deid``: decode compressed Pixel Data that holds embedded overlays.
    new_uid : bool
        ``migrate``, ``strip``, ``deid``: give each file they change a new SOP Instance UID
        (as ``--new-uid`` does for one file; a file without one cannot be written otherwise).
        A file copied unchanged keeps its bytes.
    """

    max_size: int | None = None
    profile: str = "remove"
    decompress: bool = False
    new_uid: bool = False


def one_line(exc: BaseException, limit: int = 400) -> str:
    r"""Return an exception as one line: our own messages as they are, others with their type.

    >>> one_line(ValueError("bad\n  value"))
    'ValueError: bad value'
    >>> one_line(InvalidArgumentError("The frame is out of range."))
    'The frame is out of range.'
    """
    text = " ".join(str(exc).split())
    if not isinstance(exc, OverlayError):
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _record(task: str, item: Item) -> dict[str, Any]:
    record: dict[str, Any] = {"file": item.key, "task": task, "status": "ok", "error": None, "outputs": []}
    if task == "audit":
        record.update(image=None, overlays=[], diagnostics=[])
    return record


def failure_record(task: str, item: Item, error: str) -> dict[str, Any]:
    """Return the record of a file that failed outside :func:`run_task` (e.g. its worker died)."""
    record = _record(task, item)
    record.update(status="failed", error=error)
    return record


class _Writer:
    """Writes one item's outputs under ``out``, never over the input, atomically."""

    def __init__(self, out: Path, item: Item, record: dict[str, Any]) -> None:
        self.out, self.item, self.record = out, item, record

    def write(self, suffix: str, data: bytes) -> None:
        item = self.item
        if not item.relative:
            raise InvalidArgumentError(f"{item.key} has no place in the output folder.")
        relative = item.relative + suffix
        target = self.out / relative
        if item.member is None and same_file(target, item.path):
            raise InvalidArgumentError(f"Refusing to overwrite the input file {item.key}.")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.{os.getpid()}.part")
            partial.write_bytes(data)
            os.replace(partial, target)
        except OSError as exc:
            reason = exc.strerror or exc
            raise InvalidArgumentError(f"The output {relative} could not be written ({reason}).") from None
        self.record["outputs"].append(relative)


# --------------------------------------------------------------------------- the tasks


def _audit(item: Item, out: _Writer, options: Options, record: dict[str, Any]) -> None:
    from overlay_core.audit.summary import info_document
    from overlay_core.edit.stats import with_statistics  # as `info --json`: decodes the image

    ds = load(item.read())
    doc = with_statistics(info_document(ds, item.key), ds)
    record.update(image=doc["image"], overlays=doc["overlays"], diagnostics=doc["diagnostics"])


def _migrate(item: Item, out: _Writer, options: Options, record: dict[str, Any]) -> None:
    from overlay_core.planes.writing import checked_bytes, migrate_embedded

    raw = item.read()
    ds = load(raw)
    migrated = [p.group for p in read_planes(ds) if p.embedded]
    for group in migrated:
        migrate_embedded(ds, group)
    record["migrated"] = [group_hex(g) for g in migrated]
    out.write("", checked_bytes(ds, new_sop_instance_uid=options.new_uid) if migrated else raw)


def _strip(item: Item, out: _Writer, options: Options, record: dict[str, Any]) -> None:
    from overlay_core.planes.writing import checked_bytes, delete_plane

    raw = item.read()
    ds = load(raw)
    removed: list[dict[str, Any]] = []
    for group in overlay_groups(ds):
        entry: dict[str, Any] = {"group": group_hex(group)}
        try:
            plane = unpack_plane(ds, group)[0]
            entry.update(rows=plane.rows, columns=plane.columns, frames=plane.frames,
                         type=plane.type.value, label=plane.label, embedded=plane.embedded,
                         set_bits=plane.set_bits)
        except OverlayError as exc:
            entry["unusable"] = one_line(exc)
        delete_plane(ds, group)
        removed.append(entry)
    others = sorted({int(t) >> 16 for t in ds.keys() if FIRST_GROUP <= int(t) >> 16 <= _LAST_60XX})
    for group in others:
        for t in [t for t in ds.keys() if int(t) >> 16 == group]:
            del ds[t]
    record["removed"] = removed
    record["removed_other_groups"] = [f"{g:04X}" for g in others]
    out.write("", checked_bytes(ds, new_sop_instance_uid=options.new_uid) if removed or others else raw)


def _render(item: Item, out: _Writer, options: Options, record: dict[str, Any]) -> None:
    from overlay_core.render.burn_in import burn_in_png

    ds = load(item.read())
    info = image_info(ds)
    if info.rows == 0:
        record["note"] = "The file has no image to render."
        return
    digits = len(str(info.frames))
    for frame in range(info.frames):
        png = burn_in_png(ds, frame=frame, max_size=options.max_size)
        out.write(".png" if info.frames == 1 else f".{frame + 1:0{max(4, digits)}d}.png", png)


def _masks(item: Item, out: _Writer, options: Options, record: dict[str, Any]) -> None:
    from overlay_core.planes.placement import image_mask

    ds = load(item.read())
    planes = read_planes(ds)
    usable = {p.group for p in planes}
    record["unusable_groups"] = [group_hex(g) for g in overlay_groups(ds) if g not in usable]
    record["masks"] = []
    if image_info(ds).rows == 0:
        record["note"] = "The file has no image to place its planes on."
        return
    for plane in planes:
        placed = image_mask(ds, plane.group)
        buffer = io.BytesIO()
        np.save(buffer, placed.astype(np.uint8))
        out.write(f".{plane.group_hex}.npy", buffer.getvalue())
        record["masks"].append({"group": plane.group_hex, "set_pixels": int(np.count_nonzero(placed))})


def _seg(item: Item, out: _Writer, options: Options, record: dict[str, Any]) -> None:
    from overlay_core.interop.kinds import DerivedKind, derived_bytes
    from overlay_core.planes.placement import image_mask

    ds = load(item.read())
    record.update(segments=[], left_out=[])
    if image_info(ds).rows == 0:
        record["note"] = "The file has no image for a SEG to reference."
        return
    groups = [p.group for p in read_planes(ds)]
    shown = [g for g in groups if image_mask(ds, g).any()]
    record["left_out"] = [group_hex(g) for g in groups if g not in shown]
    if not shown:
        record["note"] = "The file has no plane with pixels on the image, so no SEG."
        return
    out.write(".seg.dcm", derived_bytes(ds, DerivedKind.SEG, shown))
    record["segments"] = [group_hex(g) for g in shown]


def _shown_planes(ds: Any, record: dict[str, Any], what: str) -> list[int]:
    """Return the groups with pixels on the image; note why there are none."""
    from overlay_core.planes.placement import image_mask

    if image_info(ds).rows == 0:
        record["note"] = f"The file has no image for {what} to reference."
        return []
    groups = [p.group for p in read_planes(ds)]
    shown = [g for g in groups if image_mask(ds, g).any()]
    record["left_out"] = [group_hex(g) for g in groups if g not in shown]
    if not shown:
        record["note"] = f"The file has no plane with pixels on the image, so no {what}."
    return shown


def _has_geometry(ds: Any, record: dict[str, Any], purpose: str) -> bool:
    from overlay_core.interop.geometry import frame_geometries

    try:
        frame_geometries(ds, purpose)
    except InvalidArgumentError as exc:
        record["note"] = str(exc)
        return False
    return True


def _rtstruct(item: Item, out: _Writer, options: Options, record: dict[str, Any]) -> None:
    from overlay_core.interop.rtstruct import rtstruct_bytes

    ds = load(item.read())
    record.update(rois=[], left_out=[])
    shown = _shown_planes(ds, record, "RT Structure Set")
    if shown and _has_geometry(ds, record, "contours"):
        out.write(".rtstruct.dcm", rtstruct_bytes([ds], shown))
        record["rois"] = [group_hex(g) for g in shown]


def _nifti(item: Item, out: _Writer, options: Options, record: dict[str, Any]) -> None:
    from overlay_core.interop.nifti import nifti_bytes

    ds = load(item.read())
    record.update(planes=[], left_out=[])
    shown = _shown_planes(ds, record, "NIfTI mask")
    if shown and _has_geometry(ds, record, "a NIfTI volume"):
        for group in shown:
            out.write(f".{group_hex(group)}.nii.gz", nifti_bytes([ds], [group]))
            record["planes"].append(group_hex(group))
def _deid(item: Item, out: _Writer, options: Options, record: dict[str, Any]) -> None:
    from overlay_core.deid.profiles import deidentify
    from overlay_core.planes.writing import checked_bytes

    ds = load(item.read())
    report = deidentify(ds, options.profile, decompress_image=options.decompress)
    out.write("", checked_bytes(ds, new_sop_instance_uid=options.new_uid))
    record["deid"] = report


Task = Callable[[Item, _Writer, Options, dict[str, Any]], None]

#: Every batch task by name, in the order ``--help`` lists them.
TASKS: dict[str, Task] = {
    "audit": _audit,
    "migrate": _migrate,
    "strip": _strip,
    "render": _render,
    "masks": _masks,
    "seg": _seg,
    "rtstruct": _rtstruct,
    "nifti": _nifti,
    "deid": _deid,
}


def worker_modules(task: str) -> list[str]:
    """Return the modules a worker needs for ``task``, to import once before any file.

    >>> compose = "overlay_core.render.compose"
    >>> compose in worker_modules("render"), compose in worker_modules("audit")
    (True, False)
    >>> [m for m in worker_modules("render") if m.startswith("overlay_core.cli")]
    []
    """
    modules = ["overlay_core.batch.tasks", "overlay_core.audit.summary"]
    if task == "audit":  # each plane's statistics, as `info --json` gives them
        modules += ["overlay_core.edit.stats", "overlay_core.render.pixels"]
    if task == "render":
        modules += ["overlay_core.render.burn_in", "overlay_core.render.compose",
                    "overlay_core.render.pixels"]
    if task == "seg":
        modules += ["overlay_core.interop.kinds", "overlay_core.interop.seg", "highdicom"]
    if task == "rtstruct":
        modules += ["overlay_core.interop.rtstruct", "skimage.measure"]
    if task == "nifti":
        modules += ["overlay_core.interop.nifti", "nibabel"]
    if task == "deid":
        modules += ["overlay_core.deid.profiles", "pytesseract", "scipy.ndimage"]
    return modules


def run_task(task: str, out: str, options: Options, item: Item) -> dict[str, Any]:
    """Do ``task`` to one file and return its report record; never raise for a bad file.

    Parameters
    ----------
    task : str
        A key of :data:`TASKS`.
    out : str
        The output folder (absolute, so that workers elsewhere agree on it).
    options : Options
        Task settings.
    item : Item
        The file.

    Returns
    -------
    dict
        The record described in the module's docstring.

    Examples
    --------
    >>> r = run_task("audit", "/tmp", Options(), Item("x", "x", "/no/such/file"))
    >>> r["status"], r["error"]
    ('failed', 'The file x could not be read (No such file or directory).')
    """
    record = _record(task, item)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            TASKS[task](item, _Writer(Path(out), item, record), options, record)
    except NotDicomError as exc:  # README, .tsv, .npz beside the images: skipped, not failed
        if item.has_dicom_prefix():
            record.update(status="failed", error=one_line(exc))
        else:
            record.update(status="skipped", note=NOT_DICOM)
    except Exception as exc:  # one bad file must never stop the batch
        record.update(status="failed", error=one_line(exc))
    return record
