"""``deid``: remove the overlays (Basic Profile) or erase the text in them (Clean Graphics).

The file is written through :func:`overlay_core.planes.writing.checked_bytes` (read back,
planes compared: after ``remove`` the written file must hold none), and the report (what
was found, removed and kept, per plane and frame) is printed as one summary line and, with
``--report``, written as JSON. The report holds the words found, so it is as identifying as
the file was: keep it with the original.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from overlay_core.cli.common import Command, add_file, add_out, check_output, read_dataset, write
from overlay_core.errors import InvalidArgumentError, OverlayError
from overlay_core.files.paths import same_file

__all__ = ["COMMANDS", "summary"]

PROFILES = ("remove", "clean-graphics")


def _configure(parser: argparse.ArgumentParser) -> None:
    add_file(parser, group=False)
    parser.add_argument("--profile", required=True, choices=PROFILES,
                        help="remove: every overlay group and embedded overlay bit (PS3.15 Basic Profile); "
                             "clean-graphics: keep the graphics, erase the text found by OCR")
    parser.add_argument("--decompress", action="store_true",
                        help="decode compressed Pixel Data that holds embedded overlays and write it "
                             "uncompressed (otherwise such a file is refused)")
    parser.add_argument("--report", metavar="JSON", help="write the report (words, boxes, actions) here")
    parser.add_argument("--header-deidentified", action="store_true",
                        help="also set Patient Identity Removed to YES: only if the rest of the header "
                             "has been de-identified by another tool")
    add_out(parser)


def summary(report: dict[str, Any]) -> str:
    """Return the one line the command prints.

    >>> summary({"profile": "remove", "planes": [{"group": "6000"}], "decompressed": False})
    'remove: 1 overlay group(s) removed.'
    """
    planes = report.get("planes", [])
    if report["profile"] == "remove":
        text = f"remove: {len(planes)} overlay group(s) removed"
    else:
        words = [w for p in planes for f in p.get("frames", []) for w in f["words"]]
        erased = sum(1 for w in words if w["removed"])
        pixels = sum(int(p.get("pixels_erased", 0)) for p in planes)
        text = (f"clean-graphics: {len(words)} word(s) found in {len(planes)} plane(s), "
                f"{erased} erased ({pixels} pixels)")
    if report.get("decompressed"):
        text += "; Pixel Data decompressed"
    return text + "."


def _run(args: argparse.Namespace) -> int:
    from overlay_core.deid.profiles import deidentify
    from overlay_core.planes.writing import checked_bytes

    ds = read_dataset(args.file)
    check_output(args.out, args.file)
    if args.report:
        check_output(args.report, args.file)
        if same_file(args.report, args.out):
            raise InvalidArgumentError(f"The report {args.report} would replace the output file; "
                                       "give it another name.")
    report = deidentify(ds, args.profile, decompress_image=args.decompress,
                        header_deidentified=args.header_deidentified)
    data = checked_bytes(ds, new_sop_instance_uid=args.new_uid)
    report["file"] = args.file
    write(args.out, args.file, data)
    if args.report:
        try:
            write(args.report, args.file, (json.dumps(report, indent=2) + "\n").encode())
        except OverlayError:
            # Exit 2 writes nothing: a de-identified file without the report of what was erased
            # (the words, kept with the original) would be taken for a finished run.
            Path(args.out).unlink(missing_ok=True)
            raise
    print(f"{summary(report)[:-1]}; wrote {args.out}.")
    return 0


COMMANDS: dict[str, Command] = {
    "deid": Command("de-identify the overlays: remove them, or erase the text in them (Clean Graphics)",
                    _configure, _run),
}
