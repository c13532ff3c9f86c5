from __future__ import annotations

import pytest

from synthcompile.errors import RecipeError
from synthcompile.recipe import load_recipe

HEAD = "name: r\nlogic:\n  generators:\n    - {family: arithmetic, count: 10}\nexport:\n"


@pytest.mark.parametrize("body, message", [
    ("  pack: {seq_lenght: 8}\n", "unknown key 'seq_lenght' (did you mean 'seq_len'?)"),
    ("  balance: {by: [family], cap: 3, proportions: {a: 1}}\n", "exactly one of 'cap' or 'proportions'"),
    ("  tokenizer: {}\n", "exactly one of 'train' or 'path'"),
    ("  mix: {stages: [{name: a, tokens: 10}]}\n", "a token budget needs 'weights'"),
    ("  mix: {stages: [{name: a}, {name: a}]}\n", "names must be unique"),
])
def test_export_section_errors_are_located(write_recipe, body, message):
    with pytest.raises(RecipeError) as info:
        load_recipe(write_recipe(HEAD + body))
    assert message in str(info.value) and "recipe.yaml:" in str(info.value)


def test_defaults_train_a_tokenizer_and_pack(write_recipe):
    export = load_recipe(write_recipe(HEAD + "  text: true\n")).export
    assert export.tokenizer.train.vocab_size == 8192 and export.pack.seq_len == 1024
