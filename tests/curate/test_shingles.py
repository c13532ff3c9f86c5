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


def test_words_and_windows_match_a_python_reference_on_random_texts():
    """Equal words (ASCII case folded) and equal k-word windows hash alike, distinct ones apart;
    words split at punctuation, document boundaries and never at non-ASCII letters."""
    import random
    import re

    rng = random.Random(7)
    alphabet = ["ab", "Ab", "c", "longerword9", "x_y", "é", "naïve", "日本語", "abcdefghijklmnopq", "7"]
    texts = ["".join(rng.choice(alphabet) + rng.choice([" ", "  ", ", ", "-", "\n", ""])
                     for _ in range(rng.randrange(0, 12))) for _ in range(300)]
    column = pa.array(texts).slice(3)  # an offset into the Arrow buffers as well
    texts = texts[3:]
    fold = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
    reference = [[w.translate(fold) for w in re.findall(r"[0-9A-Za-z_\u0080-\U0010FFFF]+", t)] for t in texts]
    hashes, offsets = word_hashes(column)
    assert [offsets[i + 1] - offsets[i] for i in range(len(texts))] == [len(r) for r in reference]
    words = [w for r in reference for w in r]
    assert len({(w, int(h)) for w, h in zip(words, hashes)}) == len(set(words)) == len(set(hashes.tolist()))
    (values, docs), = windows(hashes, offsets, [3]).values()
    expected = [(tuple(r[i:i + 3]), d) for d, r in enumerate(reference) for i in range(max(len(r) - 2, min(len(r), 1)))]
    assert docs.tolist() == [d for _, d in expected]
    assert len({(w, int(v)) for (w, _), v in zip(expected, values)}) == len({w for w, _ in expected}) \
        == len(set(values.tolist()))
