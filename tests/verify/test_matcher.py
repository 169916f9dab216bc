"""Searching a whole file through the pre-filter finds exactly what searching every byte finds."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from medanon.verify.model import Identifier, Identifiers

FORMS = ("doe^jane", "jane doe", "mrn0012345", "19610304", "04.03.1961", "abc", "sw1a 1aa", "1.2.826.0.1.99")


def _matcher(forms=FORMS):
    return Identifiers(tuple(Identifier("name", f"(0010,{i:04X})", (form,)) for i, form in enumerate(forms))
                       ).matcher(frozenset())


def _hits(hits):
    return sorted((hit.offset, hit.form_index, hit.identifier.source) for hit in hits)


def _planted(seed: int, size: int, kind: str, plants: list[tuple[int, int, bool]]) -> bytes:
    rng = np.random.default_rng(seed)
    if kind == "ct16":
        data = bytearray(rng.integers(0, 4096, size // 2, dtype="<u2").tobytes())
    elif kind == "bytes8":
        data = bytearray(rng.integers(0, 256, size, dtype=np.uint8).tobytes())
    else:  # printable text with few separators: the pre-filter's worst case
        data = bytearray(rng.choice(list(b"abcdefghij0123456789. ^"), size).astype(np.uint8).tobytes())
    for position, form_index, upper in plants:
        form = FORMS[form_index].encode()
        form = form.upper() if upper else form
        at = position % max(1, len(data) - len(form))
        data[at:at + len(form)] = form
    return bytes(data)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), size=st.sampled_from([5000, 70001, 300000]),
       kind=st.sampled_from(["ct16", "bytes8", "text"]),
       plants=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, len(FORMS) - 1), st.booleans()),
                       max_size=6))
def test_prefiltered_search_equals_search_of_every_byte(seed, size, kind, plants):
    data = _planted(seed, size, kind, plants)
    matcher = _matcher()
    assert _hits(matcher.search_file(data)) == _hits(matcher.search_bytes(data))


def test_forms_planted_in_16_bit_pixels_are_found_at_any_alignment():
    matcher = _matcher()
    pixels = _planted(7, 200000, "ct16", [])
    for shift in range(8):
        data = bytearray(pixels)
        data[100003 + shift:100013 + shift] = b"\0doe^jane\0"
        data[5000 + shift:5010 + shift] = b"\x0119610304\x01"
        found = {hit.identifier.forms[0] for hit in matcher.search_file(bytes(data))}
        assert {"doe^jane", "19610304"} <= found, shift


def test_non_printable_forms_fall_back_to_the_exact_cut():
    matcher = _matcher(("müller^hans", "doe^jane"))
    data = _planted(3, 100000, "bytes8", []) + "MÜLLER^HANS".encode("latin-1") + b"\x00" * 10
    assert _hits(matcher.search_file(data)) == _hits(matcher.search_bytes(data))
    assert _hits(matcher.search_file(data))


@given(seed=st.integers(0, 2**32 - 1), size=st.sampled_from([2, 4]), count=st.integers(0, 70000))
@settings(max_examples=40, deadline=None)
def test_printable_word_indices_equal_a_per_byte_check(seed, size, count):
    from medanon.verify._matcher import _printable_word_indices

    rng = np.random.default_rng(seed)
    # bytes around the edges of the printable range, so every boundary is met often
    data = rng.choice(np.array([0x00, 0x1F, 0x20, 0x21, 0x41, 0x7D, 0x7E, 0x7F, 0x80, 0x9F, 0xFF], dtype=np.uint8),
                      size=count * size)
    words = np.frombuffer(data.tobytes(), dtype=f"<u{size}")
    per_byte = ((data >= 0x20) & (data <= 0x7E)).reshape(-1, size).all(axis=1)
    assert np.array_equal(_printable_word_indices(words, size), np.flatnonzero(per_byte))
