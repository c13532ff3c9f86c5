"""Adaptive admission: how many requests a client lets into flight against one server.

Additive increase, multiplicative decrease, as TCP does: a 429 or 503 halves the window and
holds new requests back until the server's Retry-After has passed, and, as TCP halves once per
round trip, the refusals of requests admitted before that cut do not halve it again (32 requests
refused at once are one overload, not 32); every success widens it by
1/window (one request per window's worth of successes), up to the configured ceiling. A
hand-written limiter because asyncio.Semaphore's bound cannot change while waiters queue on it.
"""

from __future__ import annotations

import asyncio
import time


class Admission:
    def __init__(self, ceiling: int):
        self.ceiling = ceiling
        self.window = float(ceiling)
        self.in_flight = 0
        self.peak = 0
        self.admitted = 0  # tickets: the n-th request admitted holds ticket n
        self._cut_at = 0   # the last ticket issued when the window was last halved
        self._resume_at = 0.0
        self._cond: asyncio.Condition | None = None

    @property
    def _condition(self) -> asyncio.Condition:
        if self._cond is None:  # bound to the running loop on first use
            self._cond = asyncio.Condition()
        return self._cond

    async def __aenter__(self) -> "Admission":
        cond = self._condition
        async with cond:
            while True:
                wait = self._resume_at - time.monotonic()
                if wait > 0:
                    cond.release()
                    try:
                        await asyncio.sleep(wait)
                    finally:
                        await cond.acquire()
                    continue
                if self.in_flight < max(1, int(self.window)):
                    break
                await cond.wait()
            self.in_flight += 1
            self.admitted += 1
            self.peak = max(self.peak, self.in_flight)
        return self

    async def __aexit__(self, *exc) -> None:
        async with self._condition:
            self.in_flight -= 1
            self._condition.notify_all()

    def success(self) -> None:
        self.window = min(self.ceiling, self.window + 1 / max(self.window, 1))

    def overloaded(self, retry_after_s: float | None, ticket: int | None = None) -> None:
        """``ticket``: the refused request's (``admitted`` when it went in); None always halves."""
        if ticket is None or ticket > self._cut_at:
            self.window = max(1.0, self.window / 2)
            self._cut_at = self.admitted
        if retry_after_s:
            self._resume_at = max(self._resume_at, time.monotonic() + retry_after_s)
