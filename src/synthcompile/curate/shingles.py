"""Word and word-n-gram hashes of a whole Arrow text column, without one Python object per word.

MinHash itself is rensa's; what no library does is turn an Arrow string column into flat u64
token hashes fast enough to feed ``RMinHash.digest_matrix_from_flat_token_hashes``: splitting
into Python strings costs more than the hashing. So this module works on the column's UTF-8
buffer with numpy (hand-written for that reason):

- a *word* is a maximal run of word bytes: ASCII letters, digits, ``_`` and every non-ASCII
  byte (so non-Latin words stay whole); ASCII letters are case-folded; other ASCII bytes
  (spaces, punctuation) separate words and are dropped;
- a word's hash is the murmur3 64-bit finaliser of its bytes, read as one little-endian 64-bit
  chunk (longer words fold in one more chunk per 8 bytes);
- a window of ``k`` consecutive words of one document hashes as a weighted sum of its word
  hashes (a different fixed odd weight per position in the window). A document with fewer
  than ``k`` words has one window: all its words.

Every step is a whole-array numpy call over a batch of texts (no Python loop per text or word).
Why hand-written: no installed library tokenises and hashes without a Python object per word.
Measured on 20k documents of 500 words (5-word shingle hashes, CPU time, same run, load ~3 on
2 cores): this module 0.80 s; ``str.split`` + ``xxhash.xxh64_intdigest`` per shingle 4.07 s;
pyarrow's ``utf8_split_whitespace`` then xxhash per word 4.79 s; tokenizers' ``WhitespaceSplit``
pre-tokenizer + xxhash 15.0 s; rensa's own string API costs the same split and join (bench/dedup.py
(b3)). A simple numba kernel (~0.33 s against ~0.4 s, an earlier run) saved less than numba's
~0.45 s import per process.

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
# The same table for byte pairs (a little-endian uint16 -> two flag bytes): one lookup per two
# bytes, half the cost of the byte table on whole texts.
_IS_WORD_PAIR = (_IS_WORD[np.arange(65536) & 0xFF].astype("<u2")
                 | (_IS_WORD[np.arange(65536) >> 8].astype("<u2") << 8))
_CASE_BITS = np.uint64(0x2020202020202020)
# Word k of a window is weighted by the k-th odd constant: cheap, order-sensitive, and the
# word hashes it combines are already well mixed (rensa permutes the result again).
_WINDOW_WEIGHTS = np.random.default_rng(0x5EED).integers(0, 2**63, 256, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
_BYTE_MASKS = np.array([(1 << (8 * i)) - 1 for i in range(8)] + [2**64 - 1], dtype=np.uint64)


def _fmix64_inplace(x: np.ndarray) -> np.ndarray:
    # In place with one scratch array: ~3x faster than a new array per operation (no allocation
    # and page faults per step).
    scratch = x >> _MASK_SHIFT
    x ^= scratch
    np.multiply(x, _FMIX1, out=x)
    np.right_shift(x, _MASK_SHIFT, out=scratch)
    x ^= scratch
    np.multiply(x, _FMIX2, out=x)
    np.right_shift(x, _MASK_SHIFT, out=scratch)
    x ^= scratch
    return x


def fmix64(x: np.ndarray) -> np.ndarray:
    """murmur3's finaliser: spreads every input bit over the whole 64-bit output."""
    return _fmix64_inplace(np.array(x, dtype=np.uint64))


def fold(acc: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Order-sensitive combination of two hash arrays."""
    out = acc * _FOLD
    out += x
    return _fmix64_inplace(out)


def _text_buffer(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The texts' UTF-8 bytes (with at least 8 readable bytes past the last one) and per-document
    byte offsets into them, of length ``len(texts) + 1``."""
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
    lo, used = int(offsets[0]), int(offsets[-1])
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    if len(data) >= used + 16:  # the usual case: more of the buffer (or Arrow's padding) follows
        data = data[lo:]
    else:
        data = np.concatenate([data[lo:used], np.zeros(16, np.uint8)])
    return data, offsets.astype(np.int64) - lo


def symbol_table(symbols: bytes) -> np.ndarray:
    """A byte table for :func:`word_hashes`: these ASCII bytes become one-byte words."""
    table = np.zeros(256, bool)
    table[list(symbols)] = True
    if (table & _IS_WORD).any():
        raise ValueError("a symbol cannot be a word byte")
    return table


def _word_spans(data: np.ndarray, offsets: np.ndarray,
                symbols: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Byte offsets ``(starts, ends)`` of every word, in order; ``ends`` are exclusive."""
    n = int(offsets[-1])
    flags = np.zeros(n + 2, bool)  # flags[i + 1]: byte i is a word byte
    # (reading one byte past the end when n is odd is safe: the buffer has spare bytes)
    flags[1:-1] = _IS_WORD_PAIR[data[:n + n % 2].view("<u2")].view(bool)[:n]
    first = flags[1:] > flags[:-1]  # first[i]: a word starts at byte i
    after = flags[:-1] > flags[1:]  # after[i]: a word ended just before byte i
    # A word that runs across a document boundary is two words. (Boolean arrays throughout:
    # numpy finds nonzeros of a bool array several times faster than of an int8 diff.)
    inner = offsets[1:-1]
    inner = inner[(inner > 0) & (inner < n)]
    joined = inner[flags[inner] & flags[inner + 1]]
    first[joined] = True
    after[joined] = True
    starts, ends = np.flatnonzero(first), np.flatnonzero(after)
    if symbols is not None:  # each symbol byte is a word of its own (never inside another word)
        at = np.flatnonzero(symbols[data[:n]])
        starts, ends = np.sort(np.concatenate([starts, at])), np.sort(np.concatenate([ends, at + 1]))
    return starts, ends


def word_hashes(texts: pa.Array, symbols: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(hash of every word in order, per-document word offsets of length ``len(texts) + 1``).

    ``symbols`` (a :func:`symbol_table`): punctuation bytes kept as one-byte words instead of
    dropped (decontamination keeps ``+``, ``-``, ``*``... so ``3 + 4`` and ``3 - 4`` differ).

    Per-byte work is one lookup and a few boolean passes; each word's first 8 bytes are then
    read in one gather, so the 64-bit arithmetic runs once per word (and once more per further
    8 bytes of a long word).
    """
    data, offsets = _text_buffer(texts)
    starts, ends = _word_spans(data, offsets, symbols)
    if not len(starts):
        return np.zeros(0, np.uint64), np.zeros(len(offsets), np.int64)
    lengths = ends - starts
    # A byte-strided uint64 view: element i is the 8 bytes from byte i, so reading a word needs
    # no alignment arithmetic (the buffer has spare bytes, so the last word can be read).
    at_byte = np.ndarray((len(data) - 7,), "<u8", data, strides=(1,))

    def chunk(pos: np.ndarray, remaining: np.ndarray) -> np.ndarray:
        # OR 0x20 into every byte folds ASCII case (digits and "_" already have that bit; it may
        # merge a few non-ASCII byte pairs, harmless for similarity). Word bytes are never zero
        # after it, so the masked chunk of a word of <= 8 bytes also encodes its length.
        # (np.take: several times faster than fancy indexing into this 9-entry table; "clip"
        # reads all 8 bytes of a longer word)
        out = at_byte[pos]
        out |= _CASE_BITS
        out &= np.take(_BYTE_MASKS, remaining, mode="clip")
        return out

    acc = chunk(starts, lengths)
    for at in range(8, int(lengths.max()), 8):
        todo = np.flatnonzero(lengths > at)
        acc[todo] = fold(acc[todo], chunk(starts[todo] + at, lengths[todo] - at))
    return _fmix64_inplace(acc), np.searchsorted(starts, offsets).astype(np.int64)


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
    acc = hashes * _WINDOW_WEIGHTS[0]
    scratch = np.empty_like(acc)
    for k in range(1, largest + 1):
        if k > 1:  # acc[i] becomes the hash of the k words from word i (uint64: wraps around)
            acc = acc[:max(n - k + 1, 0)]
            acc += np.multiply(hashes[k - 1:], _WINDOW_WEIGHTS[k - 1], out=scratch[:len(acc)])
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
