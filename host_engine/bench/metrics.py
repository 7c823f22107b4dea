"""Benchmark metrics that are right for every language in the table.

ASR and TTS intelligibility are scored with WER where words are space-delimited and CER where they are not
(Korean gets both: its spacing is loosely followed in practice), on text passed through `normalize`. MT is scored
with chrF2 and BLEU on raw text, BLEU with a tokenizer that splits CJK and Thai, since the default '13a'
tokenizer sees an unspaced sentence as one word and scores it near 0.
"""

from __future__ import annotations

import os
import re
import resource
import sys
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from functools import cache

import jiwer
import numpy as np
from sacrebleu.metrics import BLEU, CHRF

from host_engine.errors import HostEngineError
from host_engine.languages import get_language

_NO_BREAK_GROUPS = re.compile(r"(?<=\d)[\u00a0\u2009\u202f](?=\d{3}(?!\d))")
"""French and German typography group thousands with (narrow) no-break spaces, which NFKC makes plain spaces."""
_NUMBER = re.compile(r"(\d+(?:[.,'’٫٬]\d+)*)")
_SEPARATOR = re.compile(r"[.,'’٫٬](?=(\d+))")
_DROPPED = frozenset("'’ـ\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0670")
"""Apostrophes (so "don't" stays one word) and Arabic tatweel and harakat, which writers add or leave out."""


def normalize(text: str, lang: str) -> str:
    """Text as it is compared for WER/CER: NFKC, casefolded, without punctuation or symbols, numbers canonical.

    Numbers: every decimal digit becomes an ASCII digit. Inside a number, a separator (. , ' ’ or Arabic ٫ ٬)
    followed by exactly three digits groups thousands and is dropped; any other separator is a decimal point and
    becomes '.'. So '1,000', '1.000', "1'000" and '1 000' (no-break space) are all '1000', and '3,5' and '3.5'
    are both '3.5'. The price of one rule for all languages: an English '1.500' (one and a half) reads as 1500,
    the same way in reference and hypothesis.
    """
    text = unicodedata.normalize("NFKC", _NO_BREAK_GROUPS.sub("", text)).casefold()
    parts = _NUMBER.split(text)  # odd indices hold numbers
    text = "".join(_number(part) if i % 2 else _drop_punctuation(part) for i, part in enumerate(parts))
    return (" " if get_language(lang).spaced else "").join(text.split())


def _number(token: str) -> str:
    digits = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in token)
    return _SEPARATOR.sub(lambda m: "" if len(m[1]) == 3 else ".", digits)


def _drop_punctuation(text: str) -> str:
    return "".join("" if c in _DROPPED else " " if unicodedata.category(c)[0] in "PS" else c for c in text)


def error_rates(references: Sequence[str], hypotheses: Sequence[str], lang: str) -> dict[str, float]:
    """Corpus WER and/or CER after `normalize`: {'wer'} for spaced languages, {'cer'} for zh/ja/th, both for ko.

    CER ignores spaces. An empty hypothesis counts as deleting its whole reference.
    """
    refs = [normalize(text, lang) for text in references]
    hyps = [normalize(text, lang) for text in hypotheses]
    if not any(refs):
        raise ValueError("every reference is empty after normalization; nothing to score against")
    language = get_language(lang)
    rates: dict[str, float] = {}
    if language.spaced:
        rates["wer"] = float(jiwer.wer(refs, hyps))
    if language.error_unit == "char" or language.code == "ko":
        rates["cer"] = float(jiwer.cer(_unspaced(refs), _unspaced(hyps)))
    return rates


def _unspaced(texts: list[str]) -> list[str]:
    return [text.replace(" ", "") for text in texts]


def chrf(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Corpus chrF2 (character 6-grams, whitespace ignored, so it needs no tokenizer for any script)."""
    return float(CHRF().corpus_score(list(hypotheses), [list(references)]).score)


def bleu(hypotheses: Sequence[str], references: Sequence[str], lang: str) -> float:
    """Corpus BLEU against one reference per hypothesis, tokenized for the target language (`bleu_tokenizer`)."""
    return float(_bleu(get_language(lang).code).corpus_score(list(hypotheses), [list(references)]).score)


_OPTIONAL_TOKENIZERS = {"ja": "ja-mecab", "ko": "ko-mecab", "th": "flores200"}
"""Used when installed: ja/ko-mecab need `pip install sacrebleu[ja]` / `sacrebleu[ko]`, flores200 a SentencePiece
model in the sacrebleu cache (~/.sacrebleu/models), which this offline worker never downloads."""
_BUILTIN_TOKENIZERS = {"zh": "zh", "ja": "char", "ko": "char", "th": "char"}
"""Always available; languages not listed use '13a'."""
_CACHED_MODELS = {"flores200": "flores200sacrebleuspm"}


def bleu_tokenizer(lang: str) -> str:
    """Signature of the sacrebleu tokenizer `bleu` uses for `lang` ('zh', 'char', 'ja-mecab-<version>-IPA', ...).

    BLEU scores are only comparable when it is the same, so results should record it.
    """
    return _bleu(get_language(lang).code).tokenizer.signature()


@cache
def _bleu(code: str) -> BLEU:
    optional = _OPTIONAL_TOKENIZERS.get(code)
    if optional is not None and _model_cached(optional):
        try:
            return BLEU(tokenize=optional)
        except (ImportError, RuntimeError, AssertionError):  # mecab or its dictionary missing or wrong
            pass
    return BLEU(tokenize=_BUILTIN_TOKENIZERS.get(code, "13a"))


def _model_cached(tokenizer: str) -> bool:
    from sacrebleu.utils import SACREBLEU_DIR

    filename = _CACHED_MODELS.get(tokenizer)
    return filename is None or os.path.exists(os.path.join(SACREBLEU_DIR, "models", filename))


_CHECK_SENTENCES: dict[str, str] = {
    "en": "Good evening, friends! Thank you so much for joining us tonight.",
    "zh": "朋友们晚上好！非常感谢大家今晚来到我们的直播间。",
    "ja": "皆さん、こんばんは！今夜はご参加いただき、本当にありがとうございます。",
    "ko": "여러분, 좋은 저녁이에요! 오늘 밤 함께해 주셔서 정말 감사합니다.",
    "es": "¡Buenas noches, amigos! Muchísimas gracias por acompañarnos esta noche.",
    "pt": "Boa noite, pessoal! Muito obrigada por estarem com a gente hoje à noite.",
    "fr": "Bonsoir les amis ! Merci beaucoup d'être avec nous ce soir.",
    "de": "Guten Abend, ihr Lieben! Vielen Dank, dass ihr heute Abend dabei seid.",
    "ar": "مساء الخير يا أصدقاء! شكرًا جزيلًا لانضمامكم إلينا الليلة.",
    "id": "Selamat malam, teman-teman! Terima kasih banyak sudah bergabung dengan kami malam ini.",
    "ms": "Selamat malam, kawan-kawan! Terima kasih banyak kerana menyertai kami malam ini.",
    "th": "สวัสดีค่ะเพื่อนๆ ทุกคน ขอบคุณมากๆ ที่มาอยู่กับเราคืนนี้นะคะ",
    "vi": "Chào buổi tối các bạn! Cảm ơn mọi người rất nhiều vì đã tham gia cùng chúng mình tối nay.",
}
"""Item c002 of benchmarks/text/commerce.yaml: a known-good sentence per language for `check_scorer`."""


def check_scorer(lang: str) -> dict[str, float]:
    """Fail loudly unless BLEU and chrF give ~100 for a sentence against itself and > 20 for a near copy;
    returns the near-copy scores.

    Guards against a tokenizer that cannot split the script, which makes every score near 0 without an error.
    """
    language = get_language(lang)
    reference = _CHECK_SENTENCES[language.code]
    units = reference.split() if language.spaced else list(reference)
    middle = len(units) // 2
    near_copy = (" " if language.spaced else "").join(units[:middle] + units[middle + 1 :])
    scorers: dict[str, Callable[[str], float]] = {
        "BLEU": lambda hypothesis: bleu([hypothesis], [reference], language.code),
        "chrF": lambda hypothesis: chrf([hypothesis], [reference]),
    }
    near_scores = {}
    for metric, score in scorers.items():
        identical, near = score(reference), score(near_copy)
        near_scores[metric] = near
        if identical < 99.9 or near <= 20:
            raise HostEngineError(
                f"{metric} for {language.code} is broken (BLEU tokenizer '{bleu_tokenizer(language.code)}'): "
                f"{identical:.1f} for identical text and {near:.1f} for a copy missing one {language.error_unit}, "
                "expected ~100 and > 20; reinstall sacrebleu (pip install 'sacrebleu>=2.4')"
            )
    return near_scores


def percentiles(values: Iterable[float], qs: Sequence[float] = (50, 95)) -> dict[str, float]:
    """{'p50': ..., 'p95': ...} with numpy's default linear interpolation."""
    data = np.asarray(list(values), dtype=float)
    if data.size == 0:
        raise ValueError("no values to take percentiles of")
    return {f"p{q:g}": float(np.percentile(data, q)) for q in qs}


def real_time_factor(seconds: float, audio_seconds: float) -> float:
    """Processing time per second of audio: below 1 is faster than real time."""
    if audio_seconds <= 0:
        raise ValueError(f"audio duration must be positive, got {audio_seconds}")
    return seconds / audio_seconds


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB on Linux
