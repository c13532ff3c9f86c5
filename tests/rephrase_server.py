"""A stand-in rewording model behind a real OpenAI-compatible server on 127.0.0.1.

    python -m tests.rephrase_server

prints its port, then serves ``/v1/chat/completions`` until killed. The rewording is a pure
function of the request: the question after ``Question: `` is recast ("Could you work out: ...",
"Here is a question for you: ..."). It errs on purpose, chosen by a hash of the question: one in
four gets a number changed (the rephrase must be rejected), one in six loses its capitalised
words (names). ``GET /__stats`` counts requests and errors by kind.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter

from tests.loopback import serve_chat

LEADS = ("Could you work out the following? {q}", "I would like to know this. {q}", "Please answer this. {q}")


def reword(question: str, stats: Counter) -> str:
    h = int(hashlib.sha256(question.encode()).hexdigest()[:8], 16)
    text = LEADS[h % len(LEADS)].format(q=question)
    if h % 4 == 0 and re.search(r"\d", text):
        stats["number_changed"] += 1
        return re.sub(r"\d+", lambda m: str(int(m.group(0)) + 1), text, count=1)
    if h % 6 == 1 and re.search(r"\b[A-Z][a-z]+\b", question[1:]):
        stats["names_dropped"] += 1
        return LEADS[0].format(q=re.sub(r"(?<=\s)[A-Z][a-z]+", "someone", question))
    return text


def main() -> None:
    stats: Counter = Counter()

    def reply(body: dict) -> tuple[dict, str]:
        question = body["messages"][-1]["content"].split("Question: ", 1)[1]
        return {"content": reword(question, stats)}, "stop"

    serve_chat(reply, stats)


if __name__ == "__main__":
    main()
