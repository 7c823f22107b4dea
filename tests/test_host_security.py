"""`host-engine host` exposed: chat, overlay, metrics and docs behind the token, chat bounded (fields, bytes, token
buckets per address and per socket), a flood that costs the show nothing, and a prompt exit on SIGTERM with a
caption subscriber still connected. One real host process (real voice, avatar and FFmpeg) serves the module."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx
import psutil
import pytest
from served import TOKEN, Served, served
from shows import shipped_show, write_show
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from host_engine.host.pipeline import Chat, LanguageModel
from host_engine.server.host_app import CHATS_PER_ADDRESS

AUTH = {"Authorization": f"Bearer {TOKEN}"}
MARKETS = ("us", "eu")


def _spoken(state: Path) -> list[dict]:
    lines = (state / "events.jsonl").read_text(encoding="utf-8").splitlines()
    return [event for event in map(json.loads, lines) if event["event"] == "spoken"]


@pytest.fixture(scope="module")
def show(tmp_path_factory: pytest.TempPathFactory, host_translations: Path):
    folder = tmp_path_factory.mktemp("host")
    state = folder / "state"
    state.mkdir()
    if host_translations.exists():
        (state / "translations.json").write_bytes(host_translations.read_bytes())
    pipeline = shipped_show(
        MARKETS,
        chat=Chat(per_user_seconds=0),
        state_dir=state,
        language_model=LanguageModel(kind="none"),
        voices={lang: f"{lang}-espeak" for lang in ("en", "es", "pt", "fr", "de")},  # warm-up in seconds
    )
    config = write_show(pipeline, folder / "show.yaml")
    with served("host", "--pipeline", str(config), "--output", str(folder / "night.mkv"), folder=folder) as handle:
        deadline = time.monotonic() + 240
        while "host_ready 1.0" not in httpx.get(f"{handle.url}/metrics", headers=AUTH).text:  # start-up work done
            assert handle.process.poll() is None and time.monotonic() < deadline, handle.stderr()
            time.sleep(0.5)
        handle.state = state  # type: ignore[attr-defined]
        yield handle


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/chat"), ("GET", "/metrics"), ("GET", "/overlay"), ("GET", "/docs"), ("GET", "/openapi.json")],
)
def test_every_route_needs_the_token(show: Served, method: str, path: str) -> None:
    body = {"user": "ana", "text": "How much is it?", "id": f"auth-{path}"} if method == "POST" else None
    wrong = {"Authorization": "Bearer wrong"}
    assert httpx.request(method, show.url + path, json=body).status_code == 401
    assert httpx.request(method, show.url + path, json=body, headers=wrong).status_code == 401
    assert httpx.request(method, f"{show.url}{path}?token={TOKEN}", json=body).status_code == 200


@pytest.mark.parametrize("path", ["/ws/chat", "/ws/captions"])
def test_sockets_without_the_token_close_1008(show: Served, path: str) -> None:
    with connect(show.ws + path, open_timeout=10) as socket, pytest.raises(ConnectionClosed) as closed:
        socket.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    foreign = connect(f"{show.ws}{path}?token={TOKEN}", open_timeout=10, origin="http://evil.example")  # type: ignore[arg-type]
    with foreign as socket, pytest.raises(ConnectionClosed) as closed:
        socket.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


@pytest.mark.parametrize(
    "body",
    [{"user": "ana", "text": "hi", "id": "x" * 200}, {"user": "ana", "text": "hi", "id": "has space"},
     {"user": "ana", "text": "hi", "platform": "P" * 40}, {"user": "a" * 81, "text": "hi"},
     {"user": "ana", "text": "x" * 2001}],
)  # fmt: skip
def test_chat_fields_have_limits(show: Served, body: dict) -> None:
    assert httpx.post(f"{show.url}/chat", json=body, headers=AUTH).status_code == 422


def test_a_chat_flood_is_refused_cheaply_and_the_show_keeps_speaking(show: Served) -> None:
    process = psutil.Process(show.process.pid)
    before, said_before = process.memory_info().rss, len(_spoken(show.state))  # type: ignore[attr-defined]
    statuses: list[int] = []
    socket_errors: list[str] = []

    def over_the_socket() -> None:
        with connect(f"{show.ws}/ws/chat?token={TOKEN}", open_timeout=10) as socket:
            for n in range(300):
                socket.send(json.dumps({"user": f"bot{n}", "text": f"buy now {n}", "id": f"ws-{n}"}))
                reply = json.loads(socket.recv(timeout=10))
                if reply["type"] == "error":
                    socket_errors.append(reply["message"])

    flooding = threading.Thread(target=over_the_socket)
    began = time.monotonic()
    flooding.start()
    with httpx.Client(headers=AUTH) as client:
        for n in range(600):
            body = {"user": f"spam{n}", "text": f"¿Cuánto cuesta? {n}", "id": f"flood-{n}"}
            statuses.append(client.post(f"{show.url}/chat", json=body).status_code)
    flooding.join()
    rate, burst = CHATS_PER_ADDRESS
    taken = statuses.count(200) + 300 - len(socket_errors)  # one address: HTTP and the socket share its bucket
    assert set(statuses) <= {200, 429} and taken <= burst + rate * (time.monotonic() - began) + 1
    assert sum("slow down" in message for message in socket_errors) > 200
    time.sleep(8)  # the show goes on speaking the answers it took and the rundown
    assert len(_spoken(show.state)) > said_before  # type: ignore[attr-defined]
    assert process.memory_info().rss - before < 60 * 2**20
    metrics = httpx.get(f"{show.url}/metrics", headers=AUTH).text
    assert 'host_comments_blocked_total{reason="flood"}' in metrics
    assert "host_reply_queue" in metrics


def test_host_stops_promptly_with_a_subscriber_connected(show: Served) -> None:
    """Last in the module: SIGTERM while an overlay listens; the show winds down and exits cleanly within 5 s."""
    with connect(f"{show.ws}/ws/captions?token={TOKEN}", open_timeout=10) as socket:
        assert json.loads(socket.recv(timeout=30))["type"] == "product"  # the product on air, sent on connect
        while json.loads(socket.recv(timeout=30))["type"] != "caption":
            pass
        assert show.stop() < 5 and show.process.returncode == 0
