"""Open questions ("is it good for hiking?"): a language model answers from the rundown's facts, in English.

The model sees only the facts of the product and the viewer's market (talking points, price, stock, shipping, the
knowledge base) and the question brought to English, flattened to one line without chat-template markup or "Role:"
turns (a viewer cannot write the host's next turn into the prompt); its one-sentence answer is then checked before
anyone hears it: every number in it must be one of the facts' numbers (a model that invents a price or a delivery
time is refused), its words the facts' words (not the question's: a viewer cannot make the model repeat them), and
the caller moderates it against the market's rules like any other line. The bundled model is a small base LM
(Gemma 3 270M), prompted with a few worked examples; a studio with a bigger model points `language_model` at an
OpenAI-compatible server (llama.cpp, vLLM) instead.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

import httpx

from host_engine.errors import HostEngineError
from host_engine.host.pipeline import LanguageModel
from host_engine.mt.numbers import values
from host_engine.urls import redact, redact_text

log = logging.getLogger(__name__)

MAX_ANSWER_TOKENS = 60
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")
_WORD = re.compile(r"[a-z]+")
_WHOLE = re.compile(r"[^\s:,;][\"'”’)]*[.!?]$")
"""A sentence that ends as one: a word and its full stop, not a colon or a cut-off ("Here are the details:")."""
_STEM = 5
_MARKUP = re.compile(r"<[^<>]{0,40}>|\[/?[a-z_]{1,20}\]|#{2,}", re.IGNORECASE)
"""Chat-template tokens and markup: "<|im_start|>", "<start_of_turn>", "[INST]", "### Response"."""
_TURN = re.compile(r"(?<=[^\W\d_])\s*[:：]")
PLAIN_WORDS = frozenset({
    "yes", "no", "not", "it", "its", "is", "are", "was", "be", "been", "can", "could", "will", "would", "does", "do",
    "did", "has", "have", "had", "a", "an", "the", "and", "or", "but", "so", "to", "of", "in", "on", "for", "with",
    "at", "by", "from", "as", "that", "this", "these", "those", "there", "here", "you", "your", "we", "our", "i",
    "my", "me", "they", "them", "their", "he", "she", "his", "her", "very", "really", "also", "just", "only", "too",
    "all", "any", "some", "more", "most", "much", "many", "good", "great", "nice", "well", "fine", "sure", "s", "t",
    "about", "over", "into", "out", "up"
})  # fmt: skip
"""English words that claim nothing about the product by themselves (a small model's answers are checked for the
rest)."""
INSTRUCTIONS = (
    "{host} is the host of a live shopping stream. She answers a viewer's question in one short, friendly sentence, "
    "using only the facts given. If the facts do not answer it, she says she does not know."
)
EXAMPLES = (
    (
        "Product: travel mug. It keeps coffee hot for six hours. It is made of steel. Price: 15 USD. Stock: 30.",
        "Can I put it in the dishwasher?",
        "The facts I have do not say, sorry.",
    ),
    (
        "Product: desk lamp. It has three brightness levels. The arm bends in any direction. Price: 20 EUR.",
        "Is it good for reading at night?",
        "Yes, you can dim it to the lowest of its three levels and bend the arm right over your book.",
    ),
)


@dataclass(frozen=True)
class Grounding:
    """What the model may use (English), and the question."""

    facts: str
    question: str


def flat(question: str) -> str:
    """`question` as one line that cannot open a turn of its own: newlines, chat-template markup and the colon
    after a word ("Host:", "System:") gone."""
    return " ".join(_TURN.sub(",", _MARKUP.sub(" ", question)).split())


class Model(Protocol):
    def reply(self, grounding: Grounding) -> str:
        """One sentence answering `grounding.question` from `grounding.facts`, in English."""
        ...


class BundledModel:
    """The bundled base LM on CTranslate2, prompted with worked examples; greedy, one line."""

    def __init__(self, model_dir: Path, host: str) -> None:
        from host_engine.mt.llm import line_end_ids, load_generator

        self._generator, self._tokenizer = load_generator(model_dir)
        self._end_ids = line_end_ids(self._tokenizer)
        shots = "".join(f"Facts: {facts}\nViewer: {q}\n{host}: {a}\n\n" for facts, q, a in EXAMPLES)
        self._prefix = self._tokenizer.encode(INSTRUCTIONS.format(host=host) + "\n\n" + shots).tokens
        self.host = host

    def reply(self, grounding: Grounding) -> str:
        prompt = f"Facts: {grounding.facts}\nViewer: {flat(grounding.question)}\n{self.host}:"
        tokens = self._tokenizer.encode(prompt, add_special_tokens=False).tokens
        [result] = self._generator.generate_batch(
            [tokens],
            static_prompt=self._prefix,
            max_length=MAX_ANSWER_TOKENS,
            sampling_topk=1,
            repetition_penalty=1.2,
            no_repeat_ngram_size=3,
            end_token=self._end_ids,
            include_prompt_in_result=False,
        )
        return self._tokenizer.decode(result.sequences_ids[0]).strip()


class ServerModel:
    """A chat model behind an OpenAI-compatible `/v1/chat/completions` (llama.cpp server, vLLM, ...)."""

    def __init__(self, url: str, model: str | None, host: str, timeout: float = 8.0) -> None:
        self._url = url.rstrip("/") + ("" if url.rstrip("/").endswith("/v1") else "/v1") + "/chat/completions"
        self._model = model or "default"
        self._system = INSTRUCTIONS.format(host=host)
        self._client = httpx.Client(timeout=timeout)

    def reply(self, grounding: Grounding) -> str:
        messages = [{"role": "system", "content": self._system}]
        for facts, question, answer in EXAMPLES:
            messages += [{"role": "user", "content": f"Facts: {facts}\nQuestion: {question}"}]
            messages += [{"role": "assistant", "content": answer}]
        question = flat(grounding.question)
        messages.append({"role": "user", "content": f"Facts: {grounding.facts}\nQuestion: {question}"})
        body = {"model": self._model, "messages": messages, "max_tokens": MAX_ANSWER_TOKENS, "temperature": 0}
        try:
            response = self._client.post(self._url, json=body)
            response.raise_for_status()
            return str(response.json()["choices"][0]["message"]["content"]).strip()
        except (httpx.HTTPError, KeyError, IndexError, ValueError) as exc:
            reason = redact_text(str(exc))
            raise HostEngineError(f"the language model at {redact(self._url)} gave no answer: {reason}") from exc


@cache
def load_model(config: LanguageModel, host: str) -> Model | None:
    """The studio's language model, or None where the pipeline turns open answers off (`kind: none`)."""
    if config.kind == "none":
        return None
    if config.kind == "openai":
        assert config.url is not None  # checked when the pipeline loads
        return ServerModel(config.url, config.model, host)
    from host_engine import registry

    return BundledModel(registry.model_path(config.model or "gemma-3-270m") / "ct2", host)


def invented_numbers(text: str, facts: str, lang: str = "en") -> list[str]:
    """The numbers `text` (written in `lang`) states that the English `facts` do not, digits or words alike."""
    known = set(values(facts, "en"))
    return sorted(f"{n:g}" for n in values(text, lang) if n not in known)


def unsupported_words(text: str, facts: str) -> list[str]:
    """The words of an English `text` that the facts do not hold (compared by their first `_STEM` letters, so
    "folds" matches "folded"), leaving out words that claim nothing ("yes", "very", "good"). The question's words
    do not count: a viewer could otherwise have the host repeat anything they write."""
    known = {word[:_STEM] for word in _WORD.findall(facts.lower())}
    return [w for w in _WORD.findall(text.lower()) if w not in PLAIN_WORDS and w[:_STEM] not in known]


def uses_the_facts(text: str, facts: str) -> bool:
    """Whether `text` says something the facts say: one of their words beyond the plain ones."""
    known = {word[:_STEM] for word in _WORD.findall(facts.lower()) if word not in PLAIN_WORDS}
    return any(word[:_STEM] in known for word in _WORD.findall(text.lower()) if word not in PLAIN_WORDS)


def grounded_reply(model: Model, grounding: Grounding, strict: bool = True) -> str | None:
    """The model's first sentence, or None when it is empty, does not end as a sentence (cut off, or ending in a
    colon), or holds a number the facts do not; when `strict`,
    also when it says something the facts do not hold ("yes, it is machine washable"), or
    nothing the facts say ("yes, it does" to "does it come in red?"). Raises HostEngineError when the model gives
    no answer at all (a server down)."""
    text = model.reply(grounding)
    sentence = _SENTENCE_END.split(text.strip(), maxsplit=1)[0].strip()
    invented = invented_numbers(sentence, grounding.facts)
    unsupported = unsupported_words(sentence, grounding.facts) if strict else []
    reason = (
        "empty" if not sentence
        else "not a whole sentence" if not _WHOLE.search(sentence)
        else f"numbers not in the facts: {invented}" if invented
        else f"words not in the facts: {unsupported}" if unsupported
        else "nothing from the facts" if strict and not uses_the_facts(sentence, grounding.facts)
        else None
    )  # fmt: skip
    if reason is not None:
        log.warning("open answer refused (%s): %r", reason, sentence)
        return None
    return sentence
