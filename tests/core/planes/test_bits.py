"""Packing and unpacking (60xx,3000) Overlay Data: PS3.5 8.1.1 (LSB first) and 8.2 (even length)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from overlay_core.errors import InvalidArgumentError, InvalidOverlayError, OverlayError
from overlay_core.planes.bits import (
    MAX_SHORT_BITS,
    as_frames,
    check_data,
    count_set,
    expected_length,
    pack_mask,
    unpack_data,
    unpack_frame,
)
from tests.builders import encode_mask

# One reference table, derived by hand from PS3.5 8.1.1: pixel i of the plane (frame after
# frame, row after row) is bit i % 8 of byte i // 8, and the value is padded to even length.
REFERENCE = [
    # (mask as (frames, rows, cols) nested lists, Overlay Data)
    ([[[1, 0, 0], [0, 0, 0], [0, 0, 1]]], b"\x01\x01"),          # pixels 0 and 8
    ([[[1, 0, 0], [0, 1, 0], [0, 0, 1]]], b"\x11\x01"),          # pixels 0, 4, 8
    ([[[1, 1, 1, 1, 1, 1, 1, 1]]], b"\xff\x00"),                 # 8 bits, one pad byte
    ([[[1, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 1]]], b"\x01\x80"),
    ([[[1, 1, 0]], [[0, 0, 1]]], b"\x23\x00"),                   # two frames: pixels 0, 1, 5
    ([[[1]]], b"\x01\x00"),
    ([[[1] * 5] * 3], b"\xff\x7f"),                              # 15 bits
    ([[[1, 0] * 8]], b"\x55\x55"),
    ([[[0] * 16 + [1]]], b"\x00\x00\x01\x00"),                   # bit 16 starts byte 2
]


@pytest.mark.parametrize(("mask", "data"), REFERENCE)
def test_pack_matches_reference(mask: list, data: bytes) -> None:
    assert pack_mask(np.array(mask)) == data


@pytest.mark.parametrize(("mask", "data"), REFERENCE)
def test_unpack_matches_reference(mask: list, data: bytes) -> None:
    expected = np.array(mask, dtype=bool)
    bits, findings = unpack_data(data, *expected.shape)
    assert bits.dtype == np.bool_
    assert np.array_equal(bits, expected)
    assert findings == []


@pytest.mark.parametrize(("shape", "length"), [((1, 3, 3), 2), ((1, 484, 484), 29282), ((2, 128, 255), 8160),
                                               ((1, 1, 8), 2), ((3, 1, 17), 8)])
def test_expected_length_is_even_and_enough(shape: tuple[int, int, int], length: int) -> None:
    assert expected_length(*shape) == length
    assert length % 2 == 0 and length * 8 >= np.prod(shape)


masks = st.tuples(st.integers(1, 4), st.integers(1, 23), st.integers(1, 23)).flatmap(
    lambda shape: arrays(np.bool_, shape)
)


@settings(max_examples=150, deadline=None)
@given(masks)
def test_pack_unpack_round_trip(mask: np.ndarray) -> None:
    data = pack_mask(mask)
    assert len(data) == expected_length(*mask.shape)
    assert data == encode_mask(mask)  # an independent, plain-Python packer
    bits, findings = unpack_data(data, *mask.shape)
    assert np.array_equal(bits, mask)
    assert findings == []


@settings(max_examples=60, deadline=None)
@given(masks, st.integers(1, 6))
def test_excess_padding_is_trimmed_with_a_warning(mask: np.ndarray, extra: int) -> None:
    data = pack_mask(mask) + b"\xff" * (2 * extra)
    bits, findings = unpack_data(data, *mask.shape, group=0x6002)
    assert np.array_equal(bits, mask)
    assert [(f.code, f.group) for f in findings] == [("excess-padding", 0x6002)]


def test_missing_pad_byte_is_reported() -> None:
    mask = np.ones((1, 1, 8), bool)  # 8 bits need 1 byte and 1 pad byte
    bits, findings = unpack_data(b"\xff", 1, 1, 8)
    assert np.array_equal(bits, mask)
    assert [f.code for f in findings] == ["missing-pad"]
    assert "odd length (1 bytes)" in findings[0].message


def test_a_few_bits_short_is_zero_filled_with_a_warning() -> None:
    mask = np.ones((1, 3, 7), bool)  # 21 bits need 3 bytes (4 with pad)
    bits, findings = unpack_data(b"\xff\xff", 1, 3, 7, group=0x6000)
    assert bits.sum() == 16 and not bits.ravel()[16:].any()
    assert np.array_equal(bits.ravel()[:16], mask.ravel()[:16])
    assert [f.code for f in findings] == ["data-short"]
    assert "5 bits short (2 bytes, 4 expected)" in findings[0].message


def test_data_far_too_short_is_refused() -> None:
    with pytest.raises(InvalidOverlayError, match=r"group 6000 has 20 bytes of data .* needs 1250 bytes"):
        unpack_data(bytes(20), 1, 100, 100, group=0x6000)


def test_shortfall_limit_is_the_boundary() -> None:
    rows = MAX_SHORT_BITS + 8  # one row of this many pixels, one byte given
    unpack_data(b"\x00" * (rows // 8 - MAX_SHORT_BITS // 8), 1, 1, rows)
    with pytest.raises(InvalidOverlayError, match="needs"):
        unpack_data(b"\x00" * (rows // 8 - MAX_SHORT_BITS // 8 - 1), 1, 1, rows)


@pytest.mark.parametrize("shape", [(0, 3, 3), (1, 0, 3), (1, 3, -1)])
def test_unusable_size_is_refused(shape: tuple[int, int, int]) -> None:
    with pytest.raises(InvalidOverlayError, match="unusable size"):
        unpack_data(b"\x00\x00", *shape)


def test_huge_claim_with_tiny_data_fails_fast_without_allocating() -> None:
    tracemalloc.start()
    try:
        with pytest.raises(InvalidOverlayError, match=r"1000 frame.*65535 x 65535"):
            unpack_data(bytes(20), 1000, 65535, 65535)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000  # the claim would need 536 GB


@pytest.mark.parametrize(
    ("mask", "message"),
    [
        (np.zeros(5), "2 or 3 dimensions"),
        (np.zeros((1, 1, 2, 2)), "2 or 3 dimensions"),
        (np.zeros((0, 3)), "must not be empty"),
        (np.zeros((1, 65536), bool), "at most 65535 rows and columns"),
    ],
)
def test_as_frames_refuses_bad_masks(mask: np.ndarray, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        as_frames(mask)
    with pytest.raises(OverlayError, match=message):
        pack_mask(mask)


def test_as_frames_adds_one_frame_to_2d() -> None:
    frames = as_frames(np.array([[0, 2], [3, 0]]))
    assert frames.shape == (1, 2, 2) and frames.dtype == np.bool_
    assert frames[0].tolist() == [[False, True], [True, False]]


@settings(max_examples=60, deadline=None)
@given(frames=st.integers(1, 5), rows=st.integers(1, 9), cols=st.integers(1, 9), seed=st.integers(0, 999),
       short=st.integers(0, 7))
def test_one_frame_and_the_count_agree_with_unpacking_everything(
    frames: int, rows: int, cols: int, seed: int, short: int
) -> None:
    mask = np.random.default_rng(seed).random((frames, rows, cols)) < 0.4
    data = pack_mask(mask)
    data = data[:max(len(data) - (short if frames * rows * cols > 64 else 0), 0)]  # a few bytes short
    whole, _ = unpack_data(data, frames, rows, cols)
    for frame in range(frames):
        assert np.array_equal(unpack_frame(data, frames, rows, cols, frame), whole[frame])
    assert count_set(data, frames * rows * cols) == int(whole.sum())
    assert [f.code for f in check_data(len(data), frames, rows, cols)] == [
        f.code for f in unpack_data(data, frames, rows, cols)[1]]


def test_one_frame_out_of_range() -> None:
    with pytest.raises(InvalidArgumentError, match="Frame index 2 is out of range: the plane has 2 frame"):
        unpack_frame(bytes(2), 2, 2, 2, 2)
