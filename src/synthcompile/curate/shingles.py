"""Word and word-n-gram hashes of a whole Arrow text column, without one Python object per word.

MinHash itself is rensa's; what no library does is turn an Arrow string column into flat u64
token hashes fast enough to feed ``RMinHash.digest_matrix_from_flat_token_hashes``: splitting
into Python strings costs more than the hashing. So this module works on the column's UTF-8
buffer with numpy (hand-written for that reason):

- a *word* is a maximal run of word bytes: ASCII letters, digits, ``_`` and every non-ASCII
  byte (so non-Latin words stay whole); ASCII letters are case-folded; other ASCII bytes
  (spaces, punctuation) separate words and are dropped;
- a word's hash folds its length and its bytes, read as little-endian 64-bit chunks, with
  the murmur3 64-bit finaliser;
- a window of ``k`` consecutive words of one document hashes as a weighted sum of its word
  hashes (a different fixed odd weight per position in the window). A document with fewer than ``k`` words has one window: all its words.

The hashes are stable across processes, machines and versions of numpy (no salted ``hash()``).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

_MASK_SHIFT = np.uint64(33)
_FMIX1 = np.uint64(0xFF51AFD7ED558CCD)
_FMIX2 = np.uint64(0xC4CEB9FE1A85EC53)
_FOLD = np.uint64(0x9E3779B97F4A7C15)

_IS_WORD = np.zeros(256, dtype=bool)
for _c in b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_":
    _IS_WORD[_c] = True
_IS_WORD[0x80:] = True
_CASE_BITS = np.uint64(0x2020202020202020)
# Word k of a window is weighted by the k-th odd constant: cheap, order-sensitive, and the
# word hashes it combines are already well mixed (rensa permutes the result again).
_WINDOW_WEIGHTS = np.random.default_rng(0x5EED).integers(0, 2**63, 256, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
_BYTE_MASKS = np.array([(1 << (8 * i)) - 1 for i in range(8)] + [2**64 - 1], dtype=np.uint64)


def fmix64(x: np.ndarray) -> np.ndarray:
    """murmur3's finaliser: spreads every input bit over the whole 64-bit output."""
    with np.errstate(over="ignore"):
        x = x ^ (x >> _MASK_SHIFT)
        x = x * _FMIX1
        x = x ^ (x >> _MASK_SHIFT)
        x = x * _FMIX2
        return x ^ (x >> _MASK_SHIFT)


def fold(acc: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Order-sensitive combination of two hash arrays."""
    with np.errstate(over="ignore"):
        return fmix64(acc * _FOLD + x)


def _text_buffer(texts: pa.Array) -> tuple[np.ndarray, np.ndarray, int]:
    """The column's whole UTF-8 buffer (8-byte aligned, 16 spare bytes at the end), per-document
    byte offsets into it, and the number of bytes in use."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    if texts.null_count:
        raise ValueError("text column has nulls")
    if pa.types.is_string(texts.type):
        offsets_type = np.int32
    elif pa.types.is_large_string(texts.type):
        offsets_type = np.int64
    else:
        raise ValueError(f"expected a string column, got {texts.type}")
    _, offs_buf, data_buf = texts.buffers()
    offsets = np.frombuffer(offs_buf, dtype=offsets_type)[texts.offset:texts.offset + len(texts) + 1]
    offsets = offsets.astype(np.int64)
    used = int(offsets[-1]) if len(offsets) else 0
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    if data.ctypes.data % 8 or len(data) < used + 16:  # Arrow buffers are aligned and padded; else copy
        padded = np.zeros(used + 16 - used % 8, np.uint8)
        padded[:used] = data[:used]
        data = padded
    return data, offsets, used


def word_hashes(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(hash of every word in order, per-document word offsets of length ``len(texts) + 1``).

    Per-byte work is a lookup and a diff on uint8 arrays; each word is then read 8 bytes at a
    time, so the 64-bit arithmetic runs once per word (and once more per 8 bytes of a long word).
    """
    data, offsets, used = _text_buffer(texts)
    n_docs = len(offsets) - 1
    lo = int(offsets[0]) if n_docs else 0
    word = np.zeros(used - lo + 2, np.int8)
    word[1:-1] = _IS_WORD[data[lo:used]]
    change = np.diff(word)
    starts = np.flatnonzero(change == 1) + lo
    ends = np.flatnonzero(change == -1) + lo
    # A word that runs across a document boundary is two words.
    inner = offsets[1:-1]
    joined = np.unique(inner[_IS_WORD[data[np.maximum(inner - 1, 0)]] & _IS_WORD[data[inner]] & (inner > lo)])
    if len(joined):
        starts = np.sort(np.concatenate([starts, joined]))
        ends = np.sort(np.concatenate([ends, joined]))
    if not len(starts):
        return np.zeros(0, np.uint64), np.zeros(n_docs + 1, np.int64)
    lengths = ends - starts
    aligned = data[:len(data) - len(data) % 8].view("<u8")
    acc = lengths.astype(np.uint64)
    todo = slice(None)
    for at in range(0, int(lengths.max()), 8):
        if at:
            todo = np.flatnonzero(lengths > at)
        pos = starts[todo] + at
        shift = ((pos & 7) * 8).astype(np.uint64)
        low = aligned[pos >> 3] >> shift
        high = (aligned[(pos >> 3) + 1] << np.uint64(1)) << (np.uint64(63) - shift)
        # OR 0x20 into every byte folds ASCII case (digits keep their value; it may merge a few
        # non-ASCII byte pairs, harmless for similarity).
        chunk = (low | high | _CASE_BITS) & _BYTE_MASKS[np.minimum(lengths[todo] - at, 8)]
        acc[todo] = fold(acc[todo], chunk)
    return fmix64(acc), np.searchsorted(starts, offsets).astype(np.int64)


def windows(hashes: np.ndarray, offsets: np.ndarray, sizes: list[int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Hashes of every window of ``k`` consecutive words within a document, for each ``k``.

    Returns ``{k: (window hashes, document index of each window)}`` in document order. For the
    largest size, a document shorter than ``k`` contributes one window of all its words (so no
    document has an empty set); smaller sizes list only full windows (what decontamination needs
    to match short references exactly).
    """
    if not sizes or min(sizes) < 1 or max(sizes) > len(_WINDOW_WEIGHTS):
        raise ValueError(f"window sizes must be in 1..{len(_WINDOW_WEIGHTS)}")
    n = len(hashes)
    lengths = np.diff(offsets)
    doc_of = np.repeat(np.arange(len(lengths)), lengths)
    room = offsets[1:][doc_of] - np.arange(n)  # words from this one to the end of its document
    largest = max(sizes)
    short = np.flatnonzero((lengths > 0) & (lengths < largest))
    short_values = np.zeros(len(short), np.uint64)
    acc = hashes * _WINDOW_WEIGHTS[0]
    out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for k in range(1, largest + 1):
        if k > 1:
            # Windows that run past their document are garbage here and filtered out below.
            with np.errstate(over="ignore"):
                acc[:n - k + 1] += hashes[k - 1:] * _WINDOW_WEIGHTS[k - 1]
        done = lengths[short] == k
        short_values[done] = acc[offsets[short[done]]]
        if k in sizes:
            keep = room >= k
            if k < largest:
                out[k] = (acc[keep], doc_of[keep])
            else:
                docs = np.concatenate([doc_of[keep], short])
                order = np.argsort(docs, kind="stable")
                out[k] = (np.concatenate([acc[keep], short_values])[order], docs[order])
    return out


def shingle_hashes(texts: pa.Array, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Flat k-word shingle hashes and per-document offsets (the layout rensa's flat API takes)."""
    hashes, offsets = word_hashes(texts)
    values, doc_of = windows(hashes, offsets, [k])[k]
    counts = np.bincount(doc_of, minlength=len(offsets) - 1)
    return values, np.concatenate([[0], np.cumsum(counts)]).astype(np.uint64)
