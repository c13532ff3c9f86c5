from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from synthcompile.export.tokenizer import TokenizerStage, sample_quotas, sample_train_text, train_bpe
from synthcompile.export.config import TokenizerSection, TrainTokenizer
from synthcompile.sample import sample_id
from synthcompile.stage import ShardContext, Upstream

NAMES = ["Thev Raevwylgein", "Orla Quennisk", "Bram Tovelund"]
TEXTS = [f"{n} was born in 19{i % 90 + 10}. Who is {n}? {n} works in {n.split()[1]}ville."
         for i in range(300) for n in NAMES] + ["497 + 268 = 765", " leading space", "two  spaces\n\nend"]


def test_a_word_is_the_same_token_at_document_start_and_mid_text():
    tok = train_bpe(TEXTS, 400, 2, "<|endoftext|>")
    for name in NAMES:
        prefix = tok.encode("Who is", add_special_tokens=False).tokens
        later = tok.encode(f"Who is {name}?", add_special_tokens=False).tokens
        assert later[:len(prefix)] == prefix
        word = later[len(prefix):-1]  # the name's tokens mid-text (before the "?")
        first = tok.encode(f"{name} was born in 1990.", add_special_tokens=False).tokens
        assert first[:len(word)] == word, (first, word)
    for text in TEXTS[-3:] + ["ünïcödé 12", ""]:  # decoding gives back exactly the text
        assert tok.decode(tok.encode(text, add_special_tokens=False).ids) == text
    digits = tok.encode("x 2026", add_special_tokens=False).tokens
    assert digits[-4:] == ["2", "0", "2", "6"]  # digits stay single tokens


def write_stream(root, shards: int = 5, rows: int = 200) -> list[str]:
    paths = []
    for s in range(shards):
        texts = [f"shard {s} document {i} " + "word " * (i % 7) for i in range(rows)]
        split = ["probe" if s == shards - 1 else ("train" if i % 10 else "probe") for i in range(rows)]
        rel = f"logic/shards/s{s}.parquet"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table({"id": [sample_id(t) for t in texts], "text": texts, "split": split}), root / rel)
        paths.append(rel)
    return paths


def test_training_sample_is_bounded_spread_and_fixed(tmp_path):
    paths = write_stream(tmp_path)  # the last shard holds probes only
    sample = list(sample_train_text(tmp_path, paths, 300))
    assert len(sample) == 300 and len(set(sample)) == 300
    assert sample == list(sample_train_text(tmp_path, paths, 300))
    per_shard = {s: sum(t.startswith(f"shard {s} ") for t in sample) for s in range(5)}
    assert per_shard[4] == 0 and all(per_shard[s] >= 60 for s in range(4)), per_shard
    train = {t for p in paths for t, sp in zip(*pq.read_table(tmp_path / p, columns=["text", "split"])
                                                .to_pydict().values()) if sp == "train"}
    assert set(sample) <= train
    everything = list(sample_train_text(tmp_path, paths, 10_000))
    assert len(everything) == len(train)  # a small corpus is used whole


def test_tokenizer_stage_trains_on_the_sample(tmp_path):
    paths = write_stream(tmp_path)
    section = TokenizerSection(train=TrainTokenizer(vocab_size=300, sample_documents=50))
    stage = TokenizerStage(section)
    spec = stage.plan(_upstream(paths))[0]
    ctx = ShardContext(seed=0, run_root=tmp_path, spec=spec)
    row = next(iter(stage.run_shard(spec, ctx))).to_pylist()[0]
    assert ctx.stats["sample_documents"] == 50 and row["vocab_size"] <= 300


def _upstream(paths):
    return Upstream((("logic", "compile", tuple(paths)),))


def test_quotas_are_even_capped_and_exact():
    assert sample_quotas([0, 5, 100, 100], 65) == [0, 5, 30, 30]
    assert sample_quotas([10, 10, 10], 8) == [3, 3, 2]
    assert sample_quotas([3, 4], 100) == [3, 4]


def test_document_keys_are_derive_seed():
    from synthcompile.export.tokenize import document_keys
    from synthcompile.rng import derive_seed

    ids = [sample_id(t) for t in TEXTS[:50]]
    select, shuffle = document_keys(7, ids)
    assert select.to_pylist() == [derive_seed(7, "select", i) for i in ids]
    assert shuffle.to_pylist() == [derive_seed(7, "shuffle", i) for i in ids]


def test_whole_numbers_merge_like_words_and_still_round_trip():
    tok = train_bpe(TEXTS, 400, 2, "<|endoftext|>", numbers="whole")
    born = tok.encode("Orla Quennisk was born in 1957.", add_special_tokens=False).tokens
    assert born[-2:] == ["Ġ1957", "."]  # seen 3 times in TEXTS: one token with its space
    digits = train_bpe(TEXTS, 400, 2, "<|endoftext|>").encode("born in 1957.", add_special_tokens=False)
    assert digits.tokens[-5:] == ["1", "9", "5", "7", "."]
    mixed = tok.encode("Quennisk1957 1957Quennisk", add_special_tokens=False).tokens
    assert not any(any(c.isdigit() for c in t) and any(c.isalpha() for c in t.lstrip("Ġ")) for t in mixed)
    for text in TEXTS[-3:] + ["ünïcödé 12", "", "1,049,290 and 2026-12-04"]:
        assert tok.decode(tok.encode(text, add_special_tokens=False).ids) == text
