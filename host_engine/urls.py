"""Media URLs: which ones a network client may ask the server to open, and how any of them is written in logs.

A stream URL carries secrets (an RTMP stream key in its path, an SRT passphrase or a token in its query, a password
before the host), so every URL that reaches a log line, an error event or a thread name goes through `redact`. A URL
a client sends is a request to make the server read something: only network streams are allowed, FFmpeg is told
to speak only network protocols (`PROTOCOL_WHITELIST`), and listener modes (the server opening a port) are refused.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
import unicodedata
from urllib.parse import parse_qsl, urlsplit

from host_engine.errors import HostEngineError

STREAM_SCHEMES = frozenset({"rtmp", "rtmps", "srt", "udp", "rtp", "http", "https"})
"""What a client may ask for: live network streams. http(s) only for HLS playlists (`.m3u8`)."""
PROTOCOL_WHITELIST = "rtmp,rtmps,srt,udp,rtp,http,https,tcp,tls,crypto,httpproxy"
"""FFmpeg's protocols for a client's URL: an HLS playlist cannot name `file:`, `concat:`, `pipe:` or `subfile:`."""
LISTEN_OPTIONS: dict[str, str | None] = {"listen": None, "mode": "caller"}
"""Query options that could make FFmpeg open a port and wait (`?listen=1`, SRT `?mode=listener` or `rendezvous`):
refused, but for SRT's `mode=caller`."""
QUERY_OPTIONS = {
    "srt": frozenset({"mode", "streamid", "passphrase", "pbkeylen", "latency"}),
    "udp": frozenset({"sources", "timeout", "pkt_size"}),
    "rtp": frozenset({"sources", "timeout", "pkt_size"}),
}
"""The FFmpeg options a client may set in the query of these schemes (FFmpeg reads their queries as options:
`fifo_size`, `localport`, `localaddr`, `reuse` would size buffers or bind ports on the server's behalf)."""
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>]+", re.IGNORECASE)


def redact(url: str) -> str:
    """`url` with what may be secret hidden: credentials, the path after its first part (an RTMP stream key; a
    path of one part entirely) and the query (`rtmp://host/app/***`, `srt://host:9000?***`). Not a URL: returned
    as it is."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "***"
    if not parts.scheme or not parts.netloc:
        return url
    try:
        port = parts.port
    except ValueError:
        port = None
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    netloc = f"{host}:{port}" if port is not None else host
    head, _, rest = parts.path.lstrip("/").partition("/")
    path = f"/{head}/***" if rest else "/***" if head else ""  # a lone part may be the key itself
    query = "?***" if parts.query else ""
    return f"{parts.scheme}://{netloc}{path}{query}"


def redact_text(text: str) -> str:
    """Every URL inside `text` redacted (log messages, FFmpeg's error lines)."""
    return _URL.sub(lambda match: redact(match.group(0)), text)


def check_stream_url(url: str) -> str:
    """`url` when a network client may ask the server to open it; otherwise HostEngineError naming the rule."""
    text = url.strip()
    if any(ch.isspace() or unicodedata.category(ch)[0] == "C" for ch in text):
        raise HostEngineError("input refused: spaces or control characters in the URL")
    try:
        parts = urlsplit(text)
    except ValueError:
        raise HostEngineError("input refused: not a URL; clients may only ask for network streams") from None
    scheme = parts.scheme.lower()
    if scheme not in STREAM_SCHEMES or not parts.hostname or not text.lower().startswith(f"{scheme}://"):
        raise HostEngineError(
            f"input '{redact(text)}' refused: clients may only ask for network streams "
            f"({', '.join(sorted(STREAM_SCHEMES))}; http(s) for HLS playlists); local files and file:, concat:, "
            "pipe:, subfile: need a server started with --allow-local-inputs"
        )
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        name = key.lower()
        if name in LISTEN_OPTIONS and value.lower() != LISTEN_OPTIONS[name]:  # None: never
            raise HostEngineError(f"input '{redact(text)}' refused: '{key}' would open a port on the server")
        if scheme in QUERY_OPTIONS and name not in QUERY_OPTIONS[scheme]:
            raise HostEngineError(f"input '{redact(text)}' refused: option '{key}' is not allowed in {scheme} inputs "
                                  f"(allowed: {', '.join(sorted(QUERY_OPTIONS[scheme]))})")  # fmt: skip
    if scheme in ("http", "https"):
        if not parts.path.lower().endswith(".m3u8"):
            raise HostEngineError(f"input '{redact(text)}' refused: http(s) inputs must be HLS playlists (.m3u8)")
        _check_public(parts.hostname, text)
    return text


def _check_public(host: str, url: str) -> None:
    """An http(s) input's host must be on the public internet: the server must not be made to GET its own
    services, the LAN's or a cloud's metadata address (a LAN source needs --allow-local-inputs)."""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (OSError, UnicodeError):
        raise HostEngineError(f"input '{redact(url)}' refused: cannot resolve {host}") from None
    private = sorted(a for a in addresses if not ipaddress.ip_address(a.split("%")[0]).is_global)
    if private:
        raise HostEngineError(
            f"input '{redact(url)}' refused: {host} is a local or private address ({private[0]}); a LAN source "
            "needs a server started with --allow-local-inputs"
        )


class RedactUrls(logging.Filter):
    """A log handler's filter: URLs in the message, its traceback text and the thread's name are redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "://" in message:
            record.msg, record.args = redact_text(message), None
        if record.threadName and "://" in record.threadName:
            record.threadName = redact_text(record.threadName)
        if record.exc_info and not record.exc_text:
            record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
        return True
