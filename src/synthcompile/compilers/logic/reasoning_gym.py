"""Any reasoning-gym dataset as a logic family: ``family: reasoning_gym:<dataset name>``.

The mapping, decided once here for every dataset:

- **params** are the fields of the dataset's config dataclass (``seed`` and ``size`` excepted:
  the stage sets them). They are checked by a pydantic model built from the dataclass, so an
  unknown key is a located recipe error with a suggestion, and the dataset's own ``validate()``
  runs at recipe-check time with its message turned into a ``ValueError``.
- **difficulty levels** come from the dataset's curriculum: level ``k`` is the curriculum at
  global level ``k - 1``, read in reasoning-gym's default ``INCLUSIVE`` mode (ranges from the
  easiest value up to level ``k - 1``'s). The ``UPPER_BOUND`` mode would give each level its own
  band, but its top bands are configurations some generators cannot fill (countdown fails to
  find expressions), while ``INCLUSIVE`` is the mode reasoning-gym itself exercises. Trailing
  levels the dataset's own ``validate()`` rejects are dropped (caesar_cipher's curriculum goes
  past its 25 rotations). A dataset without a curriculum (gsm_symbolic, acre, list_functions)
  has one level, its default config: we do not invent difficulty knobs for a generator we do
  not own.
- **items**: one per sample, from a dataset built with ``size=1`` and a seed drawn from the
  sample's own RNG, so item *i* depends on nothing but its own seed (some datasets draw their
  task list from the seed in ``__init__``, so indexing a shared dataset would not be
  independent). A generator that raises is retried with the next seed from the same RNG (a
  few reasoning-gym generators give up on hard draws). The cost: datasets whose constructor
  loads data files (arc_agi, group_anagrams, figlet_font, word_ladder, codeio) take 0.1-0.4 s
  per sample. Determinism holds for every dataset that draws only from its seed, which is
  reasoning-gym's own contract.
- **what is stored**: the item (JSON) and its seed. An item whose metadata does not survive
  JSON unchanged (tuples, as in arc_agi) is rebuilt from the seed to be scored, and the
  rebuilt item must serialise to the stored one.
- **traces**: reasoning-gym items carry no solver trace in general. For the few datasets whose
  metadata holds the solving steps (``TRACES``) they become the trace; for the rest the trace is
  empty and the stage renders the sample in the plain form whatever the recipe's form weights.
- **phrasing**: the dataset's own question, as is (it carries the dataset's answer-format
  instructions, which a rephrasing could contradict).
- **verification** is stricter than reasoning-gym's: a sample passes only if the dataset's
  ``score_answer`` gives exactly 1.0 *and* the answer equals the oracle after the same
  normalisation on both sides (numbers compared as exact rationals, signs included; text
  compared line by line, case-sensitive, whitespace collapsed; a final period is ignored on
  both sides but handed to the scorer). The base ``score_answer``
  gives partial credit to any answer that contains the oracle, and gsm_symbolic's drops a
  leading minus sign; the conjunction rejects both. Items with no single oracle (``answer`` is
  None: propositional_logic, graph_color, rubiks_cube) are trained on the example answer their
  metadata holds and verified by the dataset's own checker alone, which accepts any valid
  answer; a dataset with neither oracle nor example (boxnet, rush_hour) is refused, and so is
  ``composite``, whose place is taken by listing its datasets as generators.
- **reading an answer**: as ``answers.final_answer`` reads it, except that when the oracle
  spans lines (grids, move lists) a bare response is read whole rather than by its last line.
- **labels are cross-checked** where one of our families decides the same task
  (:mod:`.reasoning_gym_checks`: syllogism, the arithmetic chains, shortest_path, ...): its
  solver re-derives the answer from the question, and an item whose label it contradicts, or
  that it cannot read, is quarantined (``label_disagrees`` / ``label_unchecked``) rather than
  written, since reasoning-gym's scorer only compares with the label. ``verify`` repeats the
  check, so re-scoring a stored sample with a wrong label fails too.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import random
import typing
from functools import lru_cache
from importlib import metadata as importlib_metadata
from typing import Any, Callable, ClassVar

from pydantic import Field, create_model, model_validator

from synthcompile.answers import final_answer, parse_number
from synthcompile.compilers.logic.base import Family, FamilyConfig, GenerationFailed, Problem, Quarantined
from synthcompile.compilers.logic.reasoning_gym_checks import CHECKS, Unreadable
from synthcompile.sample import Verdict

EXTRA_HINT = "reasoning-gym datasets need the optional extra: pip install 'synthcompile[reasoning-gym]'"
ADAPTER_VERSION = "2"  # 2: labels cross-checked by our solvers (items quarantined)
RESERVED_FIELDS = ("seed", "size")  # set per sample by the adapter, never by a recipe
# Metadata keys that hold a valid example answer when an item has no single oracle.
EXAMPLE_KEYS = ("example_answer", "possible_answer", "example_correct_answer")
ATTEMPTS = 10  # draws per sample before a failing generator is reported


def _gsm_steps(meta: dict) -> list[str]:
    # answer_cot is the worked solution; its last line is "#### <answer>", which the answer repeats.
    return [ln for ln in meta["answer_cot"].splitlines() if ln.strip() and not ln.startswith("####")]


def _states(meta: dict) -> list[str]:
    return [f"state {k}: {' '.join(map(str, s)) if isinstance(s, list) else s}"
            for k, s in enumerate(meta["states"])]


# Datasets whose metadata records the solver's own steps (checked by reading their generators).
TRACES: dict[str, Callable[[dict], list[str]]] = {
    "gsm_symbolic": _gsm_steps,
    "string_manipulation": _states,
    "string_splitting": _states,
    "string_synthesis": _states,
}


def _registry() -> tuple[dict, dict]:
    try:
        from reasoning_gym.factory import CURRICULA, DATASETS
    except ImportError as exc:
        raise ImportError(EXTRA_HINT) from exc
    return DATASETS, CURRICULA


def reasoning_gym_family(name: str) -> type[Family]:
    """The Family class for reasoning-gym dataset ``name`` (built once, then cached)."""
    datasets, _ = _registry()
    if name == "composite":
        raise ValueError("reasoning-gym 'composite' mixes datasets: list each as its own generator")
    if name not in datasets:
        close = difflib.get_close_matches(name, list(datasets), n=3, cutoff=0.6)
        hint = f" (did you mean {' or '.join(map(repr, close))}?)" if close else \
            f" ({len(datasets)} datasets, e.g. {', '.join(sorted(datasets)[:5])}, ...)"
        raise ValueError(f"unknown reasoning-gym dataset {name!r}{hint}")
    return _family_class(name)


class ReasoningGymConfig(FamilyConfig):
    """Base of the generated configs: after field checks, the dataset's own ``validate()``."""

    dataset_name: ClassVar[str]
    dataclass_type: ClassVar[type]

    def to_dataclass(self, **fixed: Any) -> Any:
        values = {name: getattr(self, name) for name in type(self).model_fields}
        return self.dataclass_type(**values, **fixed)

    @model_validator(mode="after")
    def _dataset_validate(self) -> "ReasoningGymConfig":
        try:
            config = self.to_dataclass(seed=0, size=1)
            if callable(getattr(config, "validate", None)):
                config.validate()
        except Exception as exc:  # reasoning-gym validates with assert; say what it said
            raise ValueError(f"{self.dataset_name}: {exc or type(exc).__name__}") from None
        return self


def _config_model(name: str, config_cls: type) -> type[ReasoningGymConfig]:
    """A pydantic mirror of the dataset's config dataclass (types and defaults as declared)."""
    hints = typing.get_type_hints(config_cls)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(config_cls):
        if f.name in RESERVED_FIELDS or not f.init:
            continue
        if f.default is not dataclasses.MISSING:
            default = Field(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            default = Field(default_factory=f.default_factory)
        else:
            default = ...
        fields[f.name] = (hints.get(f.name, Any), default)
    model = create_model(f"{config_cls.__name__}Params", __base__=ReasoningGymConfig, **fields)
    model.dataset_name = name
    model.dataclass_type = config_cls
    return model


def _curriculum_levels(name: str, curricula: dict, config: type[ReasoningGymConfig]) -> dict[int, dict[str, Any]]:
    """Level k+1 = the curriculum's global level k, as overrides of the config fields it sets.

    Stops at the first level the dataset's own validation rejects.
    """
    if name not in curricula:
        return {1: {}}
    from reasoning_gym.coaching.attributes import RangeAttributeDefinition
    from reasoning_gym.coaching.base_curriculum import DefaultCurriculumContext, RangeAttributeMode

    curriculum = curricula[name]()
    context = DefaultCurriculumContext(mode=RangeAttributeMode.INCLUSIVE)
    names = []
    for attr in curriculum.attributes.values():
        names += ([attr.lower_field_name, attr.upper_field_name]
                  if isinstance(attr, RangeAttributeDefinition) else [attr.field_name])
    depth = max(len(attr.levels) for attr in curriculum.attributes.values())
    levels = {}
    for k in range(depth):
        curriculum.set_global_level(k)
        generated = curriculum.generate_configuration(context=context)
        overrides = {field: getattr(generated, field) for field in names}
        try:
            config(**overrides)
        except ValueError:
            break
        levels[k + 1] = overrides
    if not levels:
        raise ValueError(f"reasoning-gym dataset {name!r}: its curriculum's first level is invalid")
    return levels


def _jsonable(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    return str(value)


def _lines(text: str) -> list[str]:
    return [" ".join(ln.split()) for ln in text.strip().splitlines() if ln.strip()]


def _to_json(value: Any) -> Any:
    return json.loads(json.dumps(value, default=_jsonable))


class LabelRejected(Quarantined):
    """Our solver for the same task contradicts reasoning-gym's label, or cannot read the item."""


def cross_check(dataset: str, item: dict, label: str) -> tuple[str, str] | None:
    """(kind, reason) when our solver for ``dataset`` rejects ``label`` for ``item``; None when it
    agrees or we have no solver for the dataset."""
    if (found := CHECKS.get(dataset)) is None:
        return None
    try:
        ours = found.check(item, label)
    except Exception as exc:  # any surprise in the item is a refusal, never a crashed build
        detail = str(exc) if isinstance(exc, Unreadable) else repr(exc)
        return "label_unchecked", f"the {found.family} checker cannot read the item: {detail}"
    if ours is None:
        return None
    return "label_disagrees", f"reasoning-gym says {label!r}, the {found.family} checker says {ours}"


def label_of(item: dict) -> str | None:
    """What a sample trains on: the oracle, else the metadata's example answer (None: neither)."""
    if (oracle := item.get("answer")) is not None:
        return str(oracle)
    meta = item.get("metadata") or {}
    example = next((meta[k] for k in EXAMPLE_KEYS if meta.get(k) is not None), None)
    if example is None:
        return None
    return example if isinstance(example, str) else json.dumps(example)


def read_answer(response: str, multiline: bool) -> tuple[str, str]:
    """(answer for the strict comparison, answer for reasoning-gym's scorer).

    ``final_answer`` drops a final period, which sentence oracles (emoji_mystery) keep: the
    scorer gets it back when the response had it.
    """
    text = f"Answer:\n{response}" if multiline else response  # a bare response is read whole
    given = final_answer(text)
    for_scorer = given + "." if given and text.rstrip().endswith(given + ".") else given
    return given, for_scorer


class ReasoningGymFamily(Family):
    """Shared behaviour; ``_family_class`` makes one subclass per dataset."""

    dataset_name: ClassVar[str]
    dataset_type: ClassVar[type]
    phrasings = ("{question}",)

    def __init__(self, config: FamilyConfig):
        super().__init__(config)
        if not isinstance(config, ReasoningGymConfig):
            raise ValueError(f"{self.name}: config must be a {self.Config.__name__}")
        # The scorer: some datasets' score_answer reads their config, so it is this family's.
        self._scorer = self.dataset_type(config=config.to_dataclass(seed=0, size=1))

    def item(self, seed: int) -> dict[str, Any]:
        config = typing.cast(ReasoningGymConfig, self.config)
        return self.dataset_type(config=config.to_dataclass(seed=seed, size=1))[0]

    def draw(self, rng: random.Random) -> tuple[int, dict[str, Any]]:
        """(seed, item) from ``rng`` alone; seeds < 2**31 because some datasets seed numpy."""
        failure: Exception | None = None
        for _ in range(ATTEMPTS):
            seed = rng.randrange(2**31)
            try:
                return seed, self.item(seed)
            except Exception as exc:  # an upstream generator giving up on this draw
                failure = exc
        raise GenerationFailed(f"{self.name}: {ATTEMPTS} draws failed, last: {failure!r}") from failure

    def generate(self, rng: random.Random) -> Problem:
        seed, raw = self.draw(rng)
        item = _to_json(raw)
        answer_text = label_of(item)
        if answer_text is None:
            raise ValueError(f"reasoning-gym dataset {self.dataset_name!r} gives neither an oracle "
                             "nor an example answer, so its items cannot be verified")
        if rejected := cross_check(self.dataset_name, item, answer_text):
            kind, reason = rejected
            raise LabelRejected(reason, kind=kind, record={"dataset_seed": seed, "item": item})
        steps = TRACES.get(self.dataset_name)
        trace = steps(item.get("metadata") or {}) if steps else []
        return Problem(fields={"question": item["question"]}, answer_text=answer_text, trace=trace,
                       data={"seed": seed, "entry": item, "oracle": item.get("answer") is not None,
                             "rebuild": item != raw})

    def verify(self, data: dict, answer: str) -> Verdict:
        entry = data["entry"]
        if data["rebuild"]:  # metadata the scorer reads in types JSON does not keep
            rebuilt = self.item(data["seed"])
            if _to_json(rebuilt) != entry:
                return self.wrong("the stored item is not the one its seed gives")
            entry = rebuilt
        if rejected := cross_check(self.dataset_name, data["entry"], label_of(data["entry"]) or ""):
            return self.wrong(": ".join(rejected))
        oracle = data["entry"]["answer"]
        given, for_scorer = read_answer(answer, oracle is not None and "\n" in str(oracle))
        if not given:
            return self.wrong("no answer")
        score = self._scorer.score_answer(for_scorer, entry)
        if score != 1.0:
            return self.wrong(f"reasoning-gym score {score}")
        if not data["oracle"]:
            return self.ok()  # no single oracle: the dataset's checker accepts any valid answer
        # The oracle, read as a rendered "Answer: <oracle>" is read.
        expected = final_answer(f"Answer:\n{oracle}")
        want = parse_number(expected)
        if want is not None:
            got = parse_number(given)
            return self.ok() if got == want else self.wrong(f"expected {expected}, got {given!r}")
        if _lines(given) != _lines(expected):
            return self.wrong(f"expected {expected!r}, got {given!r}")
        return self.ok()

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        if not problem.data["oracle"]:
            return []
        oracle = problem.answer_text
        out = [f"{oracle} or something else", f"not {oracle}"]
        if (value := parse_number(oracle)) is not None:
            out += [str(value + 1), str(-value)] if value else [str(value + 1)]
        return out


@lru_cache(maxsize=None)
def _family_class(name: str) -> type[Family]:
    datasets, curricula = _registry()
    dataset_cls, config_cls = datasets[name]
    module = dataset_cls.__module__.split(".")
    category = module[1] if len(module) >= 3 else "other"
    doc = (dataset_cls.__doc__ or "").strip().splitlines()
    config = _config_model(name, config_cls)
    cls = type(f"ReasoningGym_{name}", (ReasoningGymFamily,), {
        "name": f"reasoning_gym:{name}",
        "description": f"reasoning-gym {name}: {doc[0] if doc else category}",
        "version": f"{ADAPTER_VERSION}+rg{importlib_metadata.version('reasoning-gym')}",
        "skills": ("reasoning_gym", category, name),
        "Config": config,
        "levels": _curriculum_levels(name, curricula, config),
        "dataset_name": name,
        "dataset_type": dataset_cls,
    })
    # Refuse a dataset we cannot verify, now (a located recipe error) rather than mid-build.
    family = cls.make(1)
    for attempt in range(ATTEMPTS):
        try:
            problem = family.generate(random.Random(attempt))
            break
        except LabelRejected as exc:  # a wrong label on this draw; every draw: refuse the dataset
            if attempt == ATTEMPTS - 1:
                raise ValueError(f"reasoning-gym dataset {name!r}: {ATTEMPTS} items rejected, last: "
                                 f"{exc.kind}: {exc}") from None
    if not problem.answer_text:
        raise ValueError(f"reasoning-gym dataset {name!r} gives an empty answer")
    return cls
