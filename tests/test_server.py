"""The caption server on loopback: PCM pushed over a WebSocket, bad clients, concurrent sessions, the overlay page
in a real browser (Debian's chromium driven by Playwright) fed by a file source."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from browser import SCREENSHOTS, launch, needs_chromium
from fastapi.testclient import TestClient
from served import TOKEN, served

from host_engine.media import decode_audio, resample
from host_engine.server.app import create_app
from host_engine.server.auth import Access, Token


@pytest.fixture(scope="module")
def client(engines):
    access = Access(Token(TOKEN, "test"), hosts=("testserver",))
    with TestClient(create_app(access, engines), headers={"Authorization": f"Bearer {TOKEN}"}) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def speech(sample_clip: Path) -> np.ndarray:
    return decode_audio(sample_clip)[: 16000 * 9]


def _pcm(audio: np.ndarray) -> bytes:
    return (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()


def _push(ws, pcm: bytes, chunk_bytes: int, garbage_every: int = 0) -> None:
    for n, i in enumerate(range(0, len(pcm), chunk_bytes)):
        ws.send_bytes(pcm[i : i + chunk_bytes])
        if garbage_every and n % garbage_every == 0:
            ws.send_bytes(b"\x01\x02\x03")
            ws.send_text("hello?")
    ws.send_text(json.dumps({"type": "end"}))


def _receive_all(ws) -> list[dict]:
    events = []
    while True:
        event = json.loads(ws.receive_text())
        events.append(event)
        if event["type"] == "end":
            return events


def test_pushed_pcm_is_captioned_and_translated(client, speech):
    with client.websocket_connect("/ws/audio?session=push&src=en&to=pt") as ws:
        _push(ws, _pcm(speech), 3200)
        events = _receive_all(ws)
    finals = [e for e in events if e["type"] == "caption" and e["final"] and e["lang"] == "en"]
    assert "dashwood" in " ".join(e["text"] for e in finals).lower()
    assert any(e["lang"] == "pt" for e in events if e["type"] == "caption")


def test_other_sample_rates_are_resampled(client, speech):
    with client.websocket_connect("/ws/audio?session=rate&src=en&rate=48000") as ws:
        _push(ws, _pcm(resample(speech, 16000, 48000)), 9600)
        events = _receive_all(ws)
    text = " ".join(e["text"] for e in events if e["type"] == "caption" and e["final"]).lower()
    assert "dashwood" in text


def test_garbage_gets_error_events_and_the_session_carries_on(client, speech):
    with client.websocket_connect("/ws/audio?session=garbage&src=en") as ws:
        _push(ws, _pcm(speech), 3200, garbage_every=20)
        events = _receive_all(ws)
    errors = [e for e in events if e["type"] == "error"]
    assert errors and not any(e["fatal"] for e in errors)
    assert any("even size" in e["message"] for e in errors)
    assert "dashwood" in " ".join(e["text"] for e in events if e["type"] == "caption").lower()


@pytest.mark.parametrize("query", ["rate=7", "to=xx", "src=en&to=es,klingon"])
def test_bad_session_parameters_end_with_one_fatal_error(client, query):
    with client.websocket_connect(f"/ws/audio?session=bad&{query}") as ws:
        event = json.loads(ws.receive_text())
    assert event["type"] == "error" and event["fatal"]


def test_a_direction_too_weak_to_show_live_is_refused_naming_its_score(client, engines):
    weak = engines.live_translator.weakness("en", "ko")
    assert weak, "the shipped quality table measures en->ko below the live floor"
    answer = client.post("/sessions", json={"session": "weak", "input": "rtmp://example.com/live", "src": "en",
                                            "to": "es,ko"})  # fmt: skip
    assert answer.status_code == 400 and "en->ko translation measures chrF" in answer.json()["detail"]
    assert "allow_below_floor" in answer.json()["detail"]
    with client.websocket_connect("/ws/audio?session=weak&src=en&to=ko") as ws:
        event = json.loads(ws.receive_text())
    assert event["type"] == "error" and event["fatal"] and "below the live floor" in event["message"]


def test_caption_subscribers_get_a_running_session(client, speech):
    with client.websocket_connect("/ws/captions?session=watched") as viewer:
        with client.websocket_connect("/ws/audio?session=watched&src=en") as ws:
            _push(ws, _pcm(speech[: 16000 * 5]), 3200)
            pushed = _receive_all(ws)
        seen = _receive_all(viewer)
    assert [e["type"] for e in seen] == [e["type"] for e in pushed]
    assert "watched" not in client.get("/sessions").json()  # ended, nobody subscribed: forgotten


def test_a_session_started_again_under_a_watching_overlay_starts_clean(client, speech):
    """The overlay stays subscribed between two sessions of one name: the second pusher gets its own session's
    events, not the first one's end (which would close it at once)."""
    with client.websocket_connect("/ws/captions?session=again") as viewer:
        for _ in range(2):
            with client.websocket_connect("/ws/audio?session=again&src=en") as ws:
                _push(ws, _pcm(speech[: 16000 * 4]), 3200)
                pushed = _receive_all(ws)
            assert any(e["type"] == "caption" for e in pushed) and pushed[-1]["type"] == "end"
            assert _receive_all(viewer)[-1]["type"] == "end"


@pytest.fixture(scope="module")
def server(sample_clip: Path, tmp_path_factory):
    """`host-engine serve` as a user starts it, captioning the sample in real time into Spanish."""
    with served(
        "serve", "--input", str(sample_clip), "--src", "en", "--to", "es", "--realtime",
        folder=tmp_path_factory.mktemp("serve"),
    ) as handle:  # fmt: skip
        yield handle.url
        handle.stop()


@needs_chromium
def test_overlay_shows_live_captions_in_a_real_browser(server):
    from lingua import Language, LanguageDetectorBuilder
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(f"{server}/overlay?lang=src,es&fade=0&token={TOKEN}")
        page.wait_for_function(
            """() => document.querySelector('.block[data-lang="es"] .final').textContent.length > 20""",
            timeout=45_000,
        )
        es_text = page.locator('.block[data-lang="es"] .final').inner_text()
        en_text = page.locator('.block[data-lang="en"]').inner_text()
        lines = page.evaluate(
            """() => [...document.querySelectorAll('.block')].map(
                b => b.scrollHeight / parseFloat(getComputedStyle(b).lineHeight))"""
        )
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "overlay_live.png"))
        browser.close()
    assert en_text.strip() and all(n <= 2.1 for n in lines)
    detector = LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.SPANISH, Language.PORTUGUESE).build()
    assert detector.detect_language_of(es_text) == Language.SPANISH, es_text
    assert detector.detect_language_of(en_text) == Language.ENGLISH, en_text
