"""Training-ready export: balance, mix, tokenize, pack, text shards and a dataset card.

The stages (in order, after the curate stages) and the files they write are described in
docs/export.md. :func:`synthcompile.export.stages.export_stages` builds them from a recipe.
"""
