"""OpenAI-compatible audio endpoints, the convention speaches, vLLM and faster-whisper-server speak, so that any
OpenAI SDK and the tools built on it work unchanged against host-engine's own engines:

    POST /v1/audio/transcriptions   multipart `file`, `model`, `language`, `prompt`, `response_format`
                                    (json, text, srt, vtt, verbose_json), `timestamp_granularities[]`
    POST /v1/audio/translations     the same, English text from any language (Whisper's translation task)
    POST /v1/audio/speech           JSON `input`, `voice`, `model`, `response_format` (mp3, opus, aac, flac, wav,
                                    pcm: 24 kHz 16-bit), `speed`; host-engine's own `language` (else the voice's
                                    language, else detected from the text)
    POST /v1/translations           text in the same style through the MT router; a line whose facts the MT
                                    could not keep comes back empty, with the reason
    GET  /v1/models

An upload is copied into a temporary folder of the request's own (under a safe name made of the client's: never a
path; server/uploads.py) and decoded by FFmpeg: an empty or undecodable file is one 400 line. Recognition and
synthesis run in worker threads, `RUNNING` at a time; past `WAITING` more, a client is told 429 at once rather
than left hanging.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from host_engine.asr import Segment, TranscriptInfo
from host_engine.engines import Engines
from host_engine.errors import BadInputError, HostEngineError
from host_engine.langid import likely_languages
from host_engine.languages import get_language
from host_engine.media import encode_audio, time_stretch
from host_engine.mt.checked import Checked
from host_engine.server.uploads import save_upload
from host_engine.speech import speak_line
from host_engine.transcript import render_transcript, transcribe_file

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 25 * 1024 * 1024
"""OpenAI's own cap on an audio upload."""
MAX_SPEECH_CHARS = 4096
MAX_TEXTS = 64
RUNNING = 2
"""Requests recognizing or synthesizing at once: a 2-core machine runs about two at full speed."""
WAITING = 8
"""Requests waiting for a worker, at most; one more is refused with 429."""
PCM_RATE = 24000
"""OpenAI's `pcm` speech: 16-bit little-endian mono at 24 kHz."""
MEDIA_TYPES = {"mp3": "audio/mpeg", "opus": "audio/ogg", "aac": "audio/aac", "flac": "audio/flac", "wav": "audio/wav",
               "pcm": "audio/pcm"}  # fmt: skip
SPEECH_MODELS = ("tts-1", "tts-1-hd", "gpt-4o-mini-tts")
"""Accepted as names of host-engine's voices (voices/*.yaml), so clients written for OpenAI need no change."""
TRANSCRIPTION_ALIAS = "whisper-1"
TRANSLATION_MODEL = "host-engine-mt"

T = TypeVar("T")
ResponseFormat = Annotated[Literal["json", "text", "srt", "vtt", "verbose_json"], Form()]
Granularities = Annotated[list[Literal["segment", "word"]] | None, Form(alias="timestamp_granularities[]")]
Prompt = Annotated[str | None, Form(max_length=1000)]
Model = Annotated[str, Form(max_length=64)]


class Speech(BaseModel):
    input: str = Field(min_length=1, max_length=MAX_SPEECH_CHARS)
    model: str = Field(default="tts-1", max_length=64)
    voice: str = Field(default="alloy", max_length=64)
    """An OpenAI voice name (the language's default voice) or a host-engine voice profile (voices/*.yaml)."""
    response_format: Literal["mp3", "opus", "aac", "flac", "wav", "pcm"] = "mp3"
    speed: float = Field(default=1.0, ge=0.5, le=2.0)
    language: str | None = Field(default=None, max_length=16)


class TextTranslation(BaseModel):
    input: str | list[Annotated[str, Field(max_length=MAX_SPEECH_CHARS)]] = Field(max_length=MAX_SPEECH_CHARS)
    target: str = Field(max_length=16)
    source: str | None = Field(default=None, max_length=16)
    model: str = Field(default=TRANSLATION_MODEL, max_length=64)


class Workers:
    """CPU work in threads, `running` at a time; a request finding `waiting` others queued gets 429."""

    def __init__(self, running: int = RUNNING, waiting: int = WAITING) -> None:
        self._slots = asyncio.Semaphore(running)
        self._admitted = 0
        self._cap = running + waiting

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        if self._admitted >= self._cap:
            raise HTTPException(429, "every worker is busy; try again shortly", headers={"Retry-After": "5"})
        self._admitted += 1
        try:
            async with self._slots:
                return await asyncio.to_thread(work, *args)
        finally:
            self._admitted -= 1


def audio_routes(engines: Engines, workers: Workers | None = None) -> APIRouter:
    workers = workers or Workers()
    routes = APIRouter(prefix="/v1")
    transcription_models = (TRANSCRIPTION_ALIAS, engines.asr_model)

    async def recognize(
        file: UploadFile, model: str, language: str | None, prompt: str | None, to_english: bool
    ) -> tuple[list[Segment], TranscriptInfo]:
        _check_model(model, transcription_models)
        with tempfile.TemporaryDirectory(prefix="host-engine-upload-") as folder:
            path, _ = await save_upload(file, Path(folder))
            try:
                return await workers.run(transcribe_file, path, language, engines, to_english, prompt)
            except HostEngineError as exc:
                raise HTTPException(400, str(exc).replace(str(path), path.name)) from None

    async def transcript(
        file: UploadFile,
        model: str,
        language: str | None,
        prompt: str | None,
        response_format: str,
        granularities: list[str] | None,
        to_english: bool,
    ) -> Response:
        segments, info = await recognize(file, model, language, prompt, to_english)
        if response_format in ("text", "srt", "vtt"):
            return PlainTextResponse(render_transcript(segments, info, "txt" if response_format == "text" else
                                                       response_format))  # fmt: skip
        text = _joined(segments, info.language)
        if response_format == "json":
            return JSONResponse({"text": text})
        words = "word" in (granularities or [])
        task = "translate" if to_english else "transcribe"
        return JSONResponse(_verbose(segments, info, text, task, words))

    @routes.post("/audio/transcriptions")
    async def transcriptions(
        file: Annotated[UploadFile, File()],
        model: Model = TRANSCRIPTION_ALIAS,
        language: Annotated[str | None, Form(max_length=16)] = None,
        prompt: Prompt = None,
        response_format: ResponseFormat = "json",
        timestamp_granularities: Granularities = None,
    ) -> Response:
        """Speech to text in its own language (detected when `language` is not given)."""
        return await transcript(file, model, language, prompt, response_format, timestamp_granularities, False)

    @routes.post("/audio/translations")
    async def translations(
        file: Annotated[UploadFile, File()],
        model: Model = TRANSCRIPTION_ALIAS,
        prompt: Prompt = None,
        response_format: ResponseFormat = "json",
    ) -> Response:
        """Speech in any language to English text."""
        return await transcript(file, model, None, prompt, response_format, None, True)

    @routes.post("/audio/speech")
    async def speech(body: Speech) -> Response:
        _check_model(body.model, SPEECH_MODELS)
        try:
            audio, rate = await workers.run(_speak, engines, body)
        except HostEngineError as exc:
            raise HTTPException(400, str(exc)) from None
        media_type = MEDIA_TYPES[body.response_format]
        return Response(await asyncio.to_thread(encode_audio, audio, rate, body.response_format), media_type=media_type)

    @routes.post("/translations")
    async def translate(body: TextTranslation) -> dict[str, Any]:
        _check_model(body.model, (TRANSLATION_MODEL,))
        texts = [body.input] if isinstance(body.input, str) else body.input
        if not texts or len(texts) > MAX_TEXTS:
            raise HTTPException(422, f"input holds 1 to {MAX_TEXTS} texts")
        try:
            source, target, checked = await workers.run(_translate, engines, texts, body.source, body.target)
        except HostEngineError as exc:
            raise HTTPException(400, str(exc)) from None
        return {
            "source": source,
            "target": target,
            "data": [{"text": line.text, **({"refused": line.reason} if line.refused else {})} for line in checked],
        }

    @routes.get("/models")
    async def models() -> dict[str, Any]:
        served = [*transcription_models, *SPEECH_MODELS, TRANSLATION_MODEL]
        listed = [{"id": name, "object": "model", "created": 0, "owned_by": "host-engine"} for name in served]
        return {"object": "list", "data": listed}

    return routes


def openai_error(status: int, message: str) -> dict[str, Any]:
    """An error body in OpenAI's shape."""
    kind = "invalid_request_error" if status < 500 else "server_error"
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def openai_errors(app: FastAPI) -> None:
    """Errors in OpenAI's shape (`{"error": {"message": ...}}`), which its SDKs show to the user; FastAPI's own
    `{"detail": ...}` reaches them as a bare status code."""

    def shaped(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse(openai_error(status, message), status, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return shaped(exc.status_code, str(exc.detail), exc.headers)

    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return shaped(500, f"internal error ({type(exc).__name__}); the service log has the details")

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'][1:])) or 'body'}: {e['msg']}" for e in exc.errors())
        return shaped(422, problems)


def _check_model(model: str, served: tuple[str, ...]) -> None:
    if model not in served:
        raise HTTPException(400, f"model '{model}' is not served here; use one of {', '.join(served)}")


def _speak(engines: Engines, body: Speech) -> tuple[Any, int]:
    """The speech's audio and sample rate (24 kHz for `pcm`, else the voice's own)."""
    profile = engines.voices.get(body.voice)
    lang = get_language(body.language).code if body.language else profile.lang if profile else None
    lang = lang or _language_of(body.input)
    voice = body.voice if profile is not None else None
    rate = PCM_RATE if body.response_format == "pcm" else engines.synthesizer(lang, voice).sample_rate
    audio = speak_line(engines, body.input, lang, rate, voice)
    if audio.size == 0:
        raise BadInputError("nothing to say: the input has no speakable words")
    return time_stretch(audio, rate, body.speed), rate


def _translate(engines: Engines, texts: list[str], source: str | None, target: str) -> tuple[str, str, list[Checked]]:
    """In a worker: the source language (detected when not named: up to 64 texts, not on the event loop), the
    target, and each text's checked translation."""
    code = get_language(target).code
    found = get_language(source).code if source else _language_of(" ".join(texts))
    return found, code, engines.translator.translate_checked(texts, found, code)


def _language_of(text: str) -> str:
    found = likely_languages(text)
    if not found:
        raise BadInputError("cannot tell the text's language; name it (`language`, or `source` for translations)")
    return found[0]


def _joined(segments: list[Segment], lang: str) -> str:
    spaced = get_language(lang).spaced if lang else True
    return (" " if spaced else "").join(s.text.strip() for s in segments)


def _verbose(segments: list[Segment], info: TranscriptInfo, text: str, task: str, words: bool) -> dict[str, Any]:
    """OpenAI's `verbose_json`: the language by its English name, segments with their scores, words on request."""
    body: dict[str, Any] = {
        "task": task,
        "language": get_language(info.language).name.lower(),
        "duration": round(info.duration, 3),
        "text": text,
        "segments": [
            {"id": i, "seek": 0, "start": s.start, "end": s.end, "text": s.text, "tokens": [], "temperature": 0.0,
             "avg_logprob": s.avg_logprob, "compression_ratio": s.compression_ratio, "no_speech_prob": s.no_speech_prob}
            for i, s in enumerate(segments)
        ],
    }  # fmt: skip
    if words:
        body["words"] = [{"word": w.text.strip(), "start": w.start, "end": w.end} for s in segments for w in s.words]
    return body
