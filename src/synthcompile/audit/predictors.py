"""Trivial predictors: what a model could learn instead of the skill.

Each is fitted on one half of a group's rows and scored on the other half (rows split by their id
hash, so the split is fixed): the majority answer; the answer looked up from one surface feature
of the question (its length, line count, count of numbers, words or commas: proxies for the
number of premises, rules, edges, operands); a bag-of-words naive Bayes over the question's words
(scikit-learn). A group is *shortcut-prone* when one of them beats the majority baseline by more
than the margin, beyond four standard errors (many groups and predictors are tried); or when one
answer of a small answer space takes more than the allowed share.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

FEATURES = ("chars", "lines", "numbers", "words", "commas")
BINS = 10  # quantile bins for a feature with many values
# A gain must also exceed this many standard errors. A build judges ~100 groups x 6 predictors:
# at 3 sigma (one-sided p = 0.13%) one of them is flagged by chance in about every other build
# (the quickstart's deduction_chains d3 depth did: 9 points on 325 held-out rows, 1.3 points on
# 5,000); at 4 sigma (p = 3e-5) a chance flag comes about once in 50 builds.
SIGMAS = 4


@dataclass(frozen=True)
class Verdict:
    rows: int
    distinct: int
    majority: str
    majority_share: float
    entropy_bits: float
    baseline: float
    accuracy: dict[str, float]
    best: str
    gain: float
    flagged: bool
    reason: str | None


def _majority(answers: list[str]) -> str:
    counts = Counter(answers)
    return min(counts, key=lambda a: (-counts[a], a))  # ties: the smallest answer, for stable bytes


def _lookup(train_x: np.ndarray, train_y: list[str], test_x: np.ndarray, fallback: str) -> list[str]:
    """Predict the majority answer of the training rows with the same feature value."""
    by_value: dict[float, Counter] = {}
    for x, y in zip(train_x.tolist(), train_y):
        by_value.setdefault(x, Counter())[y] += 1
    table = {x: min(c, key=lambda a: (-c[a], a)) for x, c in by_value.items()}
    return [table.get(x, fallback) for x in test_x.tolist()]


def _binned(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Quantile bins learned on the training half (a feature with many values)."""
    if len(np.unique(train)) <= BINS:
        return train, test
    edges = np.unique(np.quantile(train, np.linspace(0, 1, BINS + 1)[1:-1]))
    return np.searchsorted(edges, train, side="right"), np.searchsorted(edges, test, side="right")


def _bag_of_words(train_q: list[str], train_y: list[str], test_q: list[str]) -> list[str] | None:
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.naive_bayes import MultinomialNB

    # Words, not numbers: a question's own numbers determine a numeric answer (that is the skill),
    # while its words (names, connectives, units) should not.
    vec = CountVectorizer(token_pattern=r"(?u)\b[^\W\d_]+\b", min_df=2, max_features=5000)
    try:
        x = vec.fit_transform(train_q)
    except ValueError:  # no word appears twice
        return None
    model = MultinomialNB().fit(x, train_y)
    return [str(p) for p in model.predict(vec.transform(test_q))]


def judge(answers: list[str], questions: list[str], features: dict[str, np.ndarray], train: np.ndarray, *,
          margin: float, max_share: float, small_space: int, min_rows: int) -> Verdict:
    """Fit the trivial predictors on ``train`` rows, score them on the others, and judge."""
    n = len(answers)
    counts = Counter(answers)
    majority = _majority(answers)
    share = counts[majority] / n
    entropy = -sum(c / n * math.log2(c / n) for c in counts.values())
    test = ~train
    tr_y = [a for a, t in zip(answers, train) if t]
    te_y = [a for a, t in zip(answers, train) if not t]
    accuracy: dict[str, float] = {}
    if tr_y and te_y:
        base_answer = _majority(tr_y)
        accuracy["majority"] = float(np.mean([y == base_answer for y in te_y]))
        if len(counts) > 1:
            for name in FEATURES:
                x_tr, x_te = _binned(features[name][train], features[name][test])
                guess = _lookup(x_tr, tr_y, x_te, base_answer)
                accuracy[f"by {name}"] = float(np.mean([g == y for g, y in zip(guess, te_y)]))
            guess = _bag_of_words([q for q, t in zip(questions, train) if t], tr_y,
                                  [q for q, t in zip(questions, train) if not t])
            if guess is not None:
                accuracy["bag of words"] = float(np.mean([g == y for g, y in zip(guess, te_y)]))
    baseline = accuracy.get("majority", share)
    best = max((k for k in accuracy if k != "majority"), key=lambda k: (accuracy[k], k), default="majority")
    gain = accuracy.get(best, baseline) - baseline
    reason = None
    if n >= min_rows:
        se = math.sqrt(max(accuracy.get(best, 0.0) * (1 - accuracy.get(best, 0.0)), 1e-9) / max(len(te_y), 1))
        if gain > margin and gain > SIGMAS * se:
            reason = f"{best} predicts {accuracy[best]:.0%} of held-out answers (majority baseline {baseline:.0%})"
        elif len(counts) <= small_space and share > max_share:
            reason = f"{majority!r} is {share:.0%} of {len(counts)} possible answers (cap {max_share:.0%})"
    return Verdict(rows=n, distinct=len(counts), majority=majority, majority_share=share, entropy_bits=entropy,
                   baseline=baseline, accuracy=accuracy, best=best, gain=gain, flagged=reason is not None,
                   reason=reason)
