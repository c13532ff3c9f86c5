"""An OpenAI-compatible server on 127.0.0.1, in its own process, that misbehaves on purpose.

``python -m tests.llm.misbehaving_server FAIL_RATE SEED [--latency S] [--kinds a,b]`` prints its
port, then serves ``/v1/chat/completions`` and ``/v1/completions`` until killed. A process of its
own (as ``tests/http_counter.py``), so the client under test and the server never share a GIL.

The "model" is deterministic: the reply is a pure function of the request. Chat and completion
replies are labelled fields, ``Question: <the first user message or the prompt>`` then
``Answer: <sha256 of it, 12 hex>``; with a schema on the request (``response_format`` or
``guided_json``) the reply is the JSON object ``{"question": ..., "answer": ...}``. ``max_tokens``
cuts the reply (one token per whitespace-separated word, finish_reason ``length``), ``stop``
cuts it at the first stop string, ``n`` gives n choices (choice i > 0 ends ``(choice i)``),
``logprobs`` gives one logprob per token, and ``usage`` counts the words.

With probability FAIL_RATE, drawn from a hash of SEED, the request body and how many times that
body has been seen (so a retry can succeed), it misbehaves in one of :data:`KINDS`. ``schema``
(a valid body whose JSON has the wrong fields) is chosen only for requests that carry a schema;
it is not a transport failure.

Control endpoints: ``GET /__stats`` (``completed``: 200 responses with a valid body per request
key, ``attempts`` per key, ``failures`` by kind, ``peak``: most requests in flight at once,
``arrivals``: monotonic arrival times per key, ``bodies``: the last bodies received by key);
``POST /__config`` merges a JSON object into the configuration (``fail_rate``, ``seed``,
``kinds``, ``latency_s``, ``hang_s``, ``trickle_s``, ``retry_after``, ``retry_date_s``,
``script``: a list of kinds by attempt, the last repeated, ``storm_s``: answer 429 to every
request for that long from now) and clears the stats.
"""

from __future__ import annotations

import argparse
import asyncio
import email.utils
import hashlib
import json
import time
from collections import Counter, defaultdict, deque

from aiohttp import web

KINDS = ("http500", "http429", "http503_date", "hang", "truncated", "html", "trickle", "schema")
STATUS_KINDS = {"http400": 400, "http404": 404, "http422": 422, "http500": 500}


def body_key(body: dict) -> str:
    """The server's name for a request: a hash of its body (the client's JSON, key order aside)."""
    blob = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def source_text(body: dict) -> str:
    """What the reply is about: the first user message (repair rounds keep it) or the prompt."""
    if "messages" in body:
        return next(m["content"] for m in body["messages"] if m["role"] == "user")
    return body["prompt"]


def answer_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def has_schema(body: dict) -> bool:
    return "guided_json" in body or "response_format" in body


def reply_text(body: dict, *, wrong_fields: bool = False) -> str:
    """The full reply (before max_tokens and stop cut it)."""
    src = source_text(body)
    if has_schema(body):
        if wrong_fields:
            return json.dumps({"query": src, "reply": answer_of(src)})
        return json.dumps({"question": src, "answer": answer_of(src)})
    return f"Question: {src}\nAnswer: {answer_of(src)}"


def choices_for(body: dict, *, wrong_fields: bool = False) -> tuple[list[dict], int]:
    """OpenAI choices for ``body`` and the completion tokens they hold."""
    chat = "messages" in body
    stop = body.get("stop") or []
    stop = [stop] if isinstance(stop, str) else list(stop)
    max_tokens = int(body.get("max_tokens") or 16)
    choices, used = [], 0
    for i in range(int(body.get("n") or 1)):
        text = reply_text(body, wrong_fields=wrong_fields) + (f" (choice {i})" if i else "")
        finish = "stop"
        cuts = [text.find(s) for s in stop if s and s in text]
        if cuts:
            text = text[:min(cuts)]
        words = text.split(" ")
        if len(words) > max_tokens:
            text, finish = " ".join(words[:max_tokens]), "length"
        tokens = text.split(" ") if text else []
        used += len(tokens)
        choice: dict = {"index": i, "finish_reason": finish}
        if chat:
            choice["message"] = {"role": "assistant", "content": text}
        else:
            choice["text"] = text
        if body.get("logprobs"):
            k = int(body.get("top_logprobs") or body.get("logprobs") or 0) if chat else int(body["logprobs"])
            if chat:
                choice["logprobs"] = {"content": [{"token": t, "logprob": -0.5, "top_logprobs": [
                    {"token": t, "logprob": -0.5}] * k} for t in tokens]}
            else:
                choice["logprobs"] = {"tokens": tokens, "token_logprobs": [-0.5] * len(tokens),
                                      "top_logprobs": [{t: -0.5} for t in tokens]}
        choices.append(choice)
    return choices, used


def prompt_tokens(body: dict) -> int:
    if "messages" in body:
        return sum(len(m["content"].split()) for m in body["messages"])
    return len(body["prompt"].split())


class State:
    def __init__(self, fail_rate: float, seed: int, latency_s: float, kinds: tuple[str, ...]):
        self.config = {"fail_rate": fail_rate, "seed": seed, "kinds": list(kinds), "latency_s": latency_s,
                       "hang_s": 3.0, "trickle_s": 0.3, "retry_after": "0.05", "retry_date_s": 1.0,
                       "script": None, "storm_s": 0.0}
        self.reset()

    def reset(self) -> None:
        self.completed: Counter = Counter()
        self.attempts: Counter = Counter()
        self.failures: Counter = Counter()
        self.arrivals: dict[str, list[float]] = defaultdict(list)
        self.bodies: deque = deque(maxlen=64)
        self.peak = getattr(self, "in_flight", 0)
        self.in_flight = self.peak
        self.storm_until = time.monotonic() + float(self.config.get("storm_s") or 0)

    def kind_for(self, key: str, attempt: int, body: dict) -> str:
        c = self.config
        if time.monotonic() < self.storm_until:
            return "http429"
        if c["script"]:
            return c["script"][min(attempt, len(c["script"]) - 1)]
        h = hashlib.sha256(f"{c['seed']}:{key}:{attempt}".encode()).digest()
        if int.from_bytes(h[:4], "big") / 2 ** 32 >= c["fail_rate"]:
            return "ok"
        kinds = [k for k in c["kinds"] if k != "schema" or has_schema(body)]
        return kinds[int.from_bytes(h[4:8], "big") % len(kinds)] if kinds else "ok"


def make_app(state: State) -> web.Application:
    def completion_body(body: dict, *, wrong_fields: bool = False) -> dict:
        choices, used = choices_for(body, wrong_fields=wrong_fields)
        pt = prompt_tokens(body)
        return {"id": "cmpl-x", "object": "chat.completion" if "messages" in body else "text_completion",
                "model": body.get("model"), "choices": choices,
                "usage": {"prompt_tokens": pt, "completion_tokens": used, "total_tokens": pt + used}}

    async def complete(request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = json.loads(raw)
            key = body_key(body)
            source_text(body)
        except (ValueError, KeyError, StopIteration, TypeError) as exc:
            return web.json_response({"error": {"message": f"bad request: {exc!r}"}}, status=400)
        c = state.config
        attempt = state.attempts[key]
        state.attempts[key] += 1
        state.arrivals[key].append(time.monotonic())
        state.bodies.append((key, body))
        kind = state.kind_for(key, attempt, body)
        state.in_flight += 1
        state.peak = max(state.peak, state.in_flight)
        try:
            if c["latency_s"]:
                await asyncio.sleep(c["latency_s"])
            if kind != "ok" and kind not in ("trickle", "schema"):
                state.failures[kind] += 1
            if kind in STATUS_KINDS:
                return web.json_response({"error": {"message": f"{kind} (planted)"}}, status=STATUS_KINDS[kind])
            if kind == "http429":
                return web.json_response({"error": {"message": "rate limited (planted)"}}, status=429,
                                         headers={"Retry-After": str(c["retry_after"])})
            if kind == "http503_date":
                when = email.utils.formatdate(time.time() + float(c["retry_date_s"]), usegmt=True)
                return web.json_response({"error": {"message": "overloaded (planted)"}}, status=503,
                                         headers={"Retry-After": when})
            if kind == "hang":
                await asyncio.sleep(float(c["hang_s"]))
                return web.json_response({"error": {"message": "too late"}}, status=504)
            out = json.dumps(completion_body(body, wrong_fields=kind == "schema")).encode()
            if kind == "truncated":
                return web.Response(body=out[:len(out) // 2], content_type="application/json")
            if kind == "html":
                return web.Response(text="<html><body><h1>502 Bad Gateway</h1></body></html>",
                                    content_type="text/html")
            if kind == "trickle":
                state.failures["trickle"] += 1
                resp = web.StreamResponse(headers={"Content-Type": "application/json",
                                                   "Content-Length": str(len(out))})
                await resp.prepare(request)
                step = max(1, len(out) // 5)
                for i in range(0, len(out), step):
                    await resp.write(out[i:i + step])
                    await asyncio.sleep(float(c["trickle_s"]) / 5)
                await resp.write_eof()
                state.completed[key] += 1
                return resp
            if kind == "schema":
                state.failures["schema"] += 1
            resp = web.Response(body=out, content_type="application/json")
            await resp.prepare(request)
            await resp.write_eof()
            state.completed[key] += 1  # counted once the whole response is written
            return resp
        finally:
            state.in_flight -= 1

    async def stats(_: web.Request) -> web.Response:
        return web.json_response({
            "completed": state.completed, "attempts": state.attempts, "failures": state.failures,
            "peak": state.peak, "in_flight": state.in_flight, "arrivals": state.arrivals,
            "bodies": {k: b for k, b in state.bodies}})

    async def configure(request: web.Request) -> web.Response:
        state.config.update(await request.json())
        state.reset()
        return web.json_response(state.config)

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.add_routes([web.post("/v1/chat/completions", complete), web.post("/v1/completions", complete),
                    web.get("/__stats", stats), web.post("/__config", configure)])
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.llm.misbehaving_server")
    parser.add_argument("fail_rate", type=float)
    parser.add_argument("seed", type=int)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before every answer")
    parser.add_argument("--kinds", default=",".join(KINDS), help="misbehaviours to draw from")
    args = parser.parse_args(argv)
    state = State(args.fail_rate, args.seed, args.latency, tuple(k for k in args.kinds.split(",") if k))

    async def run() -> None:
        runner = web.AppRunner(make_app(state), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=2048)
        await site.start()
        print(runner.addresses[0][1], flush=True)
        await asyncio.Event().wait()

    try:
        import uvloop  # type: ignore[import-not-found]

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(run())


if __name__ == "__main__":
    main()
