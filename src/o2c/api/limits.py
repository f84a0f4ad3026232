"""Request limits: body size (413), request rate per client (429), failed logins (429).

Counters live in the process: one ``o2c serve`` is one process. The clocks here measure intervals
(``time.monotonic``), not business time, which stays with the injected clock.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from o2c.api.problems import BodyTooLarge, RateLimited, problem_response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class TokenBuckets:
    """A token bucket per client: ``rate`` requests a second sustained, ``burst`` at once."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """0 when the request may go ahead, else the seconds until it may."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic()
        with self._lock:
            tokens, at = self._buckets.get(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            if tokens < 1:
                self._buckets[client] = (tokens, now)
                return (1 - tokens) / self.rate
            self._buckets[client] = (tokens - 1, now)
            if len(self._buckets) > 100_000:  # forget idle clients rather than grow without bound
                self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 60}
            return 0.0


class FailedLogins:
    """Failed logins within ``window`` seconds: at most ``attempts`` per (username, address), and
    ``per_address`` per address whatever the usernames.

    Keying the lockout by address too means guessing at a username from one address does not lock its
    owner out elsewhere; the looser per-address limit holds one address trying many usernames.
    """

    def __init__(self, attempts: int, window: int, per_address: int) -> None:
        self.window = window
        self._limits = {"pair": attempts, "address": per_address}
        self._failures: dict[tuple[str, ...], deque[float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _keys(username: str, address: str) -> dict[str, tuple[str, ...]]:
        return {"pair": ("pair", username, address), "address": ("address", address)}

    def check(self, username: str, address: str) -> None:
        """Raise RateLimited if the pair or the address is over its limit."""
        now = time.monotonic()
        with self._lock:
            for kind, key in self._keys(username, address).items():
                failures = self._recent(key, now)
                if len(failures) >= self._limits[kind]:
                    wait = math.ceil(failures[0] + self.window - now)
                    raise RateLimited(
                        f"too many failed logins: try again in {wait} s", retry_after=max(wait, 1)
                    )

    def failed(self, username: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in self._keys(username, address).values():
                self._failures[key] = self._recent(key, now)
                self._failures[key].append(now)
            if len(self._failures) > 100_000:  # forget quiet keys rather than grow without bound
                self._failures = {k: v for k, v in self._failures.items() if v[-1] > now - self.window}

    def succeeded(self, username: str, address: str) -> None:
        """Forget the pair's failures (the address's stay: it may be trying others' names too)."""
        with self._lock:
            self._failures.pop(self._keys(username, address)["pair"], None)

    def _recent(self, key: tuple[str, ...], now: float) -> deque[float]:
        """The key's failures within the window (a new, unrecorded deque for a key without any)."""
        failures = self._failures.get(key, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures


ADDRESS_SHARE = 4  # an address may carry this many clients' worth of requests


def client_keys(scope: Scope) -> tuple[str, str | None]:
    """Who a request counts against: its address, and its bearer token when it has one.

    Counting the address too means that inventing tokens does not buy fresh buckets.
    """
    client = scope.get("client")
    address = f"a:{client[0] if client else 'unknown'}"
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            return address, "t:" + hashlib.sha256(value).hexdigest()[:32]
    return address, None


class LimitsMiddleware:
    """Refuse over-large bodies (413) and clients over their rate (429) before any work is done."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, buckets: TokenBuckets) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.buckets = buckets
        self.addresses = TokenBuckets(buckets.rate * ADDRESS_SHARE, buckets.burst * ADDRESS_SHARE)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        address, token = client_keys(scope)
        wait = max(self.buckets.take(token or address), self.addresses.take(address) if token else 0.0)
        if wait > 0:
            error = RateLimited("too many requests: slow down", retry_after=math.ceil(wait))
            await self._refuse(scope, receive, send, error, {"Retry-After": str(math.ceil(wait))})
            return
        declared = dict(scope.get("headers", ())).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            await self._refuse(scope, receive, send, self._too_large(), None)
            return
        body = bytearray()
        more = True
        while more:  # read it all (bounded), so a chunked body is held to the limit too
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message], receive), send)
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_body_bytes:
                await self._refuse(scope, receive, send, self._too_large(), None)
                return
        whole = {"type": "http.request", "body": bytes(body), "more_body": False}
        await self.app(scope, _replay([whole], receive), send)

    def _too_large(self) -> BodyTooLarge:
        return BodyTooLarge(
            f"request body over {self.max_body_bytes} bytes", max_body_bytes=self.max_body_bytes
        )

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, error: Any, headers: dict[str, str] | None
    ) -> None:
        response = problem_response(
            error.http_status,
            error.code,
            error.message,
            instance=scope.get("path"),
            context={k: v for k, v in error.context.items()},
            headers=headers,
        )
        await response(scope, receive, send)


def _replay(messages: list[Message], then: Receive) -> Receive:
    """Hand the app the messages already read, then the connection's own (a later disconnect)."""
    pending = list(messages)

    async def receive() -> Message:
        return pending.pop(0) if pending else await then()

    return receive
