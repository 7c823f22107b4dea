"""`host-engine service` through OpenAI's own Python client: speech to text with word times, text to speech in the
text's language and back, speech translated to English, text translated keeping its facts; and what a hostile or
careless client gets (no token, an empty or corrupt upload, an unknown model, an oversized body)."""

from __future__ import annotations

import asyncio
import io
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from fastapi import HTTPException
from served import TOKEN, Served, served

from host_engine.langid import likely_languages
from host_engine.media import decode_audio
from host_engine.server.openai_audio import Workers


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("service")
    with served("service", "--data", str(folder / "data"), folder=folder) as handle:
        yield handle


@pytest.fixture(scope="module")
def client(service: Served) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{service.url}/v1", api_key=TOKEN, max_retries=0, timeout=300)


def test_the_openai_client_transcribes_with_word_times(client: openai.OpenAI, librivox: Path) -> None:
    with (librivox / "sense_and_sensibility_01_austen_64kb-0870.wav").open("rb") as audio:
        verbose = client.audio.transcriptions.create(
            model="whisper-1", file=audio, response_format="verbose_json", timestamp_granularities=["word"]
        )
    assert verbose.language == "english" and 6.0 < verbose.duration < 8.0
    for word in ("dashwood", "leisure", "prudently"):
        assert word in verbose.text.lower()
    assert verbose.words and verbose.words[0].start < 1.0 and verbose.words[-1].end <= verbose.duration
    assert verbose.segments and verbose.segments[0].text.strip()
    with (librivox / "sense_and_sensibility_01_austen_64kb-0870.wav").open("rb") as audio:
        srt = client.audio.transcriptions.create(model="whisper-1", file=audio, response_format="srt", language="en")
    assert "-->" in srt and "Dashwood" in srt


def test_speech_in_the_texts_language_comes_back_as_its_words(client: openai.OpenAI, tmp_path: Path) -> None:
    """No language is sent: the text says it is Spanish, so the Spanish voice speaks it (Kokoro), as MP3; the
    MP3 sent back is recognized as Spanish with its words, and translated to English."""
    spoken = client.audio.speech.create(model="tts-1", voice="alloy", input="¿Cuánto cuesta la chaqueta de lluvia?")
    mp3 = tmp_path / "speech.mp3"
    mp3.write_bytes(spoken.content)
    assert spoken.response.headers["content-type"] == "audio/mpeg"
    assert 1.0 < decode_audio(mp3).size / 16000 < 6.0
    with mp3.open("rb") as audio:
        heard = client.audio.transcriptions.create(model="whisper-1", file=audio, response_format="verbose_json")
    assert heard.language == "spanish" and "chaqueta" in heard.text.lower(), heard.text
    with mp3.open("rb") as audio, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # OpenAI retires its own; the API's servers keep it
        english = client.audio.translations.create(model="whisper-1", file=audio)
    assert likely_languages(english.text)[:1] == ["en"], english.text


def test_speech_formats_and_speed(client: openai.OpenAI, tmp_path: Path) -> None:
    text = "The rain jacket is forty nine dollars."  # espeak-ng: the same length every time (Piper's varies)
    durations = {}
    for fmt, speed in (("wav", 1.0), ("opus", 1.0), ("flac", 2.0)):
        spoken = client.audio.speech.create(
            model="tts-1", voice="en-espeak", input=text, response_format=fmt, speed=speed
        )
        path = tmp_path / f"speech.{fmt}"
        path.write_bytes(spoken.content)
        durations[fmt, speed] = decode_audio(path).size / 16000
    pcm = client.audio.speech.create(model="tts-1", voice="en-espeak", input=text, response_format="pcm")
    assert abs(len(pcm.content) / 2 / 24000 - durations["wav", 1.0]) < 0.1  # 16-bit samples at 24 kHz
    assert abs(durations["opus", 1.0] - durations["wav", 1.0]) < 0.1
    assert 0.4 < durations["flac", 2.0] / durations["wav", 1.0] < 0.6


def test_text_translation_keeps_the_price(service: Served) -> None:
    reply = httpx.post(
        f"{service.url}/v1/translations",
        headers={"Authorization": f"Bearer {TOKEN}"},
        json={"input": ["The jacket costs 49 dollars.", "It is waterproof."], "source": "en", "target": "pt"},
        timeout=120,
    )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["target"] == "pt" and "49" in body["data"][0]["text"] and "refused" not in body["data"][0]


def test_models_are_listed(client: openai.OpenAI) -> None:
    assert {"whisper-1", "tts-1"} <= {model.id for model in client.models.list()}


def test_careless_and_hostile_clients_get_one_clear_error(
    client: openai.OpenAI, service: Served, librivox: Path
) -> None:
    stranger = openai.OpenAI(base_url=f"{service.url}/v1", api_key="wrong-token", max_retries=0)
    with pytest.raises(openai.AuthenticationError, match="a valid token is required"):
        stranger.models.list()
    with pytest.raises(openai.BadRequestError, match=r"clip\.wav: the file is empty"):
        client.audio.transcriptions.create(model="whisper-1", file=("clip.wav", io.BytesIO(b"")))
    with pytest.raises(openai.BadRequestError, match="upload: the file is empty"):  # never a path of its choosing
        client.audio.transcriptions.create(model="whisper-1", file=("..", io.BytesIO(b"")))
    with pytest.raises(openai.BadRequestError, match=r"clip\.mp3: .*(corrupt|invalid|cannot)"):
        client.audio.transcriptions.create(model="whisper-1", file=("clip.mp3", io.BytesIO(b"\x00garbage" * 500)))
    segment = librivox / "sense_and_sensibility_01_austen_64kb-0870.wav"  # a file of the server's: never read out
    playlist = b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n" + str(segment).encode() + b"\n"
    with pytest.raises(openai.BadRequestError, match=r"clip\.m3u8: (a 'hls' file is not taken|not a media file)"):
        client.audio.transcriptions.create(model="whisper-1", file=("clip.m3u8", io.BytesIO(playlist)))
    with pytest.raises(openai.BadRequestError, match="not served here"):
        client.audio.speech.create(model="no-such-model", voice="alloy", input="hello")
    with pytest.raises(openai.UnprocessableEntityError, match="speed: Input should be less than or equal to 2"):
        client.audio.speech.create(model="tts-1", voice="alloy", input="hello", speed=4.0)
    with pytest.raises(openai.BadRequestError, match="no voice 'en-joe' for 'ja'"):
        client.audio.speech.create(model="tts-1", voice="en-joe", input="こんにちは", extra_body={"language": "ja"})
    huge = httpx.post(
        f"{service.url}/v1/audio/transcriptions",
        headers={"Authorization": f"Bearer {TOKEN}"},
        files={"file": ("big.wav", b"\x00" * (26 * 1024 * 1024))},
        timeout=60,
    )
    assert huge.status_code == 413 and huge.json()["error"]["message"].startswith("request body over")
    assert client.models.list().data  # still serving


def test_past_the_waiting_room_a_request_is_refused_at_once() -> None:
    """One worker, one place to wait: a third request gets 429 with Retry-After instead of hanging."""
    workers = Workers(running=1, waiting=1)
    release = threading.Event()

    async def scenario() -> list[object]:
        held = [asyncio.create_task(workers.run(release.wait, 30)) for _ in range(2)]
        await asyncio.sleep(0.1)
        with pytest.raises(HTTPException) as refused:
            await workers.run(release.wait, 30)
        release.set()
        return [refused.value.status_code, refused.value.headers, *(await asyncio.gather(*held))]

    assert asyncio.run(scenario()) == [429, {"Retry-After": "5"}, True, True]
