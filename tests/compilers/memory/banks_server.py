"""A stand-in template writer behind a real OpenAI-compatible server on 127.0.0.1.

    python -m tests.compilers.memory.banks_server

prints its port and answers every chat request with the same numbered list of statement
templates: three that read back on any graph, and three that must be rejected (an invented year,
an invented name, two placeholders side by side)."""

from __future__ import annotations


from tests.loopback import serve_chat

TEMPLATES = ["{s} was born in {o}.", "{s} was born in {o} in 1990.", "{o} is the birthplace of {s}.",
             "{s} met Paris in {o}.", "{s} {o}.", "In {o}, {s} was born."]


def main() -> None:
    text = "\n".join(f"{i + 1}. {t}" for i, t in enumerate(TEMPLATES))
    serve_chat(lambda body: ({"content": text}, "stop"))


if __name__ == "__main__":
    main()
