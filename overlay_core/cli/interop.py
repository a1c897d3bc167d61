"""Interoperability commands: ``export-seg``, ``import-seg``, ``export-gsps``, ``export-sc``.

SEG, presentation states and burned-in Secondary Captures, each made by the one dispatcher
:func:`overlay_core.interop.kinds.derived_bytes` (which reads the file back and checks it
before it is written). The exporters are imported when a command runs, so that the other
commands start without highdicom.
"""

from __future__ import annotations

import argparse

from overlay_core.cli.common import (
    Command,
    add_derived_out,
    add_file,
    add_frame,
    add_groups,
    add_out,
    check_output,
    frame_index,
    read_dataset,
    write,
)
from overlay_core.planes.reading import read_planes
from overlay_core.planes.writing import checked_bytes

__all__ = ["COMMANDS"]


def _configure_export_seg(parser: argparse.ArgumentParser) -> None:
    add_file(parser, group=False)
    add_derived_out(parser, "DICOM Segmentation")
    add_groups(parser)
    parser.add_argument("--labelmap", action="store_true",
                        help="write a LABELMAP SEG (one label per pixel; the planes must not overlap)")


def _run_export_seg(args: argparse.Namespace) -> int:
    from overlay_core.interop.kinds import DerivedKind, derived_bytes

    ds = read_dataset(args.file)
    check_output(args.out, args.file)
    data = derived_bytes(ds, DerivedKind.SEG, args.groups, labelmap=args.labelmap)
    write(args.out, args.file, data)
    count = len(args.groups) if args.groups else len(read_planes(ds))
    print(f"Wrote a {'LABELMAP ' if args.labelmap else ''}SEG with {count} segment(s) to {args.out}.")
    return 0


def _configure_import_seg(parser: argparse.ArgumentParser) -> None:
    add_file(parser, group=False)
    parser.add_argument("--seg", required=True, metavar="SEG", help="a DICOM Segmentation of FILE")
    add_out(parser)
    parser.add_argument("--segment", action="append", type=int, metavar="N", dest="segments",
                        help="a segment number to import (repeat for several; default: all)")
    parser.add_argument("--crop", action="store_true", help="crop each new plane to its content")


def _run_import_seg(args: argparse.Namespace) -> int:
    from overlay_core.interop.seg import import_seg

    ds = read_dataset(args.file)
    check_output(args.out, args.file)
    check_output(args.out, args.seg)
    seg = read_dataset(args.seg)
    planes = import_seg(ds, seg, args.segments, crop=args.crop)
    write(args.out, args.file, checked_bytes(ds, new_sop_instance_uid=args.new_uid))
    groups = ", ".join(p.group_hex for p in planes)
    print(f"Imported {len(planes)} segment(s) into group(s) {groups} and wrote {args.out}.")
    return 0


def _configure_export_gsps(parser: argparse.ArgumentParser) -> None:
    add_file(parser, group=False)
    add_derived_out(parser, "presentation state")
    add_groups(parser)
    add_frame(parser, None)


def _run_export_gsps(args: argparse.Namespace) -> int:
    from overlay_core.interop.kinds import DerivedKind, derived_bytes

    ds = read_dataset(args.file)
    check_output(args.out, args.file)
    data = derived_bytes(ds, DerivedKind.GSPS, args.groups, frame=frame_index(ds, args.frame))
    write(args.out, args.file, data)
    print(f"Wrote a presentation state referencing {args.file} to {args.out}.")
    return 0


def _configure_export_sc(parser: argparse.ArgumentParser) -> None:
    add_file(parser, group=False)
    add_derived_out(parser, "Secondary Capture")
    add_frame(parser, 1)


def _run_export_sc(args: argparse.Namespace) -> int:
    from overlay_core.interop.kinds import DerivedKind, derived_bytes

    ds = read_dataset(args.file)
    check_output(args.out, args.file)
    data = derived_bytes(ds, DerivedKind.SC, frame=frame_index(ds, args.frame))
    write(args.out, args.file, data)
    print(f"Wrote frame {args.frame} with its planes burned in as a Secondary Capture to {args.out}.")
    return 0


COMMANDS: dict[str, Command] = {
    "export-seg": Command("write the planes as a DICOM Segmentation (one segment each)",
                          _configure_export_seg, _run_export_seg),
    "import-seg": Command("add a SEG's segments as planes and write a new file",
                          _configure_import_seg, _run_import_seg),
    "export-gsps": Command("write a presentation state that shows the planes on FILE",
                           _configure_export_gsps, _run_export_gsps),
    "export-sc": Command("write one frame with its planes burned in as an RGB Secondary Capture",
                         _configure_export_sc, _run_export_sc),
}
