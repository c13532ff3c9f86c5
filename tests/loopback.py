"""Stand-in OpenAI-compatible chat servers on 127.0.0.1, for test helper processes.

A stand-in (``python -m tests....``) gives :func:`serve_chat` a function from a request body to
the assistant message it answers; the server prints its free port on the first stdout line (the
test reads it), answers ``/v1/chat/completions`` and ``GET /__stats`` (the ``stats`` counter),
and serves until killed.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any, Callable

from aiohttp import web

Reply = Callable[[dict[str, Any]], tuple[dict[str, Any], str]]  # body -> (message, finish_reason)


def serve_chat(reply: Reply, stats: Counter | None = None) -> None:
    stats = stats if stats is not None else Counter()

    async def chat(request: web.Request) -> web.Response:
        body = await request.json()
        stats["requests"] += 1
        message, finish = reply(body)
        return web.json_response({"id": "x", "object": "chat.completion", "model": body.get("model"),
                                  "choices": [{"index": 0, "message": {"role": "assistant", **message},
                                               "finish_reason": finish}],
                                  "usage": {"prompt_tokens": 1, "completion_tokens": 1}})

    async def get_stats(request: web.Request) -> web.Response:
        return web.json_response(dict(stats))

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_get("/__stats", get_stats)

    async def serve() -> None:
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print(site._server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Event().wait()

    asyncio.run(serve())
