"""Parsing a model's output into a strategy's schema: labelled fields, JSON, lists, QA groups."""

from __future__ import annotations

from pydantic import BaseModel, Field

from synthcompile.compilers.documents.strategies import Exercise, KnowledgeList, QAList, StudyPlan
from synthcompile.llm.structured import format_hint, parse


def test_labelled_fields_in_the_forms_models_write():
    text = "Query: When was it built?\n**Reasoning:** The passage says 1889.\n\nAnswer - 1889\n"
    assert parse(text, Exercise) == ({"query": "When was it built?", "reasoning": "The passage says 1889.",
                                      "answer": "1889"}, "")
    multi = "## Query: Which two rivers\nmeet here?\nAnswer: the Inn and the Ilz"
    value, _ = parse(multi, Exercise)
    assert value["query"] == "Which two rivers\nmeet here?" and value["reasoning"] == ""


def test_json_is_read_wherever_it_sits_and_bad_json_is_named():
    text = 'Sure! ```json\n{"query": "How tall is it?", "reasoning": "It says so.", "answer": "330 m"}\n``` done'
    assert parse(text, Exercise)[0]["answer"] == "330 m"
    assert parse('{"query": "How tall", "answer": ', Exercise, "json")[0] is None
    assert "bad JSON" in parse('{"query": "How tall", "answer": ', Exercise, "json")[1]
    assert parse("Query: x", Exercise, "json") == (None, "no JSON object in the output")


def test_lists_and_repeated_groups():
    items = "Items:\n- The tower is 330 m tall.\n* It opened in 1889.\n3. It is in Paris.\n"
    assert parse(items, KnowledgeList)[0]["items"] == ["The tower is 330 m tall.", "It opened in 1889.",
                                                       "It is in Paris."]
    qa = "Question: When did it open?\nAnswer: 1889\nQuestion: How tall is it?\nAnswer: 330 metres\n"
    assert parse(qa, QAList)[0]["pairs"] == [{"question": "When did it open?", "answer": "1889"},
                                             {"question": "How tall is it?", "answer": "330 metres"}]
    assert parse("Strategies:\n- a timeline\n- quiz questions", StudyPlan)[0]["strategies"] == ["a timeline",
                                                                                                "quiz questions"]


def test_what_does_not_validate_is_refused_with_the_field_named():
    value, reason = parse("Query: When was it built?\nThe passage says 1889.", Exercise)
    assert value is None and reason == "answer: field required"
    value, reason = parse("Query: Why?\nAnswer: yes", Exercise)  # query shorter than 8 characters
    assert value is None and reason.startswith("query: string should have at least 8 characters")
    assert parse("Items:\n- only one", KnowledgeList)[0] is None
    looped = parse("Items:\n- It is long.\n- It is  long.\n- It is old.", KnowledgeList)
    assert looped[0] is None and "1 repeated items" in looped[1]
    assert parse("", Exercise)[0] is None


class Plain(BaseModel):
    text: str = Field(min_length=3)


def test_format_hints_name_every_label():
    assert format_hint(Exercise, "fields").splitlines()[1:] == ["Query: ...", "Reasoning: ...", "Answer: ..."]
    assert "Question: ... / Answer: ... (repeat for each)" in format_hint(QAList, "fields")
    assert format_hint(Plain, "json") == "Reply with only a JSON object with the keys text."
