"""Serving an aiohttp app on 127.0.0.1 from a test helper process: a free port, printed first.

The stand-in servers (``python -m tests....``) print the port on their first stdout line, and the
test reads it; they then serve until killed.
"""

from __future__ import annotations

import asyncio

from aiohttp import web


def serve_forever(app: web.Application) -> None:
    async def serve() -> None:
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print(site._server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Event().wait()

    asyncio.run(serve())
