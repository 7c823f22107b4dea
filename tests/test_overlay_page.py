"""The OBS overlay page (host_engine/server/static) in a real browser, fed scripted caption events by a stand-in
server, so the page is tested on its own: partial/final revisions, translations, RTL, line limit, fade, errors."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

import pytest
import uvicorn
from browser import SCREENSHOTS, launch, needs_chromium
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "host_engine" / "server" / "static"
LONG = " ".join(f"word{i}" for i in range(80)) + " the very end."
ARABIC = "مرحبا بكم في البث المباشر"

pytestmark = needs_chromium


def caption(text: str, segment: str, sentence: int, *, final: bool = True, lang: str = "en", source: bool = True,
            revision: int = 0) -> dict:  # fmt: skip
    words = [[word, 1.0 + i * 0.3, 1.2 + i * 0.3] for i, word in enumerate(text.split())]
    return {
        "type": "caption", "lang": lang, "text": text, "start": 1.0, "end": 1.0 + 0.3 * len(words), "emitted": 3.0,
        "segment": segment, "revision": revision, "final": final, "sentence": sentence, "source": source,
        "words": words,
    }  # fmt: skip


def product(market: str, lang: str, name: str, price: str, label: str) -> dict:
    return {"type": "product", "market": market, "lang": lang, "name": name, "price": price, "label": label}


# session -> [(seconds to wait before sending, event or None to close)]; every connection plays its session's script.
SCRIPTS: dict[str, list[tuple[float, dict | None]]] = {
    "revisions": [
        (0.0, caption("Hello", "en-0", 0, final=False)),
        (0.3, caption("Hello every", "en-0", 0, final=False, revision=1)),
        (0.4, caption("Hello everyone,", "en-0", 0, revision=2)),
        (0.4, caption("welcome to", "en-1", 0, final=False)),
        (0.4, caption(" welcome to the stream.", "en-1", 0, revision=1)),
        (0.4, caption("Today we have", "en-2", 1, final=False)),
    ],
    "translation": [
        (0.0, caption("This jacket is waterproof.", "en-0", 0)),
        (0.1, caption("Esta chaqueta es impermeable.", "es-0", 0, lang="es", source=False)),
    ],
    "retranslation": [
        (0.0, caption("This jacket is", "en-0", 0)),
        (
            0.1,
            {
                **caption("Esta chaqueta es", "es-0", 0, lang="es", source=False, final=False),
                "stable": "Esta",
                "unstable": "chaqueta es",
            },
        ),
        (0.6, caption(" waterproof and light.", "en-1", 0)),
        (
            0.1,
            {
                **caption(
                    "Esta chaqueta es impermeable y", "es-0", 0, lang="es", source=False, final=False, revision=1
                ),
                "stable": "Esta chaqueta es",
                "unstable": "impermeable y",
            },
        ),
        (0.6, caption("Esta chaqueta es impermeable y ligera.", "es-0", 0, lang="es", source=False, revision=2)),
    ],
    "untranslated": [
        (0.0, caption("It costs 49 dollars.", "en-0", 0)),
        (0.1, {**caption("", "zh-0", 0, lang="zh", source=False), "untranslated": "not translated: numbers changed"}),
        (0.6, caption("Thanks!", "en-1", 1)),
        (0.1, caption("谢谢！", "zh-1", 1, lang="zh", source=False)),
    ],
    "arabic": [(0.0, caption(ARABIC, "ar-0", 0, lang="ar", source=False))],
    "unspaced": [
        (0.0, caption("大家好，", "zh-0", 0, lang="zh")),
        (0.1, caption("欢迎来到直播间。", "zh-1", 0, lang="zh")),
    ],
    "long": [(0.0, caption(LONG, "en-0", 0))],
    "fade": [(0.0, caption("Now you see me", "en-0", 0)), (3.0, caption("and again", "en-1", 1))],
    "error": [
        (0.0, {"type": "error", "message": "audio decoder hiccup", "emitted": 1.0, "fatal": False}),
        (0.1, caption("Still here.", "en-0", 0)),
        (0.1, {"type": "end", "emitted": 30.0, "audio_seconds": 29.5}),
    ],
    "drop": [(0.0, caption("Reconnecting", "en-0", 0)), (0.0, None)],
    "products": [
        (0.0, product("us", "en", "Rain jacket", "49 USD", "#ad")),
        (0.0, product("kr", "ko", "레인 재킷", "59,000 KRW", "#광고")),
        (0.0, caption("This jacket is waterproof.", "en-0", 0)),
        (2.0, product("kr", "ko", "<b>보온병</b>", "25,000 KRW", "#광고")),
        (0.0, product("us", "en", "Thermos", "19 USD", "")),
    ],
}
CONNECTED: defaultdict[str, list[float]] = defaultdict(list)  # session -> when each WebSocket connection came in
RECORD_SHOWN = """
window.__shown = {};
new MutationObserver(() => {
    for (const block of document.querySelectorAll('.block')) {
        const text = part => block.querySelector(part)?.textContent ?? '';
        const state = [text('.final'), text('.partial')];
        const states = (window.__shown[`.block[data-lang="${block.dataset.lang}"]`] ??= []);
        const last = states.at(-1);
        if (state.join('') && !(last && last[0] === state[0] && last[1] === state[1])) {
            states.push([...state, performance.now()]);
        }
    }
}).observe(document, {subtree: true, childList: true, characterData: true});
"""
"""Records every text each caption block shows, with when, so a test can assert on states that last a fraction of
a second without having to look at the page while they last."""


@pytest.fixture(scope="module")
def server():
    app = FastAPI()
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/overlay")
    async def overlay() -> FileResponse:
        return FileResponse(STATIC / "overlay.html")

    @app.websocket("/ws/captions")
    async def captions(websocket: WebSocket, session: str = "default") -> None:
        await websocket.accept()
        CONNECTED[session].append(time.monotonic())
        with contextlib.suppress(WebSocketDisconnect):
            for delay, event in SCRIPTS[session]:
                await asyncio.sleep(delay)
                if event is None:
                    return await websocket.close()
                await websocket.send_json(event)
            while True:  # keep the socket open until the page goes away
                await websocket.receive_text()

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def open_overlay(server, browser):
    pages = []

    def open_(query: str, console: list[str] | None = None) -> Page:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        pages.append(page)
        page.add_init_script(RECORD_SHOWN)
        if console is not None:
            page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        page.goto(f"{server}/overlay?{query}")
        return page

    yield open_
    for page in pages:
        page.close()


def wait_for_text(page: Page, selector: str, final: str, partial: str = "") -> None:
    """Wait until the block has shown this final and partial text, after what earlier waits on it saw."""
    page.wait_for_function(
        """([selector, final, partial]) => {
            const states = window.__shown[selector] ?? [];
            const from = (window.__seen ??= {})[selector] ?? 0;
            const at = states.findIndex((s, i) => i >= from && s[0] === final && s[1] === partial);
            if (at >= 0) window.__seen[selector] = at + 1;
            return at >= 0;
        }""",
        arg=[selector, final, partial],
        timeout=3000,
    )


def shown(page: Page, selector: str) -> list[list]:
    """Every [final, partial, milliseconds since the page began] the block has shown."""
    return page.evaluate("selector => window.__shown[selector] ?? []", selector)


def opacity(page: Page, selector: str) -> float:
    return float(page.eval_on_selector(selector, "el => getComputedStyle(el).opacity"))


def test_partial_is_replaced_by_its_final_and_segments_join_until_a_new_sentence(open_overlay):
    page = open_overlay("session=revisions")
    block = '.block[data-lang="en"]'
    wait_for_text(page, block, "", "Hello every")
    assert opacity(page, f"{block} .partial") < 1  # unconfirmed words are lighter
    wait_for_text(page, block, "Hello everyone,")
    wait_for_text(page, block, "Hello everyone,", " welcome to")
    wait_for_text(page, block, "Hello everyone, welcome to the stream.")
    wait_for_text(page, block, "", "Today we have")
    assert page.locator(".block").count() == 1


def test_translation_block_shows_the_translation(open_overlay):
    page = open_overlay("session=translation&lang=src,es")
    wait_for_text(page, '.block[data-lang="es"]', "Esta chaqueta es impermeable.")
    assert page.locator(".block").evaluate_all("blocks => blocks.map(b => b.dataset.lang)") == ["en", "es"]
    assert page.locator('.block[data-lang="en"] .final').text_content() == "This jacket is waterproof."
    page.wait_for_function("[...document.querySelectorAll('.block')].every(b => getComputedStyle(b).opacity === '1')")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "overlay.png"), omit_background=True)


def test_a_sentence_still_being_said_shows_its_stable_translation_and_a_lighter_tail(open_overlay):
    page = open_overlay("session=retranslation&lang=es")
    block = '.block[data-lang="es"]'
    wait_for_text(page, block, "Esta", " chaqueta es")
    assert opacity(page, f"{block} .partial") < 1 and opacity(page, f"{block} .final") == 1
    wait_for_text(page, block, "Esta chaqueta es", " impermeable y")
    wait_for_text(page, block, "Esta chaqueta es impermeable y ligera.")
    assert page.locator(".block").count() == 1


def test_without_the_tail_only_stable_translation_is_shown(open_overlay):
    page = open_overlay("session=retranslation&lang=es&tail=0")
    block = '.block[data-lang="es"]'
    wait_for_text(page, block, "Esta chaqueta es impermeable y ligera.")
    texts = [(final, partial) for final, partial, _ in shown(page, block)]
    assert texts == [("Esta", ""), ("Esta chaqueta es", ""), ("Esta chaqueta es impermeable y ligera.", "")]


def test_an_untranslated_sentence_is_marked_not_shown_wrong(open_overlay):
    page = open_overlay("session=untranslated&lang=src,zh")
    block = '.block[data-lang="zh"]'
    wait_for_text(page, block, "…", "")
    assert page.locator(block).evaluate("b => b.classList.contains('untranslated')")
    wait_for_text(page, block, "谢谢！", "")
    assert not page.locator(block).evaluate("b => b.classList.contains('untranslated')")


def test_arabic_is_right_to_left(open_overlay):
    page = open_overlay("session=arabic&lang=ar")
    block = page.locator('.block[data-lang="ar"]')
    wait_for_text(page, '.block[data-lang="ar"]', ARABIC)
    assert block.get_attribute("dir") == "rtl"
    assert block.get_attribute("lang") == "ar"


def test_unspaced_language_segments_join_without_a_space(open_overlay):
    page = open_overlay("session=unspaced")
    wait_for_text(page, '.block[data-lang="zh"]', "大家好，欢迎来到直播间。")
    assert " " not in page.locator('.block[data-lang="zh"]').inner_text().strip()


def test_long_text_keeps_two_lines_showing_its_end(open_overlay):
    page = open_overlay("session=long")
    final = page.locator('.block[data-lang="en"] .final')
    final.filter(has_text="the very end.").wait_for(timeout=3000)
    height, line_height = page.eval_on_selector(
        ".block", "el => [el.getBoundingClientRect().height, parseFloat(getComputedStyle(el).lineHeight)]"
    )
    text = final.text_content()
    assert line_height < height <= 2 * line_height + 2
    assert LONG.endswith(text) and text.startswith("word") and len(text) < len(LONG) / 2


def test_block_fades_after_the_last_update_and_comes_back(open_overlay):
    page = open_overlay("session=fade&fade=0.5")
    block = '.block[data-lang="en"]'
    visible = f"getComputedStyle(document.querySelector('{block}')).opacity > 0.5"
    wait_for_text(page, block, "Now you see me")
    page.wait_for_function(visible, timeout=2000)  # fading in
    faded = f"getComputedStyle(document.querySelector('{block}')).opacity === '0' && performance.now()"
    assert page.wait_for_function(faded, timeout=3000).json_value() - shown(page, block)[0][2] > 500
    wait_for_text(page, block, "and again")
    page.wait_for_function(visible, timeout=2000)


def test_error_event_is_logged_and_captions_keep_coming(open_overlay):
    console = []
    page = open_overlay("session=error", console)
    wait_for_text(page, '.block[data-lang="en"]', "Still here.")
    assert opacity(page, '.block[data-lang="en"]') > 0
    assert page.locator("body").inner_text().strip() == "Still here."
    assert any(line.startswith("warning:") and "audio decoder hiccup" in line for line in console), console


def test_socket_override_and_reconnect_with_backoff(open_overlay, server):
    ws = server.replace("http", "ws") + "/ws/captions?session=drop"
    page = open_overlay(f"session=ignored&ws={quote(ws)}")
    wait_for_text(page, '.block[data-lang="en"]', "Reconnecting")
    deadline = time.monotonic() + 5
    while len(CONNECTED["drop"]) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    first, second, third = CONNECTED["drop"][:3]
    assert 0.4 < second - first < 0.9 and 0.9 < third - second < 1.5  # 0.5 s, then doubled
    assert "ignored" not in CONNECTED
    assert page.locator('.block[data-lang="en"] .final').text_content() == "Reconnecting"  # replays do not duplicate


def _product(page: Page) -> list[str]:
    return page.eval_on_selector_all("#product span", "spans => spans.map(s => s.hidden ? '' : s.textContent)")


def test_a_market_page_shows_its_product_price_and_label(open_overlay):
    korea = open_overlay("session=products&market=kr")
    wait_for_text(korea, '.block[data-lang="en"]', "This jacket is waterproof.")
    assert _product(korea) == ["레인 재킷", "59,000 KRW", "#광고"]  # not the US market's, sent alongside
    assert korea.eval_on_selector("#product", "el => el.lang") == "ko"
    korea.wait_for_function("document.querySelector('#product .name').textContent.includes('보온병')", timeout=3000)
    assert _product(korea)[0] == "<b>보온병</b>"  # the next product; a name is shown as text, never as markup
    assert korea.locator("#product b").count() == 0
    korea.screenshot(path=SCREENSHOTS / "overlay-product-kr.png")

    us = open_overlay("session=products&market=us")
    us.wait_for_function("document.querySelector('#product .name').textContent === 'Thermos'", timeout=3000)
    assert _product(us) == ["Thermos", "19 USD", ""]  # a market without a label shows none

    plain = open_overlay("session=products")
    wait_for_text(plain, '.block[data-lang="en"]', "This jacket is waterproof.")
    assert plain.eval_on_selector("#product", "el => getComputedStyle(el).display") == "none"
