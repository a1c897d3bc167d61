"""overlay_core.files.archive: the members of a zip upload, checked before decompression."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from overlay_core.batch.sources import walk
from overlay_core.errors import InvalidArgumentError
from overlay_core.files.archive import skipped, zip_members

#: One rule for uploads and batches: what is skipped, and what is read.
SKIPPED = [".git/x.dcm", "a/.git/objects/y.dcm", "__MACOSX/._a.dcm", "x/__MACOSX/y.dcm", "DICOMDIR",
           "a/dicomdir", "a/DicomDir", ".DS_Store"]
READ = ["a/1.dcm", "x/git/2.dcm", "MACOSX/3.dcm", "DICOMDIR.dcm", "dicomdir2"]


def _zip(files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_members_in_order_without_folders_and_hidden_files() -> None:
    data = _zip({"b/2.dcm": b"two", "a/1.dcm": b"one", ".DS_Store": b"x", "__MACOSX/a/._1.dcm": b"",
                 "DICOMDIR": b"dir"})
    assert zip_members(data) == [("2.dcm", b"two"), ("1.dcm", b"one")]


def test_a_bomb_is_refused_before_it_is_inflated() -> None:
    data = _zip({"big.dcm": b"\0" * 5_000_000})  # a few kB compressed
    assert len(data) < 50_000
    with pytest.raises(InvalidArgumentError, match=r"add up to 5 MB; at most 1 MB"):
        zip_members(data, max_bytes=2**20)


@pytest.mark.parametrize(("data", "match"), [
    (b"PK\x03\x04garbage", "cannot be read"),
    (_zip({}), "holds no file"),
    (_zip({f"{i}.dcm": b"x" for i in range(5)}), "holds 5 files; at most 4"),
])
def test_unusable_zips(data: bytes, match: str) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        zip_members(data, max_members=4)


def test_one_skip_rule_for_uploads_and_batches(tmp_path: Path) -> None:
    assert [skipped(n) for n in SKIPPED] == [True] * len(SKIPPED)
    assert [skipped(n) for n in READ] == [False] * len(READ)
    files = {name: name.encode() for name in SKIPPED + READ}
    data = _zip(files)
    # The upload: members by their base names.
    assert sorted(name for name, _ in zip_members(data)) == sorted(Path(n).name for n in READ)
    # A batch over the same zip, and over the same tree as a folder.
    (tmp_path / "up.zip").write_bytes(data)
    folder = tmp_path / "tree"
    for name, content in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    from_zip = sorted(item.member or "" for item in walk([str(tmp_path / "up.zip")]))
    from_folder = sorted(item.relative.removeprefix("tree/") for item in walk([str(folder)]))
    assert from_zip == from_folder == sorted(READ)
