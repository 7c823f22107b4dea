"""Bounds on what a client can make a server hold: bytes per request and per WebSocket message, connections,
requests per second (token buckets), and how long shutting down may wait for clients.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import uvicorn
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

MAX_BODY_BYTES = 64 * 1024
"""An HTTP request body (JSON: chat, a session to start); more gets 413."""
MAX_SOCKET_MESSAGE_BYTES = 1024 * 1024
"""A WebSocket message (uvicorn refuses larger ones with 1009): 10 s of 48 kHz PCM is 960 KB."""
MAX_CONNECTIONS = 128
"""Open connections and requests in flight; more get 503."""
FIRST_REQUEST_SECONDS = 5
"""A connection that sends no request (or no next request) for this long is closed."""
SHUTDOWN_SECONDS = 3.0
"""How long a stopping server waits for clients before closing them: a stop never hangs on a subscriber."""
KEYS_KEPT = 4096
"""Clients whose token buckets are remembered (the least recently seen are dropped first)."""


ErrorBody = Callable[[int, str], dict[str, Any]]
"""An error's JSON body from its status and message: FastAPI's `{"detail": ...}`, or an API's own shape."""


def detail(status: int, message: str) -> dict[str, Any]:
    return {"detail": message}


class BodyLimit:
    """ASGI middleware: an HTTP body over `limit` bytes gets 413, whether it declares its length or streams."""

    def __init__(
        self,
        app: ASGIApp,
        limit: int = MAX_BODY_BYTES,
        larger: dict[str, int] | None = None,
        error: ErrorBody = detail,
    ) -> None:
        self.app = app
        self.limit = limit
        self.error = error
        self.larger = larger or {}
        """Path -> a larger limit for that route (the service's clip uploads)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope["path"], self.limit)
        declared = Headers(scope=scope).get("content-length", "0")
        if not declared.isdigit() or int(declared) > limit:
            await self._too_large(scope, receive, send, limit)
            return
        received = 0
        started = refused = False

        async def counted() -> Message:
            """Past the limit: answer 413 here and tell the app the client left (FastAPI would turn an exception
            raised while it reads the body into a 400)."""
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                refused = True
                if not started:
                    await self._too_large(scope, receive, send, limit)
                return {"type": "http.disconnect"}
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counted, watched)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        await JSONResponse(self.error(413, f"request body over {limit} bytes"), 413)(scope, receive, send)


class TokenBucket:
    """`rate` events a second on average, bursts of `burst`."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self._tokens = burst
        self._at = clock()

    def take(self) -> bool:
        now = self.clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


class Buckets:
    """One `TokenBucket` per key (a client's address), at most `KEYS_KEPT` of them."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def take(self, key: str) -> bool:
        bucket = self._buckets.pop(key, None) or TokenBucket(self.rate, self.burst, self.clock)
        self._buckets[key] = bucket
        if len(self._buckets) > KEYS_KEPT:
            self._buckets.popitem(last=False)
        return bucket.take()


class FirstRequestDeadline(H11Protocol):
    """uvicorn's HTTP/1.1 with its keep-alive deadline (`FIRST_REQUEST_SECONDS`) on the first request too: a
    connection that sends nothing is closed, so idle sockets opened without a token cannot hold every slot."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive, self.timeout_keep_alive_handler)


def server_config(app: ASGIApp, host: str, port: int) -> uvicorn.Config:
    """uvicorn settings every host-engine server shares: the caps above, no access log (URLs may hold a token)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=FirstRequestDeadline,
        timeout_keep_alive=FIRST_REQUEST_SECONDS,
        log_level="warning",
        access_log=False,
        ws_max_size=MAX_SOCKET_MESSAGE_BYTES,
        limit_concurrency=MAX_CONNECTIONS,
        timeout_graceful_shutdown=SHUTDOWN_SECONDS,
    )
