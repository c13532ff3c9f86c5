"""Environments over MCP: serve any environment as an MCP server, and drive any MCP server.

Server side (:func:`server`): an :class:`~mcp.server.mcpserver.MCPServer` (the official SDK,
2.x) whose tools are the environment's, published with the environment's own JSON Schemas and
``readOnlyHint`` for read tools, over stdio or streamable HTTP on 127.0.0.1:

    python -m synthcompile.compilers.simulation.mcp shop                     # stdio
    python -m synthcompile.compilers.simulation.mcp shop --http --port 8765  # http://127.0.0.1:8765/mcp

One extra tool, :data:`RESET` (``world``), rebuilds the world from a seed: a compiler runs many
episodes against one server process, and it is never offered to an agent.

Client side (:class:`McpTools`): the official :class:`mcp.Client`, run on an event loop of its
own thread so that a synchronous policy (an expert, the replay verifier) calls it like the
in-process environment: ``call(name, arguments) -> dict``, the same JSON, the same
:class:`~synthcompile.compilers.simulation.tools.CallRejected` for malformed calls.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
from typing import Any

from synthcompile.compilers.simulation.env import Environment
from synthcompile.compilers.simulation.tools import CallRejected, ToolSpec

RESET = "synthcompile_reset"


def server(env_cls: type[Environment], world: int = 0):
    """An MCPServer exposing ``env_cls``'s tools over one world at a time (``RESET`` switches)."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.tools import Tool
    from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
    from mcp_types import CallToolResult, TextContent, ToolAnnotations
    from pydantic import ConfigDict

    class Arguments(ArgModelBase):
        # The arguments pass through as sent: the environment validates them against its own
        # JSON Schema (the one published), exactly as in process, and names the cause.
        model_config = ConfigDict(extra="allow")

        def model_dump_one_level(self) -> dict[str, Any]:
            return dict(self.model_extra or {})

    state = {"env": env_cls(world)}

    def result(payload: dict[str, Any], error: bool = False) -> CallToolResult:
        return CallToolResult(content=[TextContent(type="text", text=json.dumps(payload))],
                              structured_content=payload, is_error=error)

    # Async handlers: every call runs on the server's event-loop thread, one at a time (a sync
    # tool would run on a pool thread, and a world may hold thread-bound objects: SQLite).
    def handler(name: str):
        async def run(**arguments: Any) -> CallToolResult:
            try:
                return result(state["env"].call(name, arguments))
            except CallRejected as e:
                return result({"rejected": e.cause, "message": str(e)}, error=True)
        return run

    async def reset(**arguments: Any) -> CallToolResult:
        state["env"].close()
        state["env"] = env_cls(int(arguments["world"]))
        return result({"world": int(arguments["world"])})

    meta = FuncMetadata(arg_model=Arguments)
    tools = [Tool(fn=handler(s.name), name=s.name, description=s.description, parameters=s.parameters,
                  fn_metadata=meta, is_async=True,
                  annotations=ToolAnnotations(read_only_hint=s.kind == "read"))
             for s in env_cls.specs().values()]
    tools.append(Tool(fn=reset, name=RESET, description="Rebuild the world from a seed (for compilers).",
                      parameters={"type": "object", "properties": {"world": {"type": "integer"}},
                                  "required": ["world"]},
                      fn_metadata=meta, is_async=True))
    return MCPServer(name=f"synthcompile-{env_cls.name}", instructions=env_cls.description, tools=tools,
                     log_level="WARNING")


class McpTools:
    """A synchronous handle on an MCP server: ``target`` is a URL (streamable HTTP) or a command
    line (stdio, launched as a subprocess). Closed with :meth:`close`."""

    def __init__(self, target: str | list[str], timeout_s: float = 30.0):
        self.target, self.timeout_s = target, timeout_s
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="mcp-client", daemon=True)
        self._thread.start()
        self._client = None
        self._run(self._open())
        listed = self._run(self._client.list_tools())
        self._specs = {t.name: ToolSpec(t.name, t.description or "", dict(t.input_schema),
                                        "read" if t.annotations and t.annotations.read_only_hint else "write")
                       for t in listed.tools}

    def _run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(self.timeout_s)

    async def _open(self) -> None:
        from mcp import Client, StdioServerParameters

        if isinstance(self.target, str):
            server = self.target
        else:
            server = StdioServerParameters(command=self.target[0], args=list(self.target[1:]))
        self._client = Client(server, read_timeout_seconds=self.timeout_s)
        await self._client.__aenter__()

    def specs(self) -> dict[str, ToolSpec]:
        """The server's tools (without the compilers' reset tool)."""
        return {n: s for n, s in self._specs.items() if n != RESET}

    def reset(self, world: int) -> None:
        if RESET not in self._specs:
            raise CallRejected("unknown_tool", f"the server has no {RESET} tool: it serves one fixed world")
        self._call(RESET, {"world": world})

    def call(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        if name not in self._specs or name == RESET:
            raise CallRejected("unknown_tool", f"unknown tool {name!r} (offered: {', '.join(sorted(self.specs()))})")
        return self._call(name, arguments)

    def _call(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        res = self._run(self._client.call_tool(name, arguments))
        payload = res.structured_content
        if payload is None:  # a server that sends text only: JSON in its first text block
            text = next((c.text for c in res.content if getattr(c, "type", "") == "text"), "")
            try:
                payload = json.loads(text)
            except ValueError:
                payload = {"error": text} if res.is_error else {"text": text}
        if res.is_error and "rejected" in payload:
            raise CallRejected(payload["rejected"], payload.get("message", ""))
        if res.is_error and "error" not in payload:
            payload = {"error": json.dumps(payload)}
        return payload

    def close(self) -> None:
        if self._client is not None:
            try:
                self._run(self._client.__aexit__(None, None, None))
            except Exception:  # a server already gone: nothing left to close
                pass
            self._client = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def __enter__(self) -> "McpTools":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def stdio_command(env: str) -> list[str]:
    """The command line that serves ``env`` over stdio with this interpreter."""
    return [sys.executable, "-m", "synthcompile.compilers.simulation.mcp", env]


def main(argv: list[str] | None = None) -> None:
    from synthcompile.compilers.simulation import envs

    parser = argparse.ArgumentParser(prog="python -m synthcompile.compilers.simulation.mcp",
                                     description="Serve a synthcompile environment as an MCP server.")
    parser.add_argument("env", help=f"a shipped environment ({', '.join(envs.BUILTIN)}) or module:Class")
    parser.add_argument("--world", type=int, default=0, help="the world seed to start with")
    parser.add_argument("--http", action="store_true", help="streamable HTTP instead of stdio")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    srv = server(envs.get(args.env), args.world)
    if args.http:
        srv.run("streamable-http", host="127.0.0.1", port=args.port)
    else:
        srv.run("stdio")


if __name__ == "__main__":
    main()
