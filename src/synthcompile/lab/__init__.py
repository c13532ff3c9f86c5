"""The lab: train small causal LMs on compiled corpora and probe the skills they learn.

- ``config.py``: the training config (YAML, pydantic, located errors);
- ``models.py``: named model variants over Hugging Face ``transformers`` configs;
- ``data.py``: exported documents, selected by family, in a fresh order each epoch;
- ``train.py``: the training loop with resumable checkpoints;
- ``probe.py``: greedy answers to the probe split, scored by the compilers' own verifiers;
- ``curves.py``: learning curves and the step where a skill switches on;
- ``sweep.py`` / ``compare.py``: grids of recipes x models x seeds, and their HTML report.

torch and transformers are the ``lab`` extra: import this package's modules only when training.
"""
