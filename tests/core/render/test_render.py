"""Rendering: decoding, windowing on real and synthetic files, planes on the view, export, CLI."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from PIL import Image
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate
from pydicom.pixels.utils import pixel_array
from pydicom.uid import MPEG2MPML, JPEGBaseline8Bit

from overlay_core.cli.planes import render_png
from overlay_core.errors import InvalidArgumentError, PlaneNotFoundError, UnsupportedError
from overlay_core.model import OverlayType, parse_groups
from overlay_core.planes.placement import image_mask
from overlay_core.planes.reading import image_info, load, read_planes
from overlay_core.render.compose import compose, full_view_png, pool_mask, render
from overlay_core.render.geometry import Region, fit_view
from overlay_core.render.pixels import decode_frame, frame_image
from overlay_core.render.styles import (
    PALETTE,
    ROI_FILL_OPACITY,
    PlaneStyle,
    default_color,
    default_styles,
    parse_color,
)
from overlay_core.render.windowing import AUTOMATIC, file_presets, manual_window
from tests.builders import add_plane, embedded_file, image_dataset, roi_file, to_file_bytes

ROOT = Path(__file__).resolve().parents[3]


# --- reference formulas and builders --------------------------------------------------------


def linear_grey(x: NDArray[np.float64], c: float, w: float) -> NDArray[np.float64]:
    """PS3.3 C.11.2.1.2.1 LINEAR window onto 0..255, before rounding."""
    y = (x - (c - 0.5)) / (w - 1) + 0.5
    y = np.where(x <= c - 0.5 - (w - 1) / 2, 0.0, np.where(x > c - 0.5 + (w - 1) / 2, 1.0, y))
    return np.asarray(y * 255.0)


def assert_grey_close(got: NDArray[np.uint8], want: NDArray[np.float64]) -> None:
    """Equal to the rounded reference, but for float ties (never more than 1 level off)."""
    diff = np.abs(got.astype(float) - np.rint(want))
    assert diff.max() <= 1
    assert np.mean(diff == 0) > 0.999


def read_png(data: bytes) -> NDArray[np.uint8]:
    """The PNG's pixels as RGB (a render without planes is a grey PNG of the same pixels)."""
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def loaded(ds: Dataset) -> Dataset:
    return load(to_file_bytes(ds))


def signed_image(rows: int = 12, cols: int = 10, junk_bit: bool = False) -> tuple[Dataset, NDArray[np.int16]]:
    """Signed 12-bit in 16-bit words, values -2048..2047; ``junk_bit`` sets bit 15 of
    non-negative words too (an embedded-overlay style bit above High Bit)."""
    ds = image_dataset(rows, cols, bits_stored=12)
    values = np.random.default_rng(11).integers(-2048, 2048, size=(rows, cols)).astype(np.int16)
    words = values.view(np.uint16) & 0x0FFF  # 12-bit two's complement
    words = np.where(values < 0, words | 0xF000, words).astype(np.uint16)  # proper sign extension
    if junk_bit:
        words = words ^ np.uint16(0x8000)  # garbage above High Bit
    ds.PixelRepresentation = 1
    ds.PixelData = words.astype("<u2").tobytes()
    ds.RescaleSlope = "2"
    ds.RescaleIntercept = "-100"
    ds.WindowCenter = "0"
    ds.WindowWidth = "3000"
    return ds, values


def rgb_dataset(rows: int = 6, cols: int = 8, photometric: str = "RGB") -> tuple[Dataset, NDArray[np.uint8]]:
    ds = image_dataset(rows, cols, bits_allocated=8, bits_stored=8)
    rgb = np.random.default_rng(12).integers(0, 256, size=(rows, cols, 3)).astype(np.uint8)
    rgb[0, 0] = (255, 0, 0)
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = photometric
    ds.PlanarConfiguration = 0
    ds.PixelData = rgb.tobytes()
    return ds, rgb


def palette_dataset(rows: int = 5, cols: int = 7) -> tuple[Dataset, NDArray[np.uint8], NDArray[np.uint16]]:
    ds = image_dataset(rows, cols, bits_allocated=8, bits_stored=8)
    index = np.random.default_rng(13).integers(0, 4, size=(rows, cols)).astype(np.uint8)
    ds.PhotometricInterpretation = "PALETTE COLOR"
    ds.PixelData = index.tobytes()
    lut = np.array([[0, 0, 0], [65535, 0, 0], [0, 32768, 0], [4096, 8192, 65535]], np.uint16)
    for i, name in enumerate(("Red", "Green", "Blue")):
        setattr(ds, f"{name}PaletteColorLookupTableDescriptor", [4, 0, 16])
        setattr(ds, f"{name}PaletteColorLookupTableData", lut[:, i].astype("<u2").tobytes())
    return ds, index, lut


def undecodable(syntax=MPEG2MPML) -> tuple[Dataset, NDArray[np.bool_]]:
    """An image whose encapsulated Pixel Data cannot be decoded, with one plane."""
    ds = image_dataset(8, 12, bits_allocated=8, bits_stored=8)
    ds.file_meta.TransferSyntaxUID = syntax
    ds.PixelData = encapsulate([b"\xff\xd8 not a real stream \xff\xd9"])
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    mask = np.zeros((8, 12), bool)
    mask[2, 1:11] = True
    mask[3:7, 5] = True
    add_plane(ds, 0x6000, mask)
    return ds, mask


def corpus_images(corpus: Path) -> list[Path]:
    files = sorted(corpus.glob("*.dcm")) + sorted((corpus / "derived").glob("*.dcm"))
    return [f for f in files if image_info(load(f.read_bytes())).rows > 0]


# --- decoding -------------------------------------------------------------------------------


@pytest.mark.corpus
def test_every_corpus_image_renders(corpus):
    files = corpus_images(corpus)
    assert len(files) >= 9  # the corpus README lists them; PR-only files are skipped
    for path in files:
        ds = load(path.read_bytes())
        info = image_info(ds)
        for frame in range(info.frames):
            shown = frame_image(ds, frame)
            assert shown.missing_reason is None, (path.name, shown.missing_reason)
            assert shown.pixels.shape[:2] == (info.rows, info.columns)
            assert shown.pixels.std() > 1, path.name  # a real picture, not a blank
        view = render(ds, max_size=128)
        assert max(view.image.shape[:2]) == 128


@pytest.mark.corpus
def test_jpeg_lossless_corpus_file_decodes_to_the_same_values_as_gdcm(corpus):
    ds = load((corpus / "OutOfBoundsOverlay.dcm").read_bytes())
    assert image_info(ds).compressed
    got = decode_frame(ds)
    assert got.shape == (788, 1318) and got.max() <= 4095
    want = pixel_array(ds, decoding_plugin="gdcm")
    np.testing.assert_array_equal(got, want & 0x0FFF)


@pytest.mark.corpus
def test_embedded_overlay_bits_never_reach_the_image(corpus):
    ds = load((corpus / "weasis_overlay.dcm").read_bytes())
    raw = np.frombuffer(ds.PixelData, "<u2").reshape(512, 512)
    assert (raw > 0x0FFF).sum() > 1000  # bits 15 and 14 carry planes 6000 and 6002
    np.testing.assert_array_equal(decode_frame(ds), raw & 0x0FFF)
    shown = frame_image(ds)
    lo, hi = int((raw & 0x0FFF).min()), int((raw & 0x0FFF).max())
    want = np.clip(((raw & 0x0FFF) - lo) / (hi - lo), 0, 1) * 255  # the automatic window
    assert_grey_close(shown.pixels, want)


def test_embedded_planes_in_synthetic_8_and_16_bit_words_are_stripped():
    for bits in (8, 16):
        data, _ = embedded_file(bits_allocated=bits)
        ds = load(data)
        stored = 12 if bits == 16 else 6
        raw = np.frombuffer(ds.PixelData, f"<u{bits // 8}")[: 9 * 11].reshape(9, 11)
        assert (raw >> stored).any()
        np.testing.assert_array_equal(decode_frame(ds), raw & ((1 << stored) - 1))


def test_signed_pixels_are_sign_extended_past_junk_above_high_bit():
    clean, values = signed_image()
    junk, _ = signed_image(junk_bit=True)
    np.testing.assert_array_equal(decode_frame(loaded(clean)), values)
    np.testing.assert_array_equal(decode_frame(loaded(junk)), values)
    shown = frame_image(loaded(junk))
    assert shown.voi is not None and shown.voi.name == "File preset 1: C 0 / W 3000"
    assert_grey_close(shown.pixels, linear_grey(values * 2.0 - 100, 0, 3000))


def test_undecodable_syntax_says_why_and_planes_render_on_black():
    ds, mask = undecodable()
    ds = loaded(ds)
    message = "no decoder exists for its transfer syntax, MPEG2 Main Profile / Main Level"
    with pytest.raises(UnsupportedError, match=message):
        decode_frame(ds)
    shown = frame_image(ds)
    assert shown.missing_reason is not None and message in shown.missing_reason
    assert shown.pixels.shape == (8, 12) and not shown.pixels.any()
    view = render(ds)
    assert view.missing_reason == shown.missing_reason
    np.testing.assert_array_equal(view.image[mask], np.tile(default_color(0x6000), (mask.sum(), 1)))
    assert not view.image[~mask].any()
    with pytest.raises(UnsupportedError, match=message):
        render_png(load(to_file_bytes(ds)))


def test_corrupt_compressed_data_says_it_could_not_be_decoded():
    ds, _ = undecodable(JPEGBaseline8Bit)
    shown = frame_image(loaded(ds))
    assert shown.missing_reason is not None
    assert shown.missing_reason.startswith(  # refused before any decoder: no JPEG frame header
        "The image cannot be shown because its JPEG Baseline (Process 1) Pixel Data frame 1 is not a JPEG"
    )


def test_frame_out_of_range():
    ds = loaded(image_dataset(4, 5, frames=3))
    message = r"Frame index 3 is out of range: .* 3 frame\(s\), indices 0 to 2"
    with pytest.raises(InvalidArgumentError, match=message):
        frame_image(ds, 3)
    with pytest.raises(InvalidArgumentError, match=r"Frame 4 does not exist: .* numbered 1 to 3\."):
        render_png(load(to_file_bytes(image_dataset(4, 5, frames=3))), frame=4)
    with pytest.raises(InvalidArgumentError, match="Frame 0 does not exist"):
        render_png(load(to_file_bytes(image_dataset(4, 5, frames=3))), frame=0)


def test_multiframe_picks_the_frame():
    ds = loaded(image_dataset(4, 5, frames=3))
    every = pixel_array(ds)
    for k in range(3):
        np.testing.assert_array_equal(decode_frame(ds, k), every[k])
    cli = read_png(render_png(load(to_file_bytes(image_dataset(4, 5, frames=3))), frame=2,
                                      overlays="none", window=(2048, 4096)))
    np.testing.assert_array_equal(cli[..., 0], np.rint(linear_grey(every[1].astype(float), 2048, 4096)))


def test_a_file_without_image_is_refused():
    ds = Dataset()
    ds.add_new(0x60001001, "CS", "LAYER1")
    with pytest.raises(InvalidArgumentError, match="no image"):
        render(ds)


# --- windowing on known files ---------------------------------------------------------------


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "preset"), [("examples_overlay.dcm", 0), ("examples_overlay.dcm", 1),
                                              ("fo-dicom_GH1728.dcm", 0)])
def test_file_window_presets_follow_the_standard(corpus, name, preset):
    ds = load((corpus / name).read_bytes())
    voi = file_presets(ds)[preset]
    shown = frame_image(ds, voi=voi)
    assert shown.voi == voi
    stored = pixel_array(ds).astype(float)
    modality = stored * float(ds.get("RescaleSlope", 1) or 1) + float(ds.get("RescaleIntercept", 0) or 0)
    assert_grey_close(shown.pixels, linear_grey(modality, voi.center, voi.width))


@pytest.mark.corpus
def test_presets_listed_for_the_ui(corpus):
    ds = load((corpus / "examples_overlay.dcm").read_bytes())
    names = [p.name for p in file_presets(ds)]
    # named by the file's Window Center & Width Explanation (0028,1055)
    assert names == ["WINDOW1: C 450 / W 790", "WINDOW2: C 200 / W 443"]


@pytest.mark.corpus
@pytest.mark.skipif(shutil.which("dcm2pnm") is None or shutil.which("dcmj2pnm") is None,
                    reason="DCMTK (dcm2pnm, dcmj2pnm) is not installed")
@pytest.mark.parametrize(("tool", "name", "option"), [
    ("dcm2pnm", "MR-SIEMENS-DICOM-WithOverlays.dcm", ["+Wi", "1"]),
    ("dcmj2pnm", "OutOfBoundsOverlay.dcm", ["+Wi", "1"]),
    ("dcm2pnm", "weasis_overlay.dcm", ["+Wm"]),
])
def test_windowing_agrees_with_dcmtk(corpus, tmp_path, tool, name, option):
    out = tmp_path / "dcmtk.png"
    command = [tool, *option, "-O", "+on", str(corpus / name), str(out)]  # -O: no overlays
    subprocess.run(command, check=True, capture_output=True)
    dcmtk = np.asarray(Image.open(out)).astype(int)
    ours = frame_image(load((corpus / name).read_bytes())).pixels.astype(int)
    assert dcmtk.shape == ours.shape
    assert np.abs(dcmtk - ours).max() <= 1  # DCMTK truncates where we round


def test_monochrome1_is_the_inverse_of_its_monochrome2_twin():
    mono2 = image_dataset(9, 7)
    mono2.WindowCenter, mono2.WindowWidth = "2000", "3000"
    mono1 = image_dataset(9, 7)
    mono1.WindowCenter, mono1.WindowWidth = "2000", "3000"
    mono1.PhotometricInterpretation = "MONOCHROME1"
    two, one = frame_image(loaded(mono2)).pixels, frame_image(loaded(mono1)).pixels
    assert two.std() > 10
    np.testing.assert_array_equal(one, 255 - two)
    # Inverted stored values under MONOCHROME1 look like the original under MONOCHROME2.
    twin = image_dataset(9, 7)
    stored = np.frombuffer(twin.PixelData, "<u2")
    twin.PixelData = (4095 - stored).astype("<u2").tobytes()
    twin.PhotometricInterpretation = "MONOCHROME1"
    plain = image_dataset(9, 7)
    got = frame_image(loaded(twin), voi=AUTOMATIC).pixels
    want = frame_image(loaded(plain), voi=AUTOMATIC).pixels
    assert np.abs(got.astype(int) - want).max() <= 1


def test_manual_window_and_automatic_window():
    ds = loaded(image_dataset(10, 10))
    stored = pixel_array(ds).astype(float)
    shown = frame_image(ds, voi=manual_window(1000, 500))
    assert_grey_close(shown.pixels, linear_grey(stored, 1000, 500))
    auto = frame_image(ds)  # no presets: automatic
    assert auto.voi is not None and auto.voi.name.startswith("Automatic: ")
    assert auto.pixels.min() == 0 and auto.pixels.max() == 255


def test_voi_lut_and_modality_lut_sequences_drive_the_grey_levels():
    ds = image_dataset(4, 4, bits_allocated=8, bits_stored=2)
    ds.PixelData = np.array([[0, 1, 2, 3]] * 4, np.uint8).tobytes()
    modality = Dataset()
    modality.LUTDescriptor = [4, 0, 16]
    modality.add_new(0x00283006, "US", [10, 20, 30, 40])  # LUT Data
    ds.ModalityLUTSequence = [modality]
    voi = Dataset()
    voi.LUTDescriptor = [41, 0, 8]
    voi.add_new(0x00283006, "US", [min(255, 6 * v) for v in range(41)])
    ds.VOILUTSequence = [voi]
    shown = frame_image(loaded(ds))
    assert shown.voi is not None and shown.voi.name == "File VOI LUT 1"
    assert shown.pixels[0].tolist() == [60, 120, 180, 240]


# --- colour ---------------------------------------------------------------------------------


def test_rgb_renders_in_colour():
    ds, rgb = rgb_dataset()
    shown = frame_image(loaded(ds))
    assert shown.voi is None and shown.pixels.shape == (6, 8, 3)
    np.testing.assert_array_equal(shown.pixels, rgb)
    view = render(loaded(ds), styles=[])
    assert tuple(view.image[0, 0]) == (255, 0, 0)


def test_ybr_full_is_converted_to_rgb():
    ds, ybr = rgb_dataset(photometric="YBR_FULL")
    got = frame_image(loaded(ds)).pixels.astype(float)
    y, cb, cr = (ybr[..., i].astype(float) for i in range(3))
    want = np.stack([y + 1.402 * (cr - 128), y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128),
                     y + 1.772 * (cb - 128)], axis=-1)  # PS3.3 C.7.6.3.1.2
    assert np.abs(got - np.clip(want, 0, 255)).max() <= 1


def test_palette_color_renders_through_its_palette():
    ds, index, lut = palette_dataset()
    shown = frame_image(loaded(ds))
    assert shown.pixels.shape == (5, 7, 3)
    np.testing.assert_array_equal(shown.pixels, (lut[index] >> 8).astype(np.uint8))


def test_unsupported_photometric_says_so():
    ds, _ = rgb_dataset(photometric="HSV")
    shown = frame_image(loaded(ds))
    assert shown.missing_reason is not None and "Photometric Interpretation HSV" in shown.missing_reason


# --- planes on the view ---------------------------------------------------------------------


def test_styles_validate_and_default_to_distinct_colours():
    assert len(set(PALETTE)) == 16 and all(len(set(c)) > 1 for c in PALETTE)  # never grey
    assert PlaneStyle("6002", "#102030").color == (16, 32, 48)
    with pytest.raises(InvalidArgumentError, match="6001 is not an overlay group"):
        PlaneStyle(0x6001, (1, 2, 3))
    with pytest.raises(InvalidArgumentError, match='like "#ff8000", not "red"'):
        parse_color("red")
    with pytest.raises(InvalidArgumentError, match="three integers from 0 to 255"):
        parse_color((1, 2, 300))


def test_roi_planes_get_a_translucent_fill_and_solid_outline_in_the_app():
    data, mask = roi_file()
    ds = load(data)
    (plane,) = read_planes(ds)
    assert plane.type is OverlayType.ROI
    (style,) = default_styles([plane])
    assert (style.opacity, style.outline) == (ROI_FILL_OPACITY, True)
    base = frame_image(ds).pixels.astype(float)
    view = render(ds).image.astype(float)
    m = mask[0]
    inner = m.copy()
    inner[2:6, 3:9] = False
    inner[3:5, 4:8] = True  # the 4 x 6 block's interior
    edge = m & ~inner
    colour = np.array(default_color(0x6000), float)
    np.testing.assert_array_equal(view[edge], np.tile(colour, (edge.sum(), 1)))
    fill = base[inner][:, None] * (1 - ROI_FILL_OPACITY) + colour * ROI_FILL_OPACITY
    assert np.abs(view[inner] - fill).max() <= 0.5
    np.testing.assert_array_equal(view[~m], np.repeat(base[~m][:, None], 3, axis=1))
    (cli_style,) = default_styles([plane], roi_look=False)
    assert (cli_style.opacity, cli_style.outline) == (1.0, False)


def test_hidden_and_transparent_planes_change_nothing():
    data, _ = roi_file()
    ds = load(data)
    plain = render(ds, styles=[]).image
    for style in (PlaneStyle(0x6000, (255, 0, 0), visible=False), PlaneStyle(0x6000, (255, 0, 0), opacity=0)):
        np.testing.assert_array_equal(render(ds, styles=[style]).image, plain)


def test_edited_masks_are_drawn_instead_of_the_files():
    data, _ = roi_file()
    ds = load(data)
    edited = np.zeros((10, 12), bool)
    edited[9, 11] = True
    view = render(ds, styles=[PlaneStyle(0x6000, (0, 0, 255))], masks={0x6000: edited})
    plain = render(ds, styles=[]).image
    assert np.argwhere((view.image != plain).any(axis=2)).tolist() == [[9, 11]]
    with pytest.raises(InvalidArgumentError, match="mask of overlay group 6000 is 3 x 3"):
        render(ds, styles=[PlaneStyle(0x6000, (0, 0, 255))], masks={0x6000: np.zeros((3, 3), bool)})


@pytest.mark.corpus
def test_all_minus_none_is_exactly_the_image_space_masks(corpus):
    checked = 0
    for path in corpus_images(corpus):
        data = path.read_bytes()
        ds = load(data)
        planes = read_planes(ds)
        if not planes:
            continue
        for frame in range(image_info(ds).frames):
            shown = read_png(render_png(load(data), frame=frame + 1, overlays="all"))
            hidden = read_png(render_png(load(data), frame=frame + 1, overlays="none"))
            union = np.zeros(hidden.shape[:2], bool)
            for plane in planes:
                m = image_mask(ds, plane.group)[frame]
                union |= m
            assert hidden.ndim == 3
            differ = (shown != hidden).any(axis=2)
            np.testing.assert_array_equal(differ, union, err_msg=f"{path.name} frame {frame}")
            checked += int(union.any())
    assert checked >= 6


@pytest.mark.corpus
def test_cli_paints_each_listed_plane_in_its_colour(corpus):
    data = (corpus / "OutOfBoundsOverlay.dcm").read_bytes()
    ds = load(data)
    only = read_png(render_png(load(data), overlays="6002"))
    hidden = read_png(render_png(load(data), overlays="none"))
    m = image_mask(ds, 0x6002)[0]
    assert m.any() and not image_mask(ds, 0x6002)[0].all()
    np.testing.assert_array_equal(only[m], np.tile(default_color(0x6002), (m.sum(), 1)))
    np.testing.assert_array_equal(only[~m], hidden[~m])
    with pytest.raises(PlaneNotFoundError, match="6004"):
        render_png(load(data), overlays="6000,6004")


def test_cli_paints_roi_planes_solid_like_graphics():
    data, mask = roi_file()
    shown = read_png(render_png(load(data)))
    hidden = read_png(render_png(load(data), overlays="none"))
    m = mask[0]
    np.testing.assert_array_equal(shown[m], np.tile(default_color(0x6000), (m.sum(), 1)))
    np.testing.assert_array_equal(shown[~m], hidden[~m])


def test_parse_groups():
    assert parse_groups(" ALL ") is None
    assert parse_groups("none") == []
    assert parse_groups([0x6002, "6000"]) == [0x6002, 0x6000]
    with pytest.raises(InvalidArgumentError, match='"60zz" is not an overlay group'):
        parse_groups("6000,60zz")


# --- display size ---------------------------------------------------------------------------


@pytest.mark.parametrize(("rows", "cols", "max_size"), [(1001, 777, 100), (1000, 800, 100), (300, 200, 299)])
def test_downscaled_views_keep_one_pixel_lines(rows, cols, max_size):
    ds = image_dataset(rows, cols, bits_allocated=8, bits_stored=8)
    ds.PixelData = bytes(rows * cols)
    mask = np.zeros((rows, cols), bool)
    mask[rows // 2, :] = True
    mask[:, cols // 3] = True
    rr = np.arange(rows)
    mask[rr, (rr * (cols - 1)) // (rows - 1)] = True  # a one-pixel diagonal
    add_plane(ds, 0x6000, mask)
    view = render(loaded(ds), max_size=max_size)
    g = view.geometry
    assert max(g.display_width, g.display_height) == max_size and view.scale < 1
    painted = (view.image == default_color(0x6000)).all(axis=2)
    y = int((rows // 2 + 0.5) * g.display_height / rows)
    x = int((cols // 3 + 0.5) * g.display_width / cols)
    assert painted[y, :].all() and painted[:, x].all()
    assert painted.any(axis=1).all() and painted.any(axis=0).all()  # the diagonal, unbroken


@settings(max_examples=40, deadline=None)
@given(rows=st.integers(1, 40), cols=st.integers(1, 40), max_size=st.integers(1, 40), seed=st.integers(0, 99))
def test_pooling_sets_exactly_the_display_pixels_that_hold_a_set_pixel_centre(rows, cols, max_size, seed):
    mask = np.random.default_rng(seed).random((rows, cols)) < 0.05
    g = fit_view(rows, cols, max_size=max_size)
    want = np.zeros((g.display_height, g.display_width), bool)
    for r, c in np.argwhere(mask):
        want[int((r + 0.5) * g.display_height / rows), int((c + 0.5) * g.display_width / cols)] = True
    np.testing.assert_array_equal(pool_mask(mask, g), want)


def test_zoom_window_matches_the_full_view():
    data, _ = roi_file()
    ds = load(data)
    solid = default_styles(read_planes(ds), roi_look=False)  # outlines are one display pixel wide
    full = render(ds, styles=solid).image
    zoom = render(ds, styles=solid, region=Region(2, 3, 4, 6), width=24)
    assert (zoom.geometry.display_width, zoom.geometry.display_height) == (24, 16)
    assert zoom.scale == 4
    np.testing.assert_array_equal(zoom.image, full[2:6, 3:9].repeat(4, axis=0).repeat(4, axis=1))


def test_area_averaging_downscale():
    ds = image_dataset(4, 4, bits_allocated=8, bits_stored=8)
    ds.PixelData = np.array([[0, 0, 255, 255], [0, 0, 255, 255], [100, 100, 50, 50], [100, 100, 50, 50]],
                            np.uint8).tobytes()
    ds.WindowCenter, ds.WindowWidth = "128", "256"  # identity for 8-bit values: x -> x
    view = render(loaded(ds), max_size=2, styles=[])
    assert view.image[..., 0].tolist() == [[0, 255], [100, 50]]


def test_compose_checks_the_geometry():
    with pytest.raises(InvalidArgumentError, match="view is of a 5 x 5 image, but the frame is 4 x 4"):
        compose(np.zeros((4, 4), np.uint8), {}, [], fit_view(5, 5))


# --- export and CLI -------------------------------------------------------------------------


def test_full_view_png_is_full_resolution_with_the_visible_planes():
    data, mask = roi_file()
    ds = load(data)
    png = full_view_png(ds)
    image = read_png(png)
    assert image.shape == (10, 12, 3)
    np.testing.assert_array_equal(image, render(ds).image)
    plain = read_png(full_view_png(ds, styles=[PlaneStyle(0x6000, (0, 0, 0), visible=False)]))
    assert ((image != plain).any(axis=2) == mask[0]).all()


def test_render_file_to_png_max_size_and_window():
    data, _ = roi_file()
    small = read_png(render_png(load(data), max_size=6))
    assert small.shape == (5, 6, 3)
    with pytest.raises(InvalidArgumentError, match="at least 1 for a LINEAR window"):
        render_png(load(data), window=(10, 0))
    with pytest.raises(InvalidArgumentError, match="maximum size must be at least 1 pixel, not 0"):
        render_png(load(data), max_size=0)


def test_rendering_one_frame_unpacks_and_places_only_that_frame():
    import tracemalloc

    ds = image_dataset(256, 256, frames=60)
    mask = np.random.default_rng(5).random((60, 256, 256)) < 0.3
    add_plane(ds, 0x6000, mask, frames_attr=60)
    ds = load(to_file_bytes(ds))
    tracemalloc.start()
    try:  # the frame is decoded too (render() no longer takes a decoded frame): only that frame
        view = render(ds, frame=59, styles=[PlaneStyle(0x6000, (255, 0, 0))])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert np.array_equal((view.image == (255, 0, 0)).all(axis=2), mask[59])
    # one frame: 64 KiB of bits, 192 KiB of RGB and the grey table of 65,536 stored patterns
    # (~1.5 MiB of floats while it is built); unpacking and placing all 60 frames: 7.5 MiB more
    assert peak < 3_000_000, peak
