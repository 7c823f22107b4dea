"""Few-shot translation with a small multilingual decoder LLM (Gemma 3 270M) on CTranslate2.

The model is a base LM, not an instruction model: it is shown a few sentence pairs in the two languages
(`fewshot.yaml`) and continues the pattern for the input sentence. It covers every pair at a quality that
varies a lot by direction (fair into English, weak out of it), so the router picks it on measured scores.
Small LMs loop ("1111...", a phrase over and over): decoding is capped relative to the input length, and an
output that runs away or loops is decoded again with repetition penalties, then dropped (an empty string).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from itertools import permutations
from pathlib import Path
from typing import Any

import yaml

from host_engine.device import choose_device
from host_engine.errors import BadInputError, ModelNotInstalledError, UnsupportedLanguageError
from host_engine.languages import LANGUAGES
from host_engine.mt import Pair

ALL_PAIRS: frozenset[Pair] = frozenset(permutations(LANGUAGES, 2))
_LOOP = re.compile(r"(.{1,24}?)\1{3,}", re.DOTALL)
"""A unit of up to 24 characters repeated four or more times in a row."""
_MIN_LOOP_CHARS = 12
"""Shorter runs ("!!!!", "55555") are ordinary chat text."""


END_OF_TURN = frozenset({"<|im_end|>", "<|endoftext|>", "<end_of_turn>"})


@dataclass(frozen=True)
class LLMOptions:
    """Per-call decoding settings (the defaults were tuned on a live-commerce set of 12 directions)."""

    shots: int = 4
    """How many example pairs from `fewshot.yaml` precede the input (4 and 5 scored best; 1-2 clearly worse)."""
    max_length_ratio: float = 2.0
    """Generated tokens allowed per prompt token of the input, plus `max_extra_tokens`; reaching it is a runaway."""
    max_extra_tokens: int = 8
    retry_repetition_penalty: float = 1.3
    retry_no_repeat_ngram_size: int = 3


class LLMTranslator:
    """`Translator` over a CTranslate2 `Generator` folder holding `model.bin` and `tokenizer.json`.

    `device="auto"` runs on CUDA in float16 when CTranslate2 sees a GPU, else on the CPU in int8. A missing model
    is an error at once; the model itself (2 s on 2 cores) loads on first use, or on `warm()`, so that building the
    router (which every job does to check its languages) costs nothing for a language the LLM does not serve.
    """

    def __init__(
        self,
        model_dir: Path,
        *,
        name: str = "gemma-3-270m",
        device: str = "auto",
        compute_type: str | None = None,
        cpu_threads: int | None = None,
        examples: Path | None = None,
        pairs: frozenset[Pair] = ALL_PAIRS,
    ) -> None:
        self.name = name
        check_model_folder(model_dir)
        self._settings = (model_dir, device, compute_type, cpu_threads)
        self._examples = load_examples(examples)
        self._pairs = pairs
        self._loading = threading.Lock()
        self._loaded: tuple[Any, Any, list[int]] | None = None

    def warm(self) -> None:
        """Load the model now (in a background thread, ahead of the first translation)."""
        self._model()

    def _model(self) -> tuple[Any, Any, list[int]]:
        """The generator, its tokenizer and the token ids that end a line."""
        with self._loading:
            if self._loaded is None:
                generator, tokenizer = load_generator(*self._settings)
                self._loaded = generator, tokenizer, line_end_ids(tokenizer)
            return self._loaded

    @property
    def device(self) -> str:
        return str(self._model()[0].device)

    @property
    def compute_type(self) -> str:
        return str(self._model()[0].compute_type)

    def pairs(self) -> frozenset[Pair]:
        """Every pair, or those its manifest names (a slow model is offered only where it measured better)."""
        return self._pairs

    def translate(self, texts: Sequence[str], src: str, tgt: str, options: LLMOptions | None = None) -> list[str]:
        """One line per input; an empty string for an empty input or an output that kept looping."""
        if (src, tgt) not in self._pairs:
            offered = (
                "any two different languages of " + ", ".join(LANGUAGES)
                if self._pairs == ALL_PAIRS
                else (", ".join(f"{a}->{b}" for a, b in sorted(self._pairs)))
            )
            raise UnsupportedLanguageError(f"{self.name} cannot translate {src}->{tgt}; it covers {offered}")
        options = options or LLMOptions()
        sources = [" ".join(text.split()) for text in texts]
        results = [""] * len(sources)
        todo = [i for i, text in enumerate(sources) if text]
        prefix = self._prefix(src, tgt, options.shots)
        attempts = ((1.0, 0), (options.retry_repetition_penalty, options.retry_no_repeat_ngram_size))
        for repetition_penalty, no_repeat_ngram_size in attempts:
            if not todo:
                break
            outputs = self._generate(
                [sources[i] for i in todo], prefix, src, tgt, options, repetition_penalty, no_repeat_ngram_size
            )
            for i, output in zip(todo, outputs, strict=True):
                results[i] = output or ""
            todo = [i for i, output in zip(todo, outputs, strict=True) if output is None]
        return results

    def _prefix(self, src: str, tgt: str, shots: int) -> list[str]:
        """The examples as tokens, starting with <bos>: a static prompt CTranslate2 caches per pair."""
        source, target = LANGUAGES[src].name, LANGUAGES[tgt].name
        text = "".join(f"{source}: {ex[src]}\n{target}: {ex[tgt]}\n\n" for ex in self._examples[:shots])
        return self._model()[1].encode(text).tokens

    def _generate(
        self,
        sources: list[str],
        prefix: list[str],
        src: str,
        tgt: str,
        options: LLMOptions,
        repetition_penalty: float,
        no_repeat_ngram_size: int,
    ) -> list[str | None]:
        """Translate each source; None where the output ran away or looped."""
        source, target = LANGUAGES[src].name, LANGUAGES[tgt].name
        generator, tokenizer, end_ids = self._model()
        encode = tokenizer.encode
        prompts = [encode(f"{source}: {text}\n{target}:", add_special_tokens=False).tokens for text in sources]
        limits = [int(options.max_length_ratio * len(prompt)) + options.max_extra_tokens for prompt in prompts]
        results = generator.generate_batch(
            prompts,
            static_prompt=prefix,
            max_length=max(limits),
            sampling_topk=1,
            repetition_penalty=repetition_penalty,
            no_repeat_ngram_size=no_repeat_ngram_size,
            end_token=end_ids,
            include_prompt_in_result=False,
        )
        outputs: list[str | None] = []
        for text, limit, result in zip(sources, limits, results, strict=True):
            ids = result.sequences_ids[0]
            output = tokenizer.decode(ids).strip()
            failed = len(ids) >= limit or not output or loops(output, text)
            outputs.append(None if failed else output)
        return outputs


def load_generator(
    model_dir: Path, device: str = "auto", compute_type: str | None = None, cpu_threads: int | None = None
) -> tuple[Any, Any]:
    """A CTranslate2 `Generator` and its `tokenizers.Tokenizer` from a folder holding model.bin and tokenizer.json:
    on CUDA in float16 when CTranslate2 sees a GPU, else on the CPU in int8. Loaded once per process and settings:
    the MT router's routes and the host's open answers share one model (CTranslate2 serializes their calls)."""
    return _generator(Path(model_dir).resolve(), device, compute_type, cpu_threads)


@cache
def _generator(model_dir: Path, device: str, compute_type: str | None, cpu_threads: int | None) -> tuple[Any, Any]:
    import ctranslate2
    import tokenizers

    check_model_folder(model_dir)
    chosen = choose_device(device, compute_type)
    generator = ctranslate2.Generator(
        str(model_dir),
        device=chosen.device,
        compute_type=chosen.compute_type,
        inter_threads=1,
        intra_threads=cpu_threads or chosen.cpu_threads,
    )
    return generator, tokenizers.Tokenizer.from_file(str(model_dir / "tokenizer.json"))


def check_model_folder(model_dir: Path) -> None:
    """A CTranslate2 LLM folder must hold model.bin and tokenizer.json."""
    if not (Path(model_dir) / "model.bin").is_file() or not (Path(model_dir) / "tokenizer.json").is_file():
        raise ModelNotInstalledError(
            f"no CTranslate2 LLM with tokenizer.json at {model_dir}; "
            "install it with `host-engine models install gemma-3-270m`"
        )


def line_end_ids(tokenizer: Any) -> list[int]:
    """Every token holding a newline ends a line of output: Gemma spells it "\n", byte-level BPE vocabularies
    (Qwen) "Ċ"; and a chat model's end-of-turn token ends it too."""
    return sorted(
        i for token, i in tokenizer.get_vocab().items() if "\n" in token or "Ċ" in token or token in END_OF_TURN
    )


def loops(output: str, source: str) -> bool:
    """True when `output` has a repetition run much longer than any in `source` ("ha ha ha" may stay)."""
    return _longest_run(output) > max(_MIN_LOOP_CHARS, 2 * _longest_run(source))


def _longest_run(text: str) -> int:
    return max((match.end() - match.start() for match in _LOOP.finditer(text)), default=0)


def load_examples(path: Path | None = None) -> list[dict[str, str]]:
    """The few-shot sentences (each in every language), from `path` or the packaged `fewshot.yaml`."""
    resource = Path(path) if path else files("host_engine.mt").joinpath("fewshot.yaml")
    examples = yaml.safe_load(resource.read_text(encoding="utf-8"))
    for example in examples:
        missing = set(LANGUAGES) - set(example)
        if missing:
            raise BadInputError(f"few-shot example {example.get('en')!r} lacks {', '.join(sorted(missing))}")
    return examples
