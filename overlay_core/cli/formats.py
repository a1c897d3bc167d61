"""RTSTRUCT and NIfTI: ``export-rtstruct``, ``import-rtstruct``, ``export-nifti``, ``import-nifti``.

Each takes one image or the images of one series (several FILE arguments, ordered as
the app orders a series). Exports are read back and checked before they are written;
imports write every image through :func:`overlay_core.planes.writing.checked_bytes`: one
FILE to ``--out`` (a file), several into ``--out`` (a folder, created if needed), each
under its own name. Nothing is written unless everything succeeds.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pydicom.dataset import Dataset

from overlay_core.cli.common import Command, add_groups, check_output, read_dataset, write
from overlay_core.errors import InvalidArgumentError
from overlay_core.files.paths import same_file
from overlay_core.model import OverlayPlane
from overlay_core.planes.reading import load

__all__ = ["COMMANDS"]


def _add_files(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="an image, or the images of one series (any order)")


def _read_all(files: list[str]) -> list[Dataset]:
    return [read_dataset(path) for path in files]


def _check_out(out: str, files: list[str], *extra: str) -> None:
    for source in [*files, *extra]:
        check_output(out, source)


def _targets(out: str, files: list[str]) -> list[Path]:
    """Return where each imported image goes: ``out`` for one FILE, ``out/NAME`` for several."""
    if len(files) == 1:
        check_output(out, files[0])
        return [Path(out)]
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise InvalidArgumentError(f"The output {out} is a file; give a folder for several images.")
    names = [Path(f).name for f in files]
    if len(set(names)) != len(names):
        raise InvalidArgumentError(
            "Two input files have the same name, so they cannot share the output folder."
        )
    targets = [folder / name for name in names]
    for target in targets:
        for source in files:
            if same_file(target, source):
                raise InvalidArgumentError(
                    f"Refusing to overwrite the input file {source}; choose another folder."
                )
    return targets


def _write_images(out: str, files: list[str], datasets: list[Dataset]) -> list[Path]:
    from overlay_core.planes.writing import checked_bytes

    targets = _targets(out, files)
    data = [checked_bytes(ds) for ds in datasets]  # every check before the first write
    if len(files) > 1:
        try:
            Path(out).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            reason = exc.strerror
            raise InvalidArgumentError(f"The output folder {out} could not be made ({reason}).") from None
    for target, source, payload in zip(targets, files, data, strict=True):
        write(str(target), source, payload)
    return targets


def _summary(added: list[list[OverlayPlane]]) -> str:
    groups = sorted({p.group_hex for planes in added for p in planes})
    images = sum(1 for planes in added if planes)
    return f"group(s) {', '.join(groups) or 'none'} on {images} image(s)"


# --------------------------------------------------------------------------- RTSTRUCT


def _configure_export_rtstruct(parser: argparse.ArgumentParser) -> None:
    _add_files(parser)
    parser.add_argument("--out", required=True, metavar="OUT",
                        help="the RT Structure Set to write (never FILE)")
    add_groups(parser)


def _run_export_rtstruct(args: argparse.Namespace) -> int:
    from overlay_core.interop.rtstruct import read_rois, rtstruct_bytes

    datasets = _read_all(args.files)
    _check_out(args.out, args.files)
    data = rtstruct_bytes(datasets, args.groups)
    write(args.out, args.files[0], data)
    count = len(read_rois(load(data)))
    print(f"Wrote an RT Structure Set with {count} ROI(s) over {len(datasets)} image(s) to {args.out}.")
    return 0


def _configure_import_rtstruct(parser: argparse.ArgumentParser) -> None:
    _add_files(parser)
    parser.add_argument("--rtstruct", required=True, metavar="RS", help="an RT Structure Set of the images")
    parser.add_argument("--out", required=True, metavar="OUT",
                        help="the file to write (one FILE) or the folder (several)")
    parser.add_argument("--roi", action="append", type=int, metavar="N", dest="rois",
                        help="an ROI number to import (repeat for several; default: all)")


def _run_import_rtstruct(args: argparse.Namespace) -> int:
    from overlay_core.interop.rtstruct import import_rtstruct

    datasets = _read_all(args.files)
    if len(args.files) == 1:
        check_output(args.out, args.rtstruct)
    rs = read_dataset(args.rtstruct)
    added = import_rtstruct(datasets, rs, args.rois)
    _write_images(args.out, args.files, datasets)
    print(f"Imported the structures into {_summary(added)} and wrote {args.out}.")
    return 0


# --------------------------------------------------------------------------- NIfTI


def _configure_export_nifti(parser: argparse.ArgumentParser) -> None:
    _add_files(parser)
    parser.add_argument("--out", required=True, metavar="OUT", help="the mask to write: .nii.gz or .nii")
    add_groups(parser)


def _run_export_nifti(args: argparse.Namespace) -> int:
    from overlay_core.interop.nifti import nifti_bytes

    name = args.out.lower()
    if not (name.endswith(".nii.gz") or name.endswith(".nii")):
        raise InvalidArgumentError(f"The NIfTI output {args.out} must end in .nii.gz or .nii.")
    datasets = _read_all(args.files)
    _check_out(args.out, args.files)
    data = nifti_bytes(datasets, args.groups, compressed=name.endswith(".gz"))
    write(args.out, args.files[0], data)
    print(f"Wrote a NIfTI mask of {len(datasets)} image(s) on dcm2niix's voxel grid to {args.out}.")
    return 0


def _configure_import_nifti(parser: argparse.ArgumentParser) -> None:
    _add_files(parser)
    parser.add_argument("--nifti", required=True, metavar="M", help="a NIfTI mask on the images' voxel grid")
    parser.add_argument("--out", required=True, metavar="OUT",
                        help="the file to write (one FILE) or the folder (several)")


def _run_import_nifti(args: argparse.Namespace) -> int:
    from overlay_core.interop.nifti import import_nifti

    datasets = _read_all(args.files)
    if len(args.files) == 1:
        check_output(args.out, args.nifti)
    try:
        data = Path(args.nifti).read_bytes()
    except OSError as exc:
        reason = exc.strerror
        raise InvalidArgumentError(f"The NIfTI file {args.nifti} could not be read ({reason}).") from None
    added = import_nifti(datasets, data, name=Path(args.nifti).name)
    _write_images(args.out, args.files, datasets)
    print(f"Imported the mask into {_summary(added)} and wrote {args.out}.")
    return 0


COMMANDS: dict[str, Command] = {
    "export-rtstruct": Command("write the planes of an image or a series as an RT Structure Set",
                               _configure_export_rtstruct, _run_export_rtstruct),
    "import-rtstruct": Command("add an RT Structure Set's ROIs as planes and write the images",
                               _configure_import_rtstruct, _run_import_rtstruct),
    "export-nifti": Command("write the planes of an image or a series as a NIfTI mask volume",
                            _configure_export_nifti, _run_export_nifti),
    "import-nifti": Command("add a NIfTI mask's labels as planes and write the images",
                            _configure_import_nifti, _run_import_nifti),
}
