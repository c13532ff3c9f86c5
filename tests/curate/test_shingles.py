"""Word and window hashes: case folding, punctuation, document boundaries, short documents."""

from __future__ import annotations

import pyarrow as pa

from synthcompile.curate.shingles import shingle_hashes, windows, word_hashes


def test_words_fold_case_drop_punctuation_and_never_cross_documents():
    hashes, offsets = word_hashes(pa.array(["Hello, world! hello", "", "x", "World-hello", "xhello"]))
    assert offsets.tolist() == [0, 3, 3, 4, 6, 7]
    hello, world = hashes[0], hashes[1]
    assert hashes[2] == hello and hashes[4] == world and hashes[5] == hello
    assert len(set(hashes.tolist())) == 4  # hello, world, x, xhello
    assert hashes[3] != hashes[6]


def test_windows_are_order_sensitive_and_short_documents_keep_one_window():
    hashes, offsets = word_hashes(pa.array(["a b c d", "d c b a", "a b"]))
    out = windows(hashes, offsets, [2, 3])
    values, docs = out[3]
    assert docs.tolist() == [0, 0, 1, 1, 2]  # "a b" is shorter than 3: one window of both words
    assert values[4] == out[2][0][0]  # ... equal to the 2-window "a b" of the first document
    assert len(set(values[:4].tolist())) == 4
    assert out[2][1].tolist() == [0, 0, 0, 1, 1, 1, 2]
    flat, flat_offsets = shingle_hashes(pa.array(["a b c d", "d c b a", "a b"]).slice(1), 3)
    assert flat.tolist() == values[2:].tolist() and flat_offsets.tolist() == [0, 2, 3]
