r"""``python -m overlay_core``: inspect, extract and edit overlay planes from scripts.

Exit status 0 on success and 2 for bad input (unreadable or non-DICOM files, unusable
planes, bad arguments), with exactly one line on stderr and no traceback. The input file
is never overwritten: every ``--out`` (and ``--npy``/``--png``) that resolves to the
input is refused.

Subcommands are registered in one place, :data:`COMMANDS`: each is a pair of functions,
one adding its arguments to its parser and one running it. To add a command, write both
and add one line to :data:`COMMANDS`.

Examples
--------
>>> build_parser().parse_args(["delete", "in.dcm", "--group", "6002", "--out", "o.dcm"]).group
24578
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from .checks import check_frame_number
from .edit import Mode, Space, apply_mask
from .errors import InvalidArgumentError, OverlayError, UnsupportedError
from .maskio import mask_png, read_mask
from .model import OverlayPlane, group_hex, parse_group, parse_groups
from .placement import image_mask
from .reading import image_info, load, overlay_groups, read_plane, read_planes, unpack_plane
from .sources import same_file
from .summary import info_document, info_lines
from .writing import Attributes, delete_plane, migrate_embedded, new_plane, to_bytes

__all__ = ["COMMANDS", "Command", "build_parser", "main", "render_png"]

PROG = "python -m overlay_core"


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr, exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())}\n")


@dataclass(frozen=True)
class Command:
    """One subcommand: its help, a function adding its arguments, and its runner."""

    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


# --------------------------------------------------------------------------- helpers


def _group(text: str) -> int:
    try:
        return parse_group(text)
    except InvalidArgumentError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _read_dataset(path: str) -> Dataset:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InvalidArgumentError(f"The file {path} does not exist.") from None
    except IsADirectoryError:
        raise InvalidArgumentError(f"{path} is a folder, not a file.") from None
    except OSError as exc:
        raise InvalidArgumentError(f"The file {path} could not be read ({exc.strerror}).") from None
    return load(data)


def _check_output(out: str, source: str) -> Path:
    """Refuse an output path that is the input file (by path or by identity)."""
    target = Path(out)
    if same_file(target, source):
        raise InvalidArgumentError(f"Refusing to overwrite the input file {source}; choose another output.")
    if target.is_dir():
        raise InvalidArgumentError(f"The output {out} is a folder; give a file name.")
    return target


def _write(out: str, source: str, data: bytes) -> None:
    target = _check_output(out, source)
    try:
        target.write_bytes(data)
    except OSError as exc:
        raise InvalidArgumentError(f"The output {out} could not be written ({exc.strerror}).") from None


def _save_npy(out: str, source: str, array: NDArray[np.bool_]) -> None:
    target = _check_output(out, source)
    try:
        with target.open("wb") as fh:
            np.save(fh, array.astype(np.uint8))
    except OSError as exc:
        raise InvalidArgumentError(f"The output {out} could not be written ({exc.strerror}).") from None


def _save_png(out: str, source: str, bits: NDArray[np.bool_]) -> None:
    """Write frames as one 8-bit grayscale PNG (0 or 255), stacked top to bottom."""
    _write(out, source, mask_png(bits))


def load_mask(path: str, frames: int | None = None) -> NDArray[np.bool_]:
    """Read a ``.npy`` or ``.png`` mask file with :func:`overlay_core.maskio.read_mask`.

    A 2-D PNG is a vertical strip of frames, as ``extract --png`` writes it: with
    ``frames`` given and its height a multiple of it, it is split into that many frames.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in (".npy", ".png"):
        raise InvalidArgumentError(f"The mask {path} must be a .npy or .png file.")
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InvalidArgumentError(f"The mask file {path} does not exist.") from None
    except OSError as exc:
        raise InvalidArgumentError(f"The mask {path} could not be read ({exc.strerror}).") from None
    mask = read_mask(data)
    if mask.ndim == 2 and suffix == ".png" and frames and frames > 1 and mask.shape[0] % frames == 0:
        mask = mask.reshape(frames, mask.shape[0] // frames, mask.shape[1])
    return mask


def _shape_text(shape: Sequence[int]) -> str:
    return " x ".join(str(v) for v in shape)


def _report(out: str, plane: OverlayPlane, verb: str) -> None:
    print(
        f"{verb} group {plane.group_hex} ({_shape_text(plane.shape)}, {plane.set_bits} pixels set) "
        f"and wrote {out}."
    )


def _attributes(args: argparse.Namespace) -> Attributes:
    origin = (int(args.origin[0]), int(args.origin[1])) if getattr(args, "origin", None) else None
    return Attributes(
        origin=origin,
        type=getattr(args, "type", None),
        label=getattr(args, "label", None),
        description=getattr(args, "description", None),
    )


def _add_out(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, metavar="OUT", help="the DICOM file to write (never FILE)")
    parser.add_argument("--new-uid", action="store_true", help="give the written file a new SOP Instance UID")


def _add_file(parser: argparse.ArgumentParser, group: bool = True) -> None:
    parser.add_argument("file", metavar="FILE", help="a DICOM file")
    if group:
        parser.add_argument("--group", required=True, type=_group, metavar="G",
                            help="the overlay group, an even hex number 6000 to 601E")


# --------------------------------------------------------------------------- info


def _configure_info(parser: argparse.ArgumentParser) -> None:
    _add_file(parser, group=False)
    parser.add_argument("--json", action="store_true", help="print JSON (schema in the README)")


def _run_info(args: argparse.Namespace) -> int:
    ds = _read_dataset(args.file)
    doc = info_document(ds, args.file)
    if args.json:
        print(json.dumps(doc, indent=2))
        return 0
    print("\n".join(info_lines(doc, len(overlay_groups(ds)))))
    return 0


# --------------------------------------------------------------------------- extract, mask


def _configure_extract(parser: argparse.ArgumentParser) -> None:
    _add_file(parser)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--npy", metavar="OUT", help="write uint8 0/1, shape (frames, rows, cols)")
    target.add_argument("--png", metavar="OUT",
                        help="write an 8-bit PNG (0/255); several frames are stacked top to bottom")


def _run_extract(args: argparse.Namespace) -> int:
    ds = _read_dataset(args.file)
    plane, bits, _ = unpack_plane(ds, args.group)
    if args.npy:
        _save_npy(args.npy, args.file, bits)
    else:
        _save_png(args.png, args.file, bits)
    print(f"Wrote group {plane.group_hex} ({_shape_text(bits.shape)}, {plane.set_bits} pixels set) "
          f"to {args.npy or args.png}.")
    return 0


def _configure_mask(parser: argparse.ArgumentParser) -> None:
    _add_file(parser)
    parser.add_argument("--npy", required=True, metavar="OUT",
                        help="write uint8 0/1, shape (image frames, image rows, image cols)")


def _run_mask(args: argparse.Namespace) -> int:
    ds = _read_dataset(args.file)
    placed = image_mask(ds, args.group)
    _save_npy(args.npy, args.file, placed)
    print(f"Wrote group {group_hex(args.group)} in image space ({_shape_text(placed.shape)}, "
          f"{int(placed.sum())} pixels set) to {args.npy}.")
    return 0


# --------------------------------------------------------------------------- apply


#: Deprecated spellings still accepted, each with a warning on stderr.
_ALIASES: dict[str, dict[str, Mode | Space]] = {
    "--mode": {"add": Mode.DRAW},
    "--space": {"overlay": Space.PLANE},
}


def _configure_apply(parser: argparse.ArgumentParser) -> None:
    _add_file(parser)
    parser.add_argument("--mask", required=True, metavar="M",
                        help="a .npy array or .png image (see the README for the PNG rule)")
    _add_out(parser)
    parser.add_argument("--mode", choices=[*(m.value for m in Mode), *_ALIASES["--mode"]],
                        default=Mode.REPLACE.value,
                        help="replace the plane's bits (default), draw the mask onto them or erase it "
                             "('add' is a deprecated alias of 'draw')")
    parser.add_argument("--space", choices=[*(m.value for m in Space), *_ALIASES["--space"]],
                        default=Space.PLANE.value,
                        help="the mask has the plane's own (frames,) rows, cols (default) or the image's "
                             "('overlay' is a deprecated alias of 'plane')")


def _choice(args: argparse.Namespace, option: str, value: str) -> str:
    alias = _ALIASES[option].get(value)
    if alias is None:
        return value
    print(f"{PROG} {args.command}: warning: {option} {value} is deprecated; use {option} {alias}.",
          file=sys.stderr)
    return alias.value


def _run_apply(args: argparse.Namespace) -> int:
    ds = _read_dataset(args.file)
    _check_output(args.out, args.file)
    mode, space = _choice(args, "--mode", args.mode), _choice(args, "--space", args.space)
    try:
        frames: int | None = read_plane(ds, args.group).frames
    except OverlayError:
        frames = None
    result = apply_mask(ds, args.group, load_mask(args.mask, frames), mode, space, frame=None)
    _write(args.out, args.file, to_bytes(ds, new_sop_instance_uid=args.new_uid))
    _report(args.out, result, "Set")
    return 0


# --------------------------------------------------------------------------- new, delete, migrate


def _configure_new(parser: argparse.ArgumentParser) -> None:
    _add_file(parser, group=False)
    _add_out(parser)
    parser.add_argument("--mask", metavar="M",
                        help="a .npy or .png mask (default: an empty image-sized plane)")
    parser.add_argument("--label", help="(60xx,1500) Overlay Label")
    parser.add_argument("--description", help="(60xx,0022) Overlay Description")
    parser.add_argument("--type", choices=("G", "R"), help="(60xx,0040) Overlay Type (default G)")
    parser.add_argument("--origin", type=int, nargs=2, metavar=("ROW", "COL"),
                        help="(60xx,0050) Overlay Origin, 1-based (default 1 1)")


def _run_new(args: argparse.Namespace) -> int:
    ds = _read_dataset(args.file)
    _check_output(args.out, args.file)
    mask = load_mask(args.mask) if args.mask else None
    plane = new_plane(ds, mask, _attributes(args))
    _write(args.out, args.file, to_bytes(ds, new_sop_instance_uid=args.new_uid))
    _report(args.out, plane, "Created")
    return 0


def _configure_group_out(parser: argparse.ArgumentParser) -> None:
    _add_file(parser)
    _add_out(parser)


def _run_delete(args: argparse.Namespace) -> int:
    ds = _read_dataset(args.file)
    _check_output(args.out, args.file)
    delete_plane(ds, args.group)
    _write(args.out, args.file, to_bytes(ds, new_sop_instance_uid=args.new_uid))
    print(f"Deleted group {group_hex(args.group)} and wrote {args.out}.")
    return 0


def _run_migrate(args: argparse.Namespace) -> int:
    ds = _read_dataset(args.file)
    _check_output(args.out, args.file)
    plane = migrate_embedded(ds, args.group)
    _write(args.out, args.file, to_bytes(ds, new_sop_instance_uid=args.new_uid))
    _report(args.out, plane, "Migrated")
    return 0


# --------------------------------------------------------------------------- render


def _configure_render(parser: argparse.ArgumentParser) -> None:
    _add_file(parser, group=False)
    parser.add_argument("--out", required=True, metavar="PNG", help="the PNG file to write (never FILE)")
    parser.add_argument("--frame", type=int, default=1, metavar="K", help="1-based frame number (default 1)")
    parser.add_argument("--window", type=float, nargs=2, metavar=("CENTER", "WIDTH"),
                        help="a LINEAR window (default: the file's first preset, else min to max)")
    parser.add_argument("--overlays", default="all", metavar="all|none|6000,6002",
                        help="the planes to paint, each in its palette colour (default all)")
    parser.add_argument("--max-size", type=int, metavar="N",
                        help="the longest side in pixels (default: full resolution)")


def render_png(
    ds: Dataset,
    *,
    frame: int = 1,
    window: tuple[float, float] | None = None,
    overlays: str | Iterable[int | str] = "all",
    max_size: int | None = None,
) -> bytes:
    """Render a frame with its overlay planes to PNG bytes, as the CLI does.

    Every shown plane, G and R alike, paints its set pixels in its palette colour at full
    opacity; nothing else changes.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The image and its overlay groups.
    frame : int, optional
        **1-based** frame number (DICOM numbering), default 1.
    window : (float, float), optional
        A manual LINEAR window ``(center, width)``; default: the file's first preset, else
        the automatic min-max window.
    overlays : str or iterable, optional
        ``"all"`` (every usable plane), ``"none"``, or groups such as ``"6000,6002"``.
    max_size : int, optional
        The longest side of the output; default: full resolution.

    Raises
    ------
    InvalidArgumentError
        For a file without an image, a frame out of range, a bad window or group.
    PlaneNotFoundError, InvalidOverlayError
        If a listed group is absent or unusable.
    UnsupportedError
        If the image cannot be decoded (the message says why).
    """
    # Rendering is imported here, so that the other commands start without it.
    from .pixels import check_frame, frame_image
    from .render import render
    from .styles import PlaneStyle, default_color, default_styles
    from .windowing import manual_window

    info = image_info(ds)
    if info.rows == 0:
        check_frame(info, 0)
    check_frame_number(frame, info.frames)
    if max_size is not None and max_size < 1:
        raise InvalidArgumentError(f"The maximum size must be at least 1 pixel, not {max_size}.")
    voi = manual_window(*window) if window is not None else None
    groups = parse_groups(overlays)
    styles = (default_styles(read_planes(ds), roi_look=False) if groups is None
              else [PlaneStyle(g, default_color(g)) for g in groups])
    image = frame_image(ds, frame - 1, voi)
    if image.missing_reason is not None:
        raise UnsupportedError(image.missing_reason)
    return render(ds, frame=frame - 1, styles=styles, max_size=max_size, image=image).png()


def _run_render(args: argparse.Namespace) -> int:
    ds = _read_dataset(args.file)
    _check_output(args.out, args.file)
    png = render_png(ds, frame=args.frame, window=args.window, overlays=args.overlays, max_size=args.max_size)
    _write(args.out, args.file, png)
    print(f"Rendered frame {args.frame} with overlays {args.overlays} and wrote {args.out}.")
    return 0


# --------------------------------------------------------------------------- batch


#: The batch tasks (:data:`overlay_core.tasks.TASKS`, named here so that parsing imports nothing).
BATCH_TASKS = ("audit", "migrate", "strip", "render", "masks", "seg")


def _configure_batch(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("task", choices=BATCH_TASKS, metavar="TASK",
                        help=f"what to do to each file: {', '.join(BATCH_TASKS)}")
    parser.add_argument("sources", nargs="+", metavar="SOURCE",
                        help="folders (recursive), .zip files or files")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="the output folder: report.jsonl, summary.csv, outputs mirroring the sources")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on a Dask cluster: a scheduler address (tcp://host:8786), or local "
                             "to start a LocalCluster of --workers processes")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="local worker processes (default: the number of CPUs)")
    parser.add_argument("--resume", action="store_true",
                        help="skip the files the report in DIR has as done, and append to it")
    parser.add_argument("--max-size", type=int, metavar="N",
                        help="render: the longest side of each PNG (default: full resolution)")


#: Files per Dask task: amortises the scheduler's few milliseconds per task.
DASK_CHUNK = 8


def _run_batch(args: argparse.Namespace) -> int:
    import time

    from .batch import dask_executor, run_batch
    from .tasks import Options, worker_modules

    if args.workers is not None and args.workers < 1:
        raise InvalidArgumentError(f"--workers must be at least 1, not {args.workers}.")
    if args.scheduler and args.scheduler != "local" and args.workers is not None:
        raise InvalidArgumentError(
            "--workers applies to the local pool or --scheduler local, not to a cluster."
        )
    if args.max_size is not None and args.max_size < 1:
        raise InvalidArgumentError(f"--max-size must be at least 1 pixel, not {args.max_size}.")
    options = Options(max_size=args.max_size)
    start = time.perf_counter()
    try:
        if args.scheduler:
            modules = worker_modules(args.task)
            with dask_executor(args.scheduler, args.workers, modules) as (executor, threads):
                result = run_batch(args.task, args.sources, args.out, workers=executor, resume=args.resume,
                                   options=options, chunk=DASK_CHUNK, in_flight=2 * threads)
        else:
            result = run_batch(args.task, args.sources, args.out, workers=args.workers, resume=args.resume,
                               options=options)
    except KeyboardInterrupt:
        print(f"{PROG} batch: interrupted; the report so far is in {args.out}; add --resume to continue.",
              file=sys.stderr)
        return 130
    skipped = f", {result.skipped} skipped as done before" if result.skipped else ""
    print(f"{args.task}: {result.processed} file(s) in {time.perf_counter() - start:.1f} s, "
          f"{result.processed - result.failed} ok, {result.failed} failed{skipped}; "
          f"report {result.report}, summary {result.summary}.")
    if result.failed:
        print(f"{PROG} batch: {result.failed} of {result.processed} file(s) failed; see {result.report}.",
              file=sys.stderr)
        return 1
    return 0


# --------------------------------------------------------------------------- registry, main

#: Every subcommand, in the order ``--help`` lists them.
COMMANDS: dict[str, Command] = {
    "info": Command("show the image, every overlay plane and the diagnostics", _configure_info, _run_info),
    "extract": Command("write a plane's own bits (frames, rows, cols)", _configure_extract, _run_extract),
    "mask": Command("write a plane placed on the image (frames, rows, cols)", _configure_mask, _run_mask),
    "apply": Command("set a plane from a mask and write a new file", _configure_apply, _run_apply),
    "new": Command("create a plane in the first free group", _configure_new, _run_new),
    "delete": Command("remove a plane (all of its elements)", _configure_group_out, _run_delete),
    "migrate": Command("move a plane embedded in Pixel Data to Overlay Data", _configure_group_out,
                       _run_migrate),
    "render": Command("draw a frame with its overlay planes to a PNG", _configure_render, _run_render),
    "batch": Command("run a task (audit, migrate, strip, render, masks, seg) over folders and .zip files "
                     "on worker processes or a Dask cluster", _configure_batch, _run_batch),
}


# --------------------------------------------------------------------------- interoperability
# SEG, presentation states and burned-in Secondary Captures (overlay_core.seg, .gsps,
# .secondary_capture); every file is read back and checked before it is written.


def _add_derived_out(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--out", required=True, metavar="OUT", help=f"the {what} to write (never FILE)")


def _add_groups(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--group", action="append", type=_group, metavar="G", dest="groups",
                        help="a plane to include (repeat for several; default: every usable plane)")


def _add_frame(parser: argparse.ArgumentParser, default: int | None) -> None:
    parser.add_argument("--frame", type=int, default=default, metavar="N",
                        help="1-based image frame" + (f" (default {default})" if default else ""))


def _frame_index(ds: Dataset, frame: int | None) -> int | None:
    if frame is None:
        return None
    info = image_info(ds)
    if info.rows:  # without an image, the export itself says so
        check_frame_number(frame, info.frames)
    return frame - 1


def _configure_export_seg(parser: argparse.ArgumentParser) -> None:
    _add_file(parser, group=False)
    _add_derived_out(parser, "DICOM Segmentation")
    _add_groups(parser)


def _run_export_seg(args: argparse.Namespace) -> int:
    from .seg import seg_bytes

    ds = _read_dataset(args.file)
    _check_output(args.out, args.file)
    data = seg_bytes(ds, args.groups)
    _write(args.out, args.file, data)
    count = len(args.groups) if args.groups else len(read_planes(ds))
    print(f"Wrote a SEG with {count} segment(s) to {args.out}.")
    return 0


def _configure_import_seg(parser: argparse.ArgumentParser) -> None:
    _add_file(parser, group=False)
    parser.add_argument("--seg", required=True, metavar="SEG", help="a DICOM Segmentation of FILE")
    _add_out(parser)
    parser.add_argument("--segment", action="append", type=int, metavar="N", dest="segments",
                        help="a segment number to import (repeat for several; default: all)")
    parser.add_argument("--crop", action="store_true", help="crop each new plane to its content")


def _run_import_seg(args: argparse.Namespace) -> int:
    from .seg import import_seg

    ds = _read_dataset(args.file)
    _check_output(args.out, args.file)
    _check_output(args.out, args.seg)
    seg = _read_dataset(args.seg)
    planes = import_seg(ds, seg, args.segments, crop=args.crop)
    _write(args.out, args.file, to_bytes(ds, new_sop_instance_uid=args.new_uid))
    groups = ", ".join(p.group_hex for p in planes)
    print(f"Imported {len(planes)} segment(s) into group(s) {groups} and wrote {args.out}.")
    return 0


def _configure_export_gsps(parser: argparse.ArgumentParser) -> None:
    _add_file(parser, group=False)
    _add_derived_out(parser, "presentation state")
    _add_groups(parser)
    _add_frame(parser, None)


def _run_export_gsps(args: argparse.Namespace) -> int:
    from .gsps import gsps_bytes

    ds = _read_dataset(args.file)
    _check_output(args.out, args.file)
    data = gsps_bytes(ds, args.groups, _frame_index(ds, args.frame))
    _write(args.out, args.file, data)
    print(f"Wrote a presentation state referencing {args.file} to {args.out}.")
    return 0


def _configure_export_sc(parser: argparse.ArgumentParser) -> None:
    _add_file(parser, group=False)
    _add_derived_out(parser, "Secondary Capture")
    _add_frame(parser, 1)


def _run_export_sc(args: argparse.Namespace) -> int:
    from .secondary_capture import sc_bytes

    ds = _read_dataset(args.file)
    _check_output(args.out, args.file)
    frame = _frame_index(ds, args.frame)
    data = sc_bytes(ds, frame or 0)
    _write(args.out, args.file, data)
    print(f"Wrote frame {args.frame} with its planes burned in as a Secondary Capture to {args.out}.")
    return 0


COMMANDS.update({
    "export-seg": Command("write the planes as a DICOM Segmentation (one segment each)",
                          _configure_export_seg, _run_export_seg),
    "import-seg": Command("add a SEG's segments as planes and write a new file",
                          _configure_import_seg, _run_import_seg),
    "export-gsps": Command("write a presentation state that shows the planes on FILE",
                           _configure_export_gsps, _run_export_gsps),
    "export-sc": Command("write one frame with its planes burned in as an RGB Secondary Capture",
                         _configure_export_sc, _run_export_sc),
})


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with one subparser per entry of :data:`COMMANDS`."""
    parser = _Parser(prog=PROG, description="Inspect, extract and edit DICOM overlay planes.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in COMMANDS.items():
        child = sub.add_parser(name, help=command.help, description=command.help)
        command.configure(child)
        child.set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 success, 2 bad input).

    Usage errors exit through :class:`SystemExit` with status 2, as argparse does.
    """
    args = build_parser().parse_args(argv)
    try:
        status: int = args.run(args)
    except OverlayError as exc:
        print(f"{PROG} {args.command}: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `info FILE | head`: stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return status
