"""The embedded model behind an OpenAI-compatible HTTP server on 127.0.0.1.

``python -m synthcompile.llm.serve [--port N] [--model FILE] [--batch 8] [--threads 2]`` prints
``listening on http://127.0.0.1:PORT/v1`` and serves ``/v1/chat/completions``,
``/v1/completions`` and ``/v1/models`` until killed. The tests use it as a real server with a
real model (the HTTP backend against it must say what the in-process backend says), and a user
can point several builds at one loaded model.
"""

from __future__ import annotations

import argparse
import time

from aiohttp import web

from synthcompile.llm.config import LLMConfig
from synthcompile.llm.local import LocalBackend
from synthcompile.llm.request import Request


def app(backend: LocalBackend, max_waiting: int | None = None) -> web.Application:
    """``max_waiting``: requests held at once (default 4 batches); more are answered 503 with
    Retry-After, which the HTTP backend's admission backs off from."""
    max_waiting = max_waiting or 4 * backend.batch
    state = {"waiting": 0}

    async def models(_: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": backend.model_id, "object": "model"}]})

    async def complete(request: web.Request, chat: bool) -> web.Response:
        try:
            body = await request.json()
            stop = body.get("stop") or ()
            messages = [(m["role"], m["content"]) for m in body["messages"]] if chat else []
            prefill = ""
            if chat and body.get("continue_final_message") and messages and messages[-1][0] == "assistant":
                prefill = messages.pop()[1]
            req = Request(
                messages=tuple(messages) if chat else None, prefill=prefill,
                prompt=None if chat else body["prompt"],
                max_tokens=int(body.get("max_tokens") or 256), temperature=float(body.get("temperature", 1.0)),
                top_p=float(body.get("top_p", 1.0)), seed=body.get("seed"), n=int(body.get("n") or 1),
                stop=(stop,) if isinstance(stop, str) else tuple(stop))
        except (ValueError, KeyError, TypeError) as exc:
            return web.json_response({"error": {"message": f"bad request: {exc}"}}, status=400)
        if state["waiting"] >= max_waiting:  # shed load rather than queue past clients' timeouts
            return web.json_response({"error": {"message": "overloaded"}}, status=503,
                                     headers={"Retry-After": "1"})
        state["waiting"] += 1
        try:
            out = await backend.complete(req)
        finally:
            state["waiting"] -= 1
        # a continued reply is returned without the part the client wrote (as vLLM does)
        texts = [t[len(req.prefill):] for t in out.texts]
        choices = [({"message": {"role": "assistant", "content": t}} if chat else {"text": t})
                   | {"index": i, "finish_reason": f} for i, (t, f) in enumerate(zip(texts, out.finish_reasons))]
        return web.json_response({
            "id": f"cmpl-{time.time_ns()}", "object": "chat.completion" if chat else "text_completion",
            "created": int(time.time()), "model": backend.model_id, "choices": choices,
            "usage": {"prompt_tokens": out.prompt_tokens, "completion_tokens": out.completion_tokens,
                      "total_tokens": out.prompt_tokens + out.completion_tokens}})

    async def chat(request: web.Request) -> web.Response:
        return await complete(request, True)

    async def plain(request: web.Request) -> web.Response:
        return await complete(request, False)

    application = web.Application()
    application.add_routes([web.get("/v1/models", models), web.post("/v1/chat/completions", chat),
                            web.post("/v1/completions", plain)])
    return application


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m synthcompile.llm.serve", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
    parser.add_argument("--model", default=None, help="a GGUF file (default: the embedded SmolLM2)")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    backend = LocalBackend(LLMConfig(model=args.model, concurrency=args.batch), threads=args.threads)
    backend.load()
    runner_app = app(backend)

    import asyncio

    async def run() -> None:
        runner = web.AppRunner(runner_app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", args.port).start()
        port = runner.addresses[0][1]
        print(f"listening on http://127.0.0.1:{port}/v1", flush=True)
        await asyncio.Event().wait()

    asyncio.run(run())


if __name__ == "__main__":
    main()
