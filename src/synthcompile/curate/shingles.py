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


def _word_spans(data: np.ndarray, offsets: np.ndarray, used: int) -> tuple[np.ndarray, np.ndarray]:
    """Byte offsets ``(starts, ends)`` of every word, in order; ``ends`` are exclusive."""
    lo = int(offsets[0]) if len(offsets) else 0
    flags = np.zeros(used - lo + 2, bool)  # flags[i + 1]: byte lo + i is a word byte
    flags[1:-1] = _IS_WORD[data[lo:used]]
    first = flags[1:] & ~flags[:-1]  # first[i]: a word starts at byte lo + i
    after = flags[:-1] & ~flags[1:]  # after[i]: a word ended just before byte lo + i
    # A word that runs across a document boundary is two words. (Boolean arrays throughout:
    # numpy finds nonzeros of a bool array several times faster than of an int8 diff.)
    inner = offsets[1:-1] - lo
    inner = inner[(inner > 0) & (inner < used - lo)]
    joined = inner[flags[inner] & flags[inner + 1]]
    first[joined] = True
    after[joined] = True
    return np.flatnonzero(first) + lo, np.flatnonzero(after) + lo


def word_hashes(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(hash of every word in order, per-document word offsets of length ``len(texts) + 1``).

    Per-byte work is one lookup and a few boolean passes; each word's first 8 bytes are then
    read in one gather, so the 64-bit arithmetic runs once per word (and once more per further
    8 bytes of a long word).
    """
    data, offsets, used = _text_buffer(texts)
    starts, ends = _word_spans(data, offsets, used)
    if not len(starts):
        return np.zeros(0, np.uint64), np.zeros(len(offsets), np.int64)
    lengths = ends - starts
    # A byte-strided uint64 view: element i is the 8 bytes from byte i, so reading a word needs
    # no alignment arithmetic (the buffer has 16 spare bytes, so the last word can be read).
    at_byte = np.ndarray((len(data) - 7,), "<u8", data, strides=(1,))

    def chunk(pos: np.ndarray, remaining: np.ndarray) -> np.ndarray:
        # OR 0x20 into every byte folds ASCII case (digits and "_" already have that bit; it may
        # merge a few non-ASCII byte pairs, harmless for similarity). Word bytes are never zero
        # after it, so the masked chunk of a word of <= 8 bytes also encodes its length.
        # (np.take: several times faster than fancy indexing into this 9-entry table)
        return (at_byte[pos] | _CASE_BITS) & np.take(_BYTE_MASKS, np.minimum(remaining, 8))

    acc = chunk(starts, lengths)
    for at in range(8, int(lengths.max()), 8):
        todo = np.flatnonzero(lengths > at)
        acc[todo] = fold(acc[todo], chunk(starts[todo] + at, lengths[todo] - at))
    return fmix64(acc), np.searchsorted(starts, offsets).astype(np.int64)


def _window_mask(offsets: np.ndarray, k: int, n: int) -> np.ndarray:
    """Of the ``n`` windows starting at each word, those that end inside their document."""
    keep = np.ones(n, bool)
    if k > 1:
        late = (offsets[1:, None] - np.arange(1, k)).ravel()  # the last k-1 words of each document
        late = late[(late >= np.repeat(offsets[:-1], k - 1)) & (late < n)]
        keep[late] = False
    return keep


def _windows(hashes: np.ndarray, offsets: np.ndarray, sizes: list[int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """``{k: (window hashes, per-document offsets into them)}``: see :func:`windows`."""
    if not sizes or min(sizes) < 1 or max(sizes) > len(_WINDOW_WEIGHTS):
        raise ValueError(f"window sizes must be in 1..{len(_WINDOW_WEIGHTS)}")
    n = len(hashes)
    lengths = np.diff(offsets)
    largest = max(sizes)
    short = np.flatnonzero((lengths > 0) & (lengths < largest))
    short_values = np.zeros(len(short), np.uint64)
    out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    with np.errstate(over="ignore"):
        acc = hashes * _WINDOW_WEIGHTS[0]
        for k in range(1, largest + 1):
            if k > 1:  # acc[i] becomes the hash of the k words from word i
                acc = acc[:max(n - k + 1, 0)]
                acc += hashes[k - 1:] * _WINDOW_WEIGHTS[k - 1]
            done = lengths[short] == k
            short_values[done] = acc[offsets[short[done]]]
            if k not in sizes:
                continue
            counts = np.maximum(lengths - k + 1, 0)
            values = acc[_window_mask(offsets, k, len(acc))]
            if k == largest and len(short):
                before = np.cumsum(counts)[short] - counts[short]  # full windows before each
                values = np.insert(values, before, short_values)
                counts[short] = 1
            out[k] = (values, np.concatenate([[0], np.cumsum(counts)]).astype(np.int64))
    return out


def windows(hashes: np.ndarray, offsets: np.ndarray, sizes: list[int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Hashes of every window of ``k`` consecutive words within a document, for each ``k``.

    Returns ``{k: (window hashes, document index of each window)}`` in document order. For the
    largest size, a document shorter than ``k`` contributes one window of all its words (so no
    document has an empty set); smaller sizes list only full windows (what decontamination needs
    to match short references exactly).
    """
    return {k: (values, np.repeat(np.arange(len(win) - 1), np.diff(win)))
            for k, (values, win) in _windows(hashes, offsets, sizes).items()}


def shingle_hashes(texts: pa.Array, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Flat k-word shingle hashes and per-document offsets (the layout rensa's flat API takes)."""
    hashes, offsets = word_hashes(texts)
    values, win = _windows(hashes, offsets, [k])[k]
    return values, win.astype(np.uint64)
