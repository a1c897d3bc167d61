"""The one mask reader and PNG writer: the PNG rule for grey, RGB, RGBA and palette PNGs."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from overlay_core.cli.main import main
from overlay_core.edit import apply as edit
from overlay_core.errors import InvalidArgumentError
from overlay_core.files.masks import encode_png, mask_png, read_mask
from overlay_core.planes.reading import load, plane_bits
from tests import builders as b

#: Top row transparent white, bottom row opaque black: the file that read two ways.
TRANSPARENT_WHITE_OVER_OPAQUE_BLACK = np.array(
    [[(255, 255, 255, 0)] * 3, [(0, 0, 0, 255)] * 3], dtype=np.uint8
)
EXPECTED = [[0, 0, 0], [1, 1, 1]]  # set where not transparent


def saved(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_rgba_png_is_set_where_not_transparent() -> None:
    assert read_mask(encode_png(TRANSPARENT_WHITE_OVER_OPAQUE_BLACK)).astype(int).tolist() == EXPECTED


def test_the_cli_and_the_app_read_an_rgba_png_alike(tmp_path: Path) -> None:
    """The bug of issue 8: the CLI read this PNG by its grey level, upside down."""
    ds = b.image_dataset(2, 3)
    source = tmp_path / "in.dcm"
    source.write_bytes(b.to_file_bytes(ds))
    (tmp_path / "m.png").write_bytes(encode_png(TRANSPARENT_WHITE_OVER_OPAQUE_BLACK))
    out = tmp_path / "out.dcm"
    assert main(["apply", str(source), "--group", "6000", "--mask", str(tmp_path / "m.png"),
                 "--out", str(out), "--space", "image"]) == 0
    cli = plane_bits(load(out.read_bytes()), 0x6000)[0]
    app_ds = load(source.read_bytes())
    edit.apply_mask(app_ds, 0x6000, (tmp_path / "m.png").read_bytes(), "replace", "image")
    assert cli.astype(int).tolist() == EXPECTED
    assert np.array_equal(plane_bits(app_ds, 0x6000)[0], cli)


@pytest.mark.parametrize("bits_per_level", [1, 3, 255])
def test_grey_png_is_set_where_not_black(bits_per_level: int) -> None:
    mask = b.random_mask((5, 7), seed=5)
    assert np.array_equal(read_mask(encode_png(mask.astype(np.uint8) * bits_per_level)), mask)
    assert np.array_equal(read_mask(saved(Image.fromarray(mask))), mask)  # mode "1"


def test_rgb_png_is_set_where_any_channel_is_not_black() -> None:
    rgb = np.zeros((2, 3, 3), np.uint8)
    rgb[0, 0] = (1, 0, 0)  # converting to grey would round this to black
    rgb[1, 2] = (0, 0, 200)
    assert read_mask(encode_png(rgb)).astype(int).tolist() == [[1, 0, 0], [0, 0, 1]]


def test_opaque_rgba_png_follows_its_colour() -> None:
    rgba = np.zeros((1, 3, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[0, 1, :3] = 9
    assert read_mask(encode_png(rgba)).astype(int).tolist() == [[0, 1, 0]]


def test_palette_pngs_with_and_without_transparency() -> None:
    indices = np.array([[0, 1], [1, 2]], np.uint8)
    image = Image.fromarray(indices, mode="P")
    image.putpalette([0, 0, 0, 255, 255, 255, 0, 0, 0] + [0] * (768 - 9))
    assert read_mask(saved(image)).astype(int).tolist() == [[0, 1], [1, 0]]  # opaque: not black
    image.info["transparency"] = 1  # palette entry 1 (white) transparent
    with_transparency = saved(image)
    assert read_mask(with_transparency).astype(int).tolist() == [[1, 0], [0, 1]]


def test_grey_png_with_a_transparent_level() -> None:
    image = Image.fromarray(np.array([[0, 255]], np.uint8), mode="L")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", transparency=255)
    assert read_mask(buffer.getvalue()).astype(int).tolist() == [[1, 0]]


def test_mask_png_stacks_frames_and_reads_back() -> None:
    mask = b.random_mask((2, 3, 4), seed=9)
    assert np.array_equal(read_mask(mask_png(mask)), mask.reshape(6, 4))


def test_read_mask_formats() -> None:
    mask = b.random_mask((5, 7), seed=5)
    assert (read_mask(encode_png(mask.astype(np.uint8) * 255)) == mask).all()
    assert (read_mask(encode_png(mask.astype(np.uint8) * 3)) == mask).all()
    assert (read_mask(saved(Image.fromarray(mask.astype(np.uint8) * 255).convert("RGB"))) == mask).all()
    rgba = np.zeros((5, 7, 4), np.uint8)
    rgba[mask] = (0, 0, 0, 255)  # black strokes on a transparent background
    assert (read_mask(encode_png(rgba)) == mask).all()
    assert (read_mask(saved(Image.fromarray(mask))) == mask).all()
    assert (read_mask(b.npy_bytes(mask)) == mask).all()
    assert (read_mask(b.npy_bytes(mask.astype(float) * 0.5)) == mask).all()
    assert read_mask(b.npy_bytes(np.ones((2, 5, 7), np.uint8))).shape == (2, 5, 7)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"GIF89a....", "neither a PNG image nor a NumPy .npy array"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "PNG mask could not be read"),
        (b"\x93NUMPY garbage", ".npy mask could not be read"),
        (b.npy_bytes(np.ones(5)), "must be a 2-D or 3-D array of booleans or numbers, not a 1-D array"),
        (b.npy_bytes(np.array([["a"]])), "booleans or numbers"),
    ],
)
def test_read_mask_errors(data: bytes, match: str) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        read_mask(data)
