"""A stand-in template writer behind a real OpenAI-compatible server on 127.0.0.1.

    python -m tests.compilers.memory.banks_server

prints its port and answers every chat request with the same numbered list of statement
templates: three that read back on any graph, and three that must be rejected (an invented year,
an invented name, two placeholders side by side)."""

from __future__ import annotations


from aiohttp import web

from tests.loopback import serve_forever

TEMPLATES = ["{s} was born in {o}.", "{s} was born in {o} in 1990.", "{o} is the birthplace of {s}.",
             "{s} met Paris in {o}.", "{s} {o}.", "In {o}, {s} was born."]


def main() -> None:
    async def chat(request: web.Request) -> web.Response:
        body = await request.json()
        text = "\n".join(f"{i + 1}. {t}" for i, t in enumerate(TEMPLATES))
        return web.json_response({"id": "x", "object": "chat.completion", "model": body.get("model"),
                                  "choices": [{"index": 0, "finish_reason": "stop",
                                               "message": {"role": "assistant", "content": text}}],
                                  "usage": {"prompt_tokens": 1, "completion_tokens": 1}})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)

    serve_forever(app)


if __name__ == "__main__":
    main()
