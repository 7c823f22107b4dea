"""Streaming recognition: a commit policy over a growing audio buffer, turning Whisper passes into caption events.

`AgreementTranscriber` is LocalAgreement-2 (whisper_streaming) with a VAD in front: a word becomes final once two
consecutive passes agree on it, when it ended `settle_seconds` before the newest audio (the latest pass decides), or
at once when the speaker pauses (nothing later can change it). Silence costs no
Whisper pass. The buffer is cut at sentence ends and pauses, so its length, the cost of a pass and memory stay
bounded over hours. `FixedWindowTranscriber` is the naive baseline the benchmark compares against (whisper.cpp's
`stream` example: a fixed window re-transcribed every step, final when the window is full).

Both are plain synchronous objects fed `process(new_audio)`; the live session runs them in a worker thread.
"""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np

from host_engine.asr import SAMPLE_RATE, Recognizer, TranscribeOptions
from host_engine.asr.vad import speech_regions
from host_engine.errors import BadInputError
from host_engine.events import CaptionEvent, CaptionWord, DataEvent
from host_engine.languages import get_language
from host_engine.text import ends_sentence

Clock = Callable[[], float]
PROMPT_WORDS = 12
"""Final words before the buffer given to Whisper as its prompt. With 40, Whisper echoed the prompt into a short
buffer after a sentence end, looping until the guards rejected the pass (~7 passes in 100, each 0.6-1.1 s and
hearing nothing, which also broke the agreement chain): source finals p95 1.9-3.5 s per session on the English
clips. With 12 the echo is rare, p95 1.7-2.8 s, and finals are as accurate (WER against the human transcript and
batch unchanged; ja/zh CER unchanged, which no prompt at all made worse)."""
UNHEARD_RUN = 3
TRAILING_ELLIPSIS = re.compile(r"(\.\.\.|…)$")
WINDOW_MARGIN_SECONDS = 2.0
MIN_WINDOW_SECONDS = 5.0
"""Encoder window = buffer + margin, rounded up to a second: short windows make passes fast (asr.window_seconds)."""
TOKENS_PER_SECOND = 15
"""Cap on decoded tokens per second of buffer (fast Chinese speech needs ~10): a looping pass stops early."""


@dataclass(frozen=True)
class StreamSettings:
    step_seconds: float = 0.5
    """New audio needed before another pass; partial text is updated at least this often (of audio)."""
    pause_seconds: float = 0.5
    """Silence after speech that ends an utterance: everything heard so far becomes final."""
    max_buffer_seconds: float = 8.0
    """Longer buffers are cut at the last final word even mid-sentence, so passes never grow slower."""
    settle_seconds: float = 1.5
    """A word that ended this long before the newest audio is final even while passes still disagree on it: the
    latest pass, with the most audio after the word, is trusted. This caps final latency (p95), not just p50."""
    max_sentence_words: int = 40
    """A sentence with no end in sight is closed here (and translated) rather than held back."""
    beam_size: int = 3
    """Greedy (1) or 2 beams are no faster: on buffers that start mid-word they loop far more often; 3 is as
    accurate as 5 here (WER vs batch) and cheaper."""
    vad_threshold: float = 0.5


@dataclass(frozen=True)
class SentenceWords(DataEvent):
    """A source sentence's final words so far (internal to the session: translated, written to subtitle files)."""

    number: int
    lang: str
    words: tuple[CaptionWord, ...]

    @property
    def text(self) -> str:
        return "".join(w.text for w in self.words).strip()


@dataclass(frozen=True)
class OpenSentence(SentenceWords):
    """A sentence still being said: the final words it has so far, which a translation may already show."""


@dataclass(frozen=True)
class ClosedSentence(SentenceWords):
    """A source sentence whose words are all final: translated whole, and written to subtitle files."""


@dataclass
class StepResult:
    captions: list[CaptionEvent] = field(default_factory=list)
    sentences: list[SentenceWords] = field(default_factory=list)


def _key(word: str) -> str:
    return re.sub(r"[\W_]+", "", word.lower())


def _without_unheard_run(words: list[CaptionWord]) -> list[CaptionWord]:
    """Cut the words from the first run of UNHEARD_RUN zero-length ones: text with no audio under it is Whisper
    echoing its prompt or repeating itself (seen at buffer edges and in trailing silence)."""
    run = 0
    for i, word in enumerate(words):
        run = run + 1 if word.end - word.start < 0.03 else 0
        if run == UNHEARD_RUN:
            return words[: i + 1 - run]
    return words


class _CaptionStream:
    """Segment ids, revisions and sentence numbering shared by both policies."""

    def __init__(self, recognizer: Recognizer, lang: str | None, clock: Clock, settings: StreamSettings) -> None:
        self.recognizer = recognizer
        self.lang = lang
        self.clock = clock
        self.settings = settings
        self.buffer = np.zeros(0, dtype=np.float32)
        self.buffer_start = 0.0
        self.pending_seconds = 0.0
        self.segment = 0
        self.revision = -1
        self.sentence = 0
        self.sentence_words: list[CaptionWord] = []
        self.recent: deque[CaptionWord] = deque(maxlen=PROMPT_WORDS)

    @property
    def received(self) -> float:
        return self.buffer_start + self.buffer.size / SAMPLE_RATE

    def process(self, audio: np.ndarray, flush: bool = False) -> StepResult:
        """Take new audio; run a pass when a step's worth has arrived (or `flush` at the end of the stream)."""
        self.buffer = np.concatenate([self.buffer, audio.astype(np.float32, copy=False)])
        self.pending_seconds += audio.size / SAMPLE_RATE
        if self.pending_seconds < self.settings.step_seconds and not flush:
            return StepResult()
        self.pending_seconds = 0.0
        return self._pass(flush)

    def _pass(self, flush: bool) -> StepResult:
        raise NotImplementedError

    def _cut(self, at: float) -> None:
        """Drop buffered audio before stream time `at`."""
        drop = round((min(at, self.received) - self.buffer_start) * SAMPLE_RATE)
        if drop > 0:
            self.buffer = self.buffer[drop:]
            self.buffer_start += drop / SAMPLE_RATE

    def _recognize(self, audio: np.ndarray, offset: float) -> list[CaptionWord]:
        seconds = audio.size / SAMPLE_RATE
        options = TranscribeOptions(
            language=self.lang,
            beam_size=self.settings.beam_size,
            vad=False,
            word_timestamps=True,
            initial_prompt=self._prompt(),
            window_seconds=min(30.0, max(MIN_WINDOW_SECONDS, math.ceil(seconds + WINDOW_MARGIN_SECONDS))),
            temperature_fallback=False,
            max_new_tokens=math.ceil(seconds * TOKENS_PER_SECOND) + 10,
        )
        segments, info = self.recognizer.transcribe(audio, options)
        words = [CaptionWord(w.text, offset + w.start, offset + w.end) for s in segments for w in s.words]
        if self.lang is None and words and info.language:
            self.lang = info.language
        return _without_unheard_run([w for w in words if _key(w.text)])

    def _prompt(self) -> str | None:
        """Final words heard before the buffer starts: context for Whisper. Words still inside the buffer stay out:
        with them in the prompt Whisper repeats them into the leading silence."""
        return "".join(w.text for w in self.recent if w.end <= self.buffer_start + 0.01).strip() or None

    def _caption(self, words: list[CaptionWord], final: bool) -> CaptionEvent:
        self.revision += 1
        event = CaptionEvent(
            lang=self.lang or "",
            text="".join(w.text for w in words).strip(),
            start=words[0].start,
            end=words[-1].end,
            emitted=self.clock(),
            segment=f"{self.lang}-{self.segment}",
            revision=self.revision,
            final=final,
            sentence=self.sentence,
            source=True,
            words=tuple(words),
        )
        if final:
            self.segment += 1
            self.revision = -1
        return event

    def _finalize(self, words: list[CaptionWord], result: StepResult, close: bool) -> None:
        """Emit `words` as final segments split at sentence ends; close sentences there (and at the end if asked)."""
        run: list[CaptionWord] = []
        for word in words:
            run.append(word)
            self.sentence_words.append(word)
            self.recent.append(word)
            if ends_sentence(word.text) or len(self.sentence_words) >= self.settings.max_sentence_words:
                result.captions.append(self._caption(run, final=True))
                run = []
                self._close_sentence(result)
        if run:
            result.captions.append(self._caption(run, final=True))
        if close:
            self._close_sentence(result)
        elif run:
            result.sentences.append(OpenSentence(self.sentence, self.lang or "", tuple(self.sentence_words)))

    def _close_sentence(self, result: StepResult) -> None:
        if self.sentence_words:
            result.sentences.append(ClosedSentence(self.sentence, self.lang or "", tuple(self.sentence_words)))
            self.sentence_words = []
            self.sentence += 1

    def _partial(self, words: list[CaptionWord], previous: list[CaptionWord], result: StepResult) -> None:
        if words and [w.text for w in words] != [w.text for w in previous]:
            result.captions.append(self._caption(words, final=False))


class AgreementTranscriber(_CaptionStream):
    """LocalAgreement-2 with VAD-detected pauses; see the module docstring."""

    def __init__(
        self, recognizer: Recognizer, lang: str | None, clock: Clock, settings: StreamSettings | None = None
    ) -> None:
        super().__init__(recognizer, lang, clock, settings or StreamSettings())
        self.committed_end = 0.0
        self.tail: list[CaptionWord] = []
        """Words of the last pass after the final ones: shown as partial text, confirmed by the next pass."""

    def _pass(self, flush: bool) -> StepResult:
        result = StepResult()
        regions = speech_regions(self.buffer, self.settings.vad_threshold)
        buffered = self.buffer.size / SAMPLE_RATE
        if not regions:
            self._end_utterance(result)
            self._cut(self.received - self.settings.pause_seconds)
            return result
        speech_end = regions[-1][1]
        paused = flush or buffered - speech_end >= self.settings.pause_seconds
        audio_in = self.buffer[: int(speech_end * SAMPLE_RATE)] if paused else self.buffer
        words = self._new_words(self._recognize(audio_in, self.buffer_start))
        if words and not paused:  # speech cut off by the buffer's end: Whisper's "..." there is not a sentence end
            words[-1] = replace(words[-1], text=TRAILING_ELLIPSIS.sub("", words[-1].text) or words[-1].text)
        if paused:
            self.tail = words
            self._end_utterance(result)
            self._cut(self.buffer_start + speech_end)
            return result
        agreed = 0
        while agreed < min(len(words), len(self.tail)) and _key(words[agreed].text) == _key(self.tail[agreed].text):
            agreed += 1
        settled_before = self.received - self.settings.settle_seconds
        while agreed < len(words) and words[agreed].end <= settled_before:
            agreed += 1
        if agreed:
            self._commit(words[:agreed], result)
        previous_tail = self.tail[agreed:]
        self.tail = words[agreed:]
        self._partial(self.tail, previous_tail, result)
        if self.buffer.size / SAMPLE_RATE > self.settings.max_buffer_seconds:
            self._cut(self.committed_end)
        return result

    def _new_words(self, words: list[CaptionWord]) -> list[CaptionWord]:
        """Words after the final ones: by time (midpoint, as word edges jitter), then by dropping a re-heard run
        of the last final words."""
        words = [w for w in words if (w.start + w.end) / 2 > self.committed_end]
        recent = [_key(w.text) for w in self.sentence_words[-5:]]
        for n in range(min(len(recent), len(words)), 0, -1):
            if [_key(w.text) for w in words[:n]] == recent[-n:]:
                return words[n:]
        return words

    def _commit(self, words: list[CaptionWord], result: StepResult, close: bool = False) -> None:
        self._finalize(words, result, close)
        self.committed_end = words[-1].end
        if not self.sentence_words:
            self._cut(self.committed_end)

    def _end_utterance(self, result: StepResult) -> None:
        if self.tail:
            self._commit(self.tail, result, close=True)
            self.tail = []
        else:
            self._close_sentence(result)


class FixedWindowTranscriber(_CaptionStream):
    """The naive baseline: the current window (up to `window_seconds`) re-transcribed every step, no VAD; when
    the window is full its text becomes final and a new window starts."""

    def __init__(
        self, recognizer: Recognizer, lang: str | None, clock: Clock, window_seconds: float = 5.0, step: float = 0.5
    ) -> None:
        super().__init__(recognizer, lang, clock, StreamSettings(step_seconds=step))
        self.window_seconds = window_seconds
        self.shown: list[CaptionWord] = []

    def _pass(self, flush: bool) -> StepResult:
        result = StepResult()
        full = self.buffer.size / SAMPLE_RATE >= self.window_seconds
        window = self.buffer[: int(self.window_seconds * SAMPLE_RATE)]
        words = self._recognize(window, self.buffer_start)
        if full or flush:
            if words:
                self._finalize(words, result, close=True)
            self.shown = []
            self._cut(self.buffer_start + window.size / SAMPLE_RATE)
            return result
        self._partial(words, self.shown, result)
        self.shown = words
        return result


class Policy(StrEnum):
    agreement = "agreement"
    fixed_window = "fixed-window"


Transcriber = AgreementTranscriber | FixedWindowTranscriber


def make_transcriber(policy: str, recognizer: Recognizer, lang: str | None, clock: Clock) -> Transcriber:
    if lang is not None:
        lang = get_language(lang).code
    policies = {Policy.agreement: AgreementTranscriber, Policy.fixed_window: FixedWindowTranscriber}
    if policy not in policies:
        raise BadInputError(f"unknown streaming policy '{policy}' ({' | '.join(policies)})")
    return policies[Policy(policy)](recognizer, lang, clock)
