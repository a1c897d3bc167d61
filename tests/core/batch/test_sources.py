"""Batch sources: folders walked recursively and lazily, .zip archives, names that mirror the tree."""

from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path

import pytest

from overlay_core.batch.sources import Item, check_sources, walk
from overlay_core.errors import InvalidArgumentError


def _tree(root: Path) -> Path:
    src = root / "scans"
    (src / "b" / "c").mkdir(parents=True)
    (src / "a.dcm").write_bytes(b"A")
    (src / "b" / "z.dcm").write_bytes(b"Z")
    (src / "b" / "c" / "noext").write_bytes(b"N")
    with zipfile.ZipFile(src / "b" / "pack.zip", "w") as archive:
        archive.writestr("x/1.dcm", b"one")
        archive.writestr("x/", b"")  # a folder entry: skipped
        archive.writestr("../escape.dcm", b"bad")
        archive.writestr("__MACOSX/x/._1.dcm", b"fork")
    (src / ".hidden").mkdir()
    (src / ".hidden" / "h.dcm").write_bytes(b"H")
    (src / ".DS_Store").write_bytes(b"junk")
    (src / "b" / "DICOMDIR").write_bytes(b"DIR")
    return src


def test_walk_mirrors_folders_and_zip_members(tmp_path: Path) -> None:
    src = _tree(tmp_path)
    items = list(walk([str(src)]))
    assert [(i.relative, i.read() if i.problem is None else None) for i in items] == [
        ("scans/a.dcm", b"A"),
        ("scans/b/c/noext", b"N"),
        ("scans/b/pack.zip/x/1.dcm", b"one"),
        ("", None),
        ("scans/b/z.dcm", b"Z"),
    ]
    assert items[2].key == f"{src}/b/pack.zip/x/1.dcm"
    escape = items[3]
    with pytest.raises(InvalidArgumentError, match="would leave the archive's folder"):
        escape.read()
    assert pickle.loads(pickle.dumps(items[2])) == items[2]  # items travel to workers


def test_walk_is_lazy(tmp_path: Path) -> None:
    src = _tree(tmp_path)
    it = walk([str(src)])
    first = next(it)
    (src / "b" / "late.dcm").write_bytes(b"L")  # written after the walk started, before it got there
    assert first.relative == "scans/a.dcm"
    assert "scans/b/late.dcm" in [i.relative for i in it]


def test_a_zip_source_and_a_single_file(tmp_path: Path) -> None:
    src = _tree(tmp_path)
    items = list(walk([str(src / "b" / "pack.zip"), str(src / "a.dcm")]))
    assert [i.relative for i in items] == ["pack.zip/x/1.dcm", "", "a.dcm"]
    assert items[0].member == "x/1.dcm" and items[2].member is None


def test_the_output_folder_inside_a_source_is_not_walked(tmp_path: Path) -> None:
    src = _tree(tmp_path)
    (src / "out" / "scans").mkdir(parents=True)
    (src / "out" / "scans" / "a.dcm.png").write_bytes(b"png")
    relatives = [i.relative for i in walk([str(src)], exclude=str(src / "out"))]
    assert not any("out/" in r for r in relatives) and "scans/a.dcm" in relatives


def test_folder_symlinks_are_not_followed(tmp_path: Path) -> None:
    src = _tree(tmp_path)
    os.symlink(src, src / "b" / "loop")
    assert len(list(walk([str(src)]))) == 5


def test_unreadable_archive_and_member_changes_are_reported_by_read(tmp_path: Path) -> None:
    (tmp_path / "bad.zip").write_bytes(b"PK not really")
    items = list(walk([str(tmp_path / "bad.zip")]))
    assert len(items) == 1
    with pytest.raises(InvalidArgumentError, match="could not be read"):
        items[0].read()
    with zipfile.ZipFile(tmp_path / "good.zip", "w") as archive:
        archive.writestr("m.dcm", b"m")
    item = next(walk([str(tmp_path / "good.zip")]))
    with zipfile.ZipFile(tmp_path / "good.zip", "w") as archive:
        archive.writestr("other.dcm", b"o")
    with pytest.raises(InvalidArgumentError, match=r"no longer holds m\.dcm"):
        item.read()
    with pytest.raises(InvalidArgumentError, match="could not be read"):
        Item("gone", "gone", str(tmp_path / "gone")).read()


@pytest.mark.parametrize(
    ("sources", "out", "message"),
    [
        (["missing"], "o", "does not exist"),
        ([], "o", "at least one source"),
        (["scans", "other/scans"], "o", "have the same name"),
        (["scans"], ".", "would write over the source"),
        (["scans"], "scans", "would write over the source"),
    ],
)
def test_check_sources(tmp_path: Path, sources: list[str], out: str, message: str,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    _tree(tmp_path)
    (tmp_path / "other" / "scans").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidArgumentError, match=message):
        check_sources(sources, out)
