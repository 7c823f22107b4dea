"""One way in for every server of host-engine: a bearer token, checked before any route or socket sees a request.

The token comes from `HOST_ENGINE_TOKEN`, a `--token-file`, or is generated once and kept (mode 0600) where the
server keeps its state, so an OBS browser source URL survives restarts. Clients send it as `Authorization: Bearer
TOKEN` or `?token=TOKEN` (browser sources and WebSockets cannot set headers). A request without it gets 401; a
WebSocket is closed with 1008 before any data. WebSockets must also come from the page's own origin, no origin (a
program, not a browser) or an origin the studio allowed, so a web page open on the studio PC cannot read captions
or push chat through the studio's browser. `Host` headers are checked too (DNS rebinding).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import secrets
import socket
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs

import psutil
from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from host_engine.errors import HostEngineError
from host_engine.server.limits import MAX_BODY_BYTES, BodyLimit, ErrorBody, detail

log = logging.getLogger(__name__)

TOKEN_ENV = "HOST_ENGINE_TOKEN"
MIN_TOKEN_CHARS = 16
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
REFUSED = 1008
"""WebSocket close code: policy violation (no or wrong token, origin not allowed)."""


@dataclass(frozen=True)
class Token:
    value: str
    source: str
    """Where it came from, for the start-up message: the variable's name or the file's path (never the value)."""
    generated: bool = False
    """Made at this start: the only time the value itself is printed."""


@dataclass(frozen=True)
class Access:
    """Who may use a server: the token (None with `--no-auth`), extra WebSocket origins and Host names."""

    token: Token | None
    origins: frozenset[str] = frozenset()
    hosts: tuple[str, ...] = field(default=LOOPBACK_NAMES)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_token(token_file: Path | None, store: Path) -> Token:
    """The token from `HOST_ENGINE_TOKEN`, else `token_file`, else `store` (generated there, mode 0600, if new)."""
    if value := os.environ.get(TOKEN_ENV, "").strip():
        return Token(_long_enough(value, TOKEN_ENV), TOKEN_ENV)
    if token_file is None and not store.is_file():
        store.parent.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(32)
        try:
            descriptor = os.open(store, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another server made it just now: use theirs
            return load_token(None, store)
        with os.fdopen(descriptor, "w", encoding="utf-8") as kept:
            kept.write(value + "\n")
        return Token(value, str(store), generated=True)
    path = token_file or store
    try:
        if path.stat().st_mode & 0o077:
            log.warning("%s can be read by other users of this machine; `chmod 600 %s`", path, path)
        return Token(_long_enough(path.read_text(encoding="utf-8").strip(), str(path)), str(path))
    except OSError as exc:
        raise HostEngineError(f"cannot read the token file {path}: {exc.strerror}") from None


def _long_enough(value: str, where: str) -> str:
    if len(value) < MIN_TOKEN_CHARS:
        raise HostEngineError(f"the token in {where} is shorter than {MIN_TOKEN_CHARS} characters; use a long random "
                              "one (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)")  # fmt: skip
    return value


def access_for(
    bind: str,
    store: Path,
    token_file: Path | None = None,
    no_auth: bool = False,
    origins: tuple[str, ...] = (),
    hosts: tuple[str, ...] = (),
) -> Access:
    """The `Access` of a server bound to `bind`; `--no-auth` only on loopback."""
    if no_auth and not is_loopback(bind):
        raise HostEngineError(f"--no-auth is for development on loopback only; refusing to listen on {bind} without "
                              "a token")  # fmt: skip
    token = None if no_auth else load_token(token_file, store)
    allowed = {*LOOPBACK_NAMES, bind, *hosts}
    if bind in ("0.0.0.0", "::", ""):
        allowed |= _machine_names()
    allowed |= {f"[{name}]" for name in allowed if ":" in name}  # an IPv6 address in a Host header: "[::1]:8765"
    return Access(token, frozenset(o.rstrip("/").lower() for o in origins), tuple(sorted(allowed - {""})))


def _machine_names() -> set[str]:
    """This machine's names and addresses: what clients may call a server listening on every interface."""
    names = {socket.gethostname(), socket.getfqdn()}
    for addresses in psutil.net_if_addrs().values():
        names |= {a.address.split("%")[0] for a in addresses if a.family in (socket.AF_INET, socket.AF_INET6)}
    return names


def protect(
    app: FastAPI,
    access: Access,
    max_body: int = MAX_BODY_BYTES,
    larger: dict[str, int] | None = None,
    error: ErrorBody = detail,
) -> None:
    """Put `app` behind the Host, token and origin checks and the body cap (`larger` for the routes it names; the
    outermost layers: no route runs before them); their refusals' bodies in the app's `error` shape."""
    app.add_middleware(BodyLimit, limit=max_body, larger=larger, error=error)
    app.add_middleware(TokenGuard, access=access, error=error)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(access.hosts), www_redirect=False)


class TokenGuard:
    """ASGI middleware: HTTP without the token -> 401; WebSocket without it or from a foreign origin -> 1008."""

    def __init__(self, app: ASGIApp, access: Access, error: ErrorBody = detail) -> None:
        self.app = app
        self.access = access
        self.error = error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        refusal = None if self._authorized(scope, headers) else "a valid token is required"
        if refusal is None and scope["type"] == "websocket" and not self._same_origin(headers):
            refusal = "origin not allowed"
        if refusal is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await _close_socket(receive, send, refusal)
        else:
            response = JSONResponse(self.error(401, refusal), 401, headers={"WWW-Authenticate": "Bearer"})
            await response(scope, receive, send)

    def _authorized(self, scope: Scope, headers: Headers) -> bool:
        if self.access.token is None:
            return True
        scheme, _, given = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given:
            given = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [""])[-1]
        return hmac.compare_digest(given.strip().encode(), self.access.token.value.encode())

    def _same_origin(self, headers: Headers) -> bool:
        origin = headers.get("origin")
        if origin is None:
            return True
        origin = origin.rstrip("/").lower()
        host = headers.get("host", "").lower()
        return origin in self.access.origins or origin in (f"http://{host}", f"https://{host}")


async def _close_socket(receive: Receive, send: Send, reason: str) -> None:
    """Complete the handshake only to close at once with 1008 and the reason: no event is ever sent."""
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": REFUSED, "reason": reason})
