"""Moderation before anything is said: chat comments in, the host's own lines out.

Text is compared in a normalized form (NFKC, case-folded, zero-width and bidi control characters removed, runs of
one letter squeezed) and once more with everything but letters and digits removed, so "c.u.r.e" and
"ＣＵＲＥ" still match "cure". Spaced scripts match whole words; Chinese, Japanese and Thai match substrings.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from host_engine.host.pipeline import Rules
from host_engine.text import has_unspaced_script

MAX_COMMENT_CHARS = 300
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u00ad]")
_REPEATS = re.compile(r"(\w)\1{3,}")
_LINK = re.compile(r"(https?://|www\.|\b[\w-]+\.(com|net|org|io|ly|shop|xyz|top)\b)", re.IGNORECASE)

INJECTION = [
    r"ignore (all |any |the )?(previous|prior|above|earlier|your) (instructions|prompts?|rules)",
    r"disregard (all |the )?(previous|prior|above|your) (instructions|rules)",
    r"(system|developer) prompt",
    r"you are now",
    r"\bact as\b",
    r"pretend (to be|you are)",
    r"repeat after me",
    r"say (exactly|the following|this|after me)",
    r"new instructions",
    r"jailbreak",
    r"\bDAN\b",
    r"<\|?(im_start|system|endoftext)",
    r"ignora (las|todas las) instrucciones",
    r"ignore (as|todas as) instru[cç][õo]es",
    r"ignorez (les|toutes les) instructions",
    r"ignoriere (alle|die) (vorherigen )?anweisungen",
    r"abaikan (semua )?instruksi",
    r"前の指示を無視",
    r"指示を無視",
    r"忽略(之前|以上|所有)?的?(指令|指示)",
    r"이전 지시를 무시",
    r"تجاهل (جميع |كل )?التعليمات",
    r"bỏ qua (tất cả )?(các )?hướng dẫn",
    r"เพิกเฉยคำสั่ง",
]
_INJECTION = re.compile("|".join(f"(?:{p})" for p in INJECTION), re.IGNORECASE)

ABUSE = ("idiot", "stupid", "moron", "shut up", "fuck", "bitch", "bastard", "puta", "pendejo", "idiota", "merde",
         "connard", "scheiße", "arschloch", "bodoh", "anjing", "goblok", "babi", "バカ", "死ね", "傻逼", "笨蛋",
         "씨발", "병신", "غبي", "كلب", "đồ ngu", "ควาย")  # fmt: skip
"""Insults dropped in every market, whatever the studio lists."""


class Verdict(StrEnum):
    ok = "ok"
    spam = "spam"
    abuse = "abuse"
    injection = "injection"
    banned = "banned"


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason: str = ""

    @property
    def allowed(self) -> bool:
        return self.verdict is Verdict.ok


_HANGUL = re.compile(r"[\uac00-\ud7a3]")


def normalize(text: str) -> str:
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).casefold()
    return re.sub(r"\s+", " ", text).strip()


def _squeezed(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


def contains_term(normalized: str, term: str) -> bool:
    """Whole-word (spaced scripts; in Korean, at a word's start, as particles follow: 가격 in 가격이) or substring
    (unspaced scripts, or the term with punctuation stripped)."""
    term = normalize(term)
    if not term:
        return False
    if has_unspaced_script(term):
        return term in normalized or _squeezed(term) in _squeezed(normalized)
    end = "" if _HANGUL.search(term[-1]) else r"(?!\w)"
    if re.search(rf"(?<!\w){re.escape(term)}{end}", normalized):
        return True
    squeezed_term = _squeezed(term)
    return len(squeezed_term) >= 4 and squeezed_term in _squeezed(normalized)


def find_banned(text: str, rules: Rules) -> str | None:
    """The first banned word or claim in `text`, if any."""
    normalized = normalize(text)
    return next((term for term in (*rules.banned_words, *rules.banned_claims) if contains_term(normalized, term)), None)


def check_comment(text: str, rules: Rules) -> Decision:
    """Whether a viewer's comment may be answered; the comment's own words are never spoken either way."""
    normalized = normalize(text)
    if not normalized or not any(ch.isalnum() for ch in normalized):
        return Decision(Verdict.spam, "empty")
    if len(normalized) > MAX_COMMENT_CHARS:
        return Decision(Verdict.spam, "too long")
    if _LINK.search(normalized):
        return Decision(Verdict.spam, "link")
    if _REPEATS.search(normalized) and len(set(_squeezed(normalized))) <= 3:
        return Decision(Verdict.spam, "repeated characters")
    if _INJECTION.search(normalized):
        return Decision(Verdict.injection, "prompt injection")
    abuse = next((word for word in ABUSE if contains_term(normalized, word)), None)
    if abuse:
        return Decision(Verdict.abuse, "insult")
    banned = find_banned(text, rules)
    if banned:
        return Decision(Verdict.banned, f"banned term '{banned}'")
    return Decision(Verdict.ok)


def check_line(text: str, rules: Rules) -> Decision:
    """Whether the host may say `text` (an answer, a translated talking point) in a market with `rules`."""
    banned = find_banned(text, rules)
    return Decision(Verdict.banned, f"banned term '{banned}'") if banned else Decision(Verdict.ok)
