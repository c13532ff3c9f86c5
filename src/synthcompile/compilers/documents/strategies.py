"""The language-model strategies: what each asks for, the schema of its output, how the output
becomes training text and which of its fields grounding checks (docs/documents.md).

Each strategy's prompt is a Jinja2 file of the same name under ``prompts/`` (overridable, and new
ones addable, from the recipe's ``prompts:`` folder) with a ``system`` and ``user`` block for
chat models, a ``completion`` block for base models and an optional ``prefill`` that starts the
reply. The families, and where they come from:

- SYNTH's grounded exercises (query, seed passage, reasoning, answer): ``synth_memorisation``,
  ``synth_qa``, ``synth_extraction``, ``synth_editing``, ``synth_constrained``;
- Nemotron-CC's five rewrites, routed by a chunk's quality score: ``wiki_paraphrase`` (low quality),
  ``diverse_qa``, ``distill``, ``extract_knowledge``, ``knowledge_list`` (high);
- Active Reading: ``active_reading`` (the model proposes study strategies, then applies each);
- Cosmopedia: ``cosmopedia`` (an audience x a format, from the document as the seed topic);
- REWIRE: ``rewire`` (reason about the text's purpose, then rewrite it);
- Kimi K2: ``chunkwise_rewrite`` (a document rewritten chunk by chunk, each conditioned on the
  rewritten prefix, each checked for fidelity).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model, field_validator

Kind = Literal["exercise", "rewrite", "qa_list", "list", "active_reading", "chunkwise"]


class Exercise(BaseModel):
    query: str = Field(min_length=8)
    # SYNTH's exercises reason before answering; a 135M model often skips it, and an exercise
    # whose answer is grounded is still worth keeping without (rendered with no <think>)
    reasoning: str = ""
    answer: str = Field(min_length=1)


class Rewrite(BaseModel):
    text: str = Field(min_length=40)


class QAPair(BaseModel):
    question: str = Field(min_length=8)
    answer: str = Field(min_length=1)


class QAList(BaseModel):
    pairs: list[QAPair] = Field(min_length=1, max_length=8)


class KnowledgeList(BaseModel):
    items: list[str] = Field(min_length=2, max_length=20)

    @field_validator("items")
    @classmethod
    def _distinct(cls, items: list[str]) -> list[str]:
        # a small model loops: the same fact ten times is not a list of facts to learn
        seen = [" ".join(i.casefold().split()) for i in items]
        if len(set(seen)) < len(seen):
            raise ValueError(f"{len(seen) - len(set(seen))} repeated items")
        return items


class StudyPlan(BaseModel):
    strategies: list[str] = Field(min_length=1, max_length=6)


class Rewired(BaseModel):
    purpose: str = Field(min_length=8)
    text: str = Field(min_length=40)


@dataclass(frozen=True)
class Strategy:
    name: str
    kind: Kind
    schema: type[BaseModel]
    description: str
    params: dict[str, Any] = field(default_factory=dict)  # extra template variables
    quality: tuple[float, float] = (0.0, 1.0)             # default routing band (Nemotron-CC)
    max_tokens: int = 256

    @property
    def skill(self) -> str:
        return {"exercise": "grounded_exercise", "qa_list": "grounded_qa", "list": "knowledge_list",
                "active_reading": "active_reading", "chunkwise": "rewrite"}.get(self.kind, "rewrite")


def _exercise(name: str, kind_of: str, what: str) -> Strategy:
    return Strategy(name, "exercise", Exercise, f"SYNTH {kind_of}: {what}", {"exercise": kind_of}, max_tokens=200)


BUILTIN: dict[str, Strategy] = {s.name: s for s in [
    _exercise("synth_memorisation", "memorisation", "recall a fact of the passage word for word"),
    _exercise("synth_qa", "grounded QA", "a question answered from one sentence of the passage"),
    _exercise("synth_extraction", "extraction", "pull named items (dates, numbers, names) out of the passage"),
    _exercise("synth_editing", "editing", "correct or tighten a sentence of the passage"),
    _exercise("synth_constrained", "constrained writing", "restate a fact under a stated constraint"),
    Strategy("wiki_paraphrase", "rewrite", Rewrite, "Nemotron-CC: rephrase in the style of Wikipedia",
             quality=(0.0, 0.5), max_tokens=320),
    Strategy("diverse_qa", "qa_list", QAList, "Nemotron-CC: several varied questions and answers",
             quality=(0.5, 1.0), max_tokens=320),
    Strategy("distill", "rewrite", Rewrite, "Nemotron-CC: a concise, clear restatement", quality=(0.5, 1.0)),
    Strategy("extract_knowledge", "rewrite", Rewrite, "Nemotron-CC: the passage's knowledge as textbook prose",
             quality=(0.5, 1.0), max_tokens=320),
    Strategy("knowledge_list", "list", KnowledgeList, "Nemotron-CC: the passage's facts as a list",
             quality=(0.5, 1.0)),
    Strategy("active_reading", "active_reading", Rewrite,
             "Active Reading: the model proposes study strategies for the passage, then applies each",
             max_tokens=256),
    Strategy("cosmopedia", "rewrite", Rewrite, "Cosmopedia: the passage retold for an audience in a format",
             {"audiences": ["a curious ten-year-old", "a high-school student", "a university student",
                            "a general reader"],
              "formats": ["a textbook section", "a blog post", "a short story", "a lecture"]}, max_tokens=320),
    Strategy("rewire", "rewrite", Rewired, "REWIRE: reason about the text's purpose, then rewrite it",
             max_tokens=320),
    Strategy("chunkwise_rewrite", "chunkwise", Rewrite,
             "Kimi K2: the document rewritten chunk by chunk, each conditioned on the rewritten prefix, "
             "each checked for fidelity", max_tokens=320),
]}


def custom(name: str, fields: list[str], max_tokens: int = 256) -> Strategy:
    """A strategy a recipe adds with its own prompt file: its output is the named text fields."""
    schema = create_model(f"Output_{name}", **{f: (str, Field(min_length=1)) for f in fields})
    return Strategy(name, "rewrite" if fields == ["text"] else "exercise", schema,
                    f"custom strategy (prompts/{name}.j2)", max_tokens=max_tokens)


def render(strategy: Strategy, value: dict[str, Any], passage: str, title: str) -> tuple[str, str, str, list[str]]:
    """``(text, question, answer, trace)`` of a validated output: the training text the
    corpus holds, with the structured parts kept beside it."""
    kind = strategy.kind
    if kind == "exercise" and set(value) >= {"query", "reasoning", "answer"}:
        reasoning = [line.strip() for line in value["reasoning"].splitlines() if line.strip()]
        think = f"<think>\n{value['reasoning']}\n</think>\n\n" if reasoning else ""
        text = f"{value['query']}\n\nSource ({title}):\n{passage}\n\n{think}{value['answer']}"
        return text, value["query"], value["answer"], reasoning
    if kind == "qa_list":
        text = "\n\n".join(f"Q: {p['question']}\nA: {p['answer']}" for p in value["pairs"])
        return text, "", "", []
    if kind == "list":
        return f"{title}\n" + "\n".join(f"- {item}" for item in value["items"]), "", "", []
    if "text" in value:
        trace = [value["purpose"]] if "purpose" in value else []
        return value["text"], "", "", trace
    text = "\n\n".join(f"{k.replace('_', ' ').capitalize()}: {v}" for k, v in value.items())
    return text, "", "", []


def grounded_fields(strategy: Strategy, value: dict[str, Any]) -> list[tuple[dict[str, str], str | None, str | None]]:
    """The groups of fields grounding checks, each with its answer and question field (if any)."""
    if strategy.kind == "qa_list":
        return [({"question": p["question"], "answer": p["answer"]}, "answer", "question") for p in value["pairs"]]
    if strategy.kind == "list":
        return [({f"item {i + 1}": item for i, item in enumerate(value["items"])}, None, None)]
    answer = question = None
    if strategy.kind == "exercise" and "answer" in value:  # shipped (query) and custom (question) ones
        answer = "answer"
        question = next((q for q in ("query", "question") if q in value), None)
    return [({k: str(v) for k, v in value.items()}, answer, question)]
