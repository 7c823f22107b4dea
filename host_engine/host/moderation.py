"""Moderation before anything is said: viewers' comments and names in, the host's own lines out.

Everything is read in its folded form (folding.py: look-alike letters, leetspeak and invisible characters read as
the letters they hide). Terms (hostile.yaml's insults, a market's banned words and claims) are then matched word by
word, letters repeated in a row counted once on both sides ("fuuuck" is "fuck"). A run of single letters is read as
one word too ("c.u.r.e", "i-d-i-o-t", "c u r e s"), but letters are never joined across the words a viewer wrote,
so "computadora" and "Can I put a case on it?" hold no "puta". Chinese, Japanese and Thai, written without spaces,
match anywhere once the innocent words that hold an insult are set aside ("バカンス"). A long enough term's accented
letter also matches the letter typed without its accent ("ultima" is "última"), never another accent ("ngủ" is not
"ngu"); an Arabic term also matches behind its proclitics ("الخمر", "بالخمر" for "خمر").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import yaml

from host_engine.host.folding import base_letter, fold, normalize, readable, unconfused, visible
from host_engine.host.pipeline import Rules
from host_engine.text import UNSPACED_SCRIPT, has_unspaced_script

__all__ = [
    "Decision",
    "Verdict",
    "check_comment",
    "check_line",
    "contains_term",
    "contains_words",
    "normalize",
    "speakable_name",
]

MAX_COMMENT_CHARS = 300
MAX_NAME_CHARS = 24
ACCENT_BLIND_LETTERS = 5
"""A term of at least this many letters also matches typed without its accents ("ultima oportunidad"); a shorter
one only as written, as its bare letters often spell a common word ("cút" and "cut", "đĩ" and Malay "di")."""
FLOOD_CHARS = 8
"""A comment of at least this many letters and digits, all among three or fewer, is a flood ("ㅋㅋㅋㅋ", "wkwkwk")."""
TLDS = ("com", "net", "org", "io", "ly", "gg", "co", "me", "tv", "app", "ai", "shop", "store", "site", "online", "xyz",
        "top", "info", "biz", "club", "vip", "live", "link", "click", "cc", "ru", "cn", "vn", "id", "my", "th", "jp",
        "kr", "sa", "ae", "de", "fr", "es", "pt", "br", "uk", "us", "to")  # fmt: skip
"""Domain endings a link in chat ends with ("bit.ly", "evil.com", "t.me")."""
SPOKEN_DOTS = ("dot", "punto", "ponto", "point", "punkt", "titik", "chấm", "cham", "จุด", "نقطه")
"""The word for "dot" in a spelled-out link ("evil dot com", "nasb نقطة com"), between spaces; Chinese, Japanese
and Korean write theirs ("点", "ドット", "닷") with or without."""
_DOT = rf"(?:\.|\s*[\[({{]\s*(?:\.|dot)\s*[\])}}]\s*|\s+(?:{'|'.join(SPOKEN_DOTS)})\s+|\s*(?:点|點|ドット|닷)\s*)"
_LINK = re.compile(rf"https?:|://|www\.|(?<![\w-])(?=[\w-]*[^\W\d_])[\w-]++{_DOT}(?:{'|'.join(TLDS)})\b")
"""A word that holds a letter, then a dot and a domain ending. Possessive, and tried at word starts only: a viewer's
one long word must not cost the event loop seconds of backtracking."""
_REPEATS = re.compile(r"([^\W\d_])\1+")
_WORD = re.compile(r"(?:[^\W\d_]|\*)+|\d+")
_SCRIPT_PART = re.compile(r"[a-z\u00c0-\u024f\u1e00-\u1eff*]+|[^a-z\u00c0-\u024f\u1e00-\u1eff*]+")
"""Latin letters (Vietnamese's included) apart from any other script's: "你是sb吗" holds the word "sb"."""
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_PROCLITICS = "(?:[وفبلك]?ال|[وفبلك])?"
_LETTERS = r"(?:[^\W\d_]|\*)*"
_NEVER = re.compile(r"(?!)")
_UNSPACED_GAP = re.compile(rf"(?<={UNSPACED_SCRIPT.pattern})\s+|\s+(?={UNSPACED_SCRIPT.pattern})")
"""Spaces beside Chinese, Japanese or Thai, which a viewer may add between the characters of a word ("ム シ")."""


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


@cache
def _hostile() -> dict[str, Any]:
    text = resources.files("host_engine.host").joinpath("hostile.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _accent_blind(pattern: str) -> str:
    """A regular expression whose accented Latin letters also match the letter typed without the accent."""
    out: list[str] = []
    in_class = escaped = False
    for ch in pattern:
        bare = base_letter(ch)
        out.append(ch if escaped or bare == ch else ch + bare if in_class else f"[{ch}{bare}]")
        if not escaped and ch in "[]":
            in_class = ch == "["
        escaped = ch == "\\" and not escaped
    return "".join(out)


def _compiled(patterns: list[str]) -> re.Pattern[str]:
    """hostile.yaml's expressions, in NFKC with look-alikes read as comments are (not case folded, which would turn
    `\\W` into `\\w`: they are written in lower case), accent-blind."""
    return re.compile("|".join(f"(?:{_accent_blind(unconfused(unicodedata.normalize('NFKC', p)))})" for p in patterns))


@cache
def _injection() -> re.Pattern[str]:
    table = _hostile()
    spaced = [readable(r) for r in table["roles"] if not has_unspaced_script(r)]
    unspaced = [readable(r) for r in table["roles"] if has_unspaced_script(r)]
    roles = [
        rf"(?<![^\W_])(?:{'|'.join(map(re.escape, spaced))})\s*:",
        rf"(?:{'|'.join(map(re.escape, unspaced))})\s*:",
    ]
    return _compiled([p for patterns in table["injection"].values() for p in patterns] + roles)


@cache
def _spam() -> re.Pattern[str]:
    return _compiled(_hostile()["spam"])


@cache
def _innocent() -> re.Pattern[str]:
    words = sorted((fold(w) for w in _hostile()["innocent"]), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, words)))


@cache
def _insults() -> tuple[str, ...]:
    return tuple(term for terms in _hostile()["insults"].values() for term in terms)


@dataclass(frozen=True)
class _Text:
    """A folded text as terms are looked for in it, letters repeated in a row counted once."""

    words: tuple[str, ...]
    spelled: tuple[str, ...]
    """`words` with each run of two or more single letters joined into one word."""
    runs: tuple[str, ...]
    """Those runs, joined: the words in them are unknown, so a term may start anywhere."""
    squeezed: str
    """Letters, marks and digits only, for the scripts written without spaces."""


def _words(folded: str) -> list[str]:
    return [part for word in _WORD.findall(folded) for part in _SCRIPT_PART.findall(word)]


@lru_cache(maxsize=2048)
def _text(folded: str) -> _Text:
    collapsed = _REPEATS.sub(r"\1", folded)
    words = _words(collapsed)
    spelled: list[str] = []
    runs: list[str] = []
    single: list[str] = []
    for word in [*words, ""]:
        if len(word) == 1 and word.isalpha():
            single.append(word)
            continue
        if len(single) >= 2:
            runs.append(_REPEATS.sub(r"\1", "".join(single)))
            spelled.append(runs[-1])
        else:
            spelled.extend(single)
        single = []
        if word:
            spelled.append(word)
    squeezed = "".join(ch for ch in collapsed if unicodedata.category(ch)[0] in "LMN" or ch == "*")
    return _Text(tuple(words), tuple(spelled), tuple(runs), _REPEATS.sub(r"\1", squeezed))


def _letters(word: str, blind: bool) -> str:
    """A regular expression for `word`'s letters, each also matching "*" and, when `blind`, the letter without its
    accent."""
    return "".join(f"[{re.escape(ch)}{re.escape(base_letter(ch) if blind else ch)}*]" for ch in word)


@dataclass(frozen=True)
class _Term:
    words: tuple[re.Pattern[str], ...] = ()
    """One pattern per word of the term, matched against whole words of a text."""
    together: re.Pattern[str] = _NEVER
    """The term's words written as one word ("lastchance")."""
    inside: re.Pattern[str] = _NEVER
    """The term's letters anywhere (in a run of spelled-out letters)."""
    unspaced: str | None = None
    """The term's letters, where it is written in a script without spaces (matched anywhere)."""

    def found_in(self, text: _Text) -> bool:
        if self.unspaced is not None:
            return self.unspaced in text.squeezed
        count = len(self.words)
        if not count:
            return False
        for words in (text.words, text.spelled):
            for start in range(len(words) - count + 1):
                if all(p.fullmatch(w) for p, w in zip(self.words, words[start : start + count], strict=True)):
                    return True
        if count > 1 and any(self.together.fullmatch(w) for w in text.spelled):
            return True
        return any(self.inside.search(run) for run in text.runs)


@lru_cache(maxsize=4096)
def _term(term: str) -> _Term:
    """`term` as written in hostile.yaml or a market's rules: whole words, `word*` a word's start, `*word*` any
    part of a word; a term ending in Hangul matches a word's start (Korean particles follow: 가격이)."""
    anywhere, start = term.startswith("*") and term.endswith("*"), term.endswith("*")
    folded = _REPEATS.sub(r"\1", fold(term.strip("*")).strip())
    if has_unspaced_script(folded):
        return _Term(unspaced="".join(ch for ch in folded if unicodedata.category(ch)[0] in "LMN"))
    words = _words(folded)
    if not words:
        return _Term()
    blind = sum(map(len, words)) >= ACCENT_BLIND_LETTERS
    hangul_end = "\uac00" <= folded[-1:] <= "\ud7a3" or "\u1100" <= folded[-1:] <= "\u11ff"
    ending = _LETTERS if start or hangul_end else ""
    patterns = [
        (_PROCLITICS if _ARABIC.match(w) and not w.startswith("ال") else "") + _letters(w, blind) for w in words
    ]
    patterns[-1] += ending
    if anywhere:
        patterns[0] = _LETTERS + patterns[0]
    together = "".join(_letters(w, blind) for w in words)
    return _Term(
        tuple(map(re.compile, patterns)),
        re.compile((_LETTERS if anywhere else "") + together + ending),
        re.compile(together),
    )


def contains_term(normalized: str, term: str) -> bool:
    """Whether `term` (a product's name, words asking a price) is in `normalized` (a comment) as moderation reads
    both, its last word with any ending ("thermos bottles", "가격이")."""
    return _term(f"{term}*").found_in(_text(fold(normalized)))


def contains_words(normalized: str, term: str) -> bool:
    """Whether `term` is in `normalized` as whole words, without an ending (a word that asks: Malay "ke" is not the
    "ke" of "kena"); a term ending in Hangul still takes its particles."""
    return _term(term).found_in(_text(fold(normalized)))


def _banned(folded: str, rules: Rules) -> str | None:
    text = _text(folded)
    return next((term for term in (*rules.banned_words, *rules.banned_claims) if _term(term).found_in(text)), None)


def _injected(text: str) -> bool:
    forms = {readable(text), fold(text)}
    forms |= {_UNSPACED_GAP.sub("", form) for form in forms}
    return any(_injection().search(form) for form in forms)


def _hostile_line(text: str, rules: Rules) -> Decision:
    """What no one may say or hear: links, injections, insults and the market's banned terms."""
    folded = fold(text)
    if _LINK.search(readable(text)) or _LINK.search(folded):
        return Decision(Verdict.spam, "link")
    if _injected(text):
        return Decision(Verdict.injection, "prompt injection")
    clean = _text(_innocent().sub(" ", folded))
    if any(_term(term).found_in(clean) for term in _insults()):
        return Decision(Verdict.abuse, "insult")
    banned = _banned(folded, rules)
    return Decision(Verdict.banned, f"banned term '{banned}'") if banned else Decision(Verdict.ok)


def check_comment(text: str, rules: Rules) -> Decision:
    """Whether a viewer's comment may be answered; the comment's own words are never spoken either way."""
    plain = readable(text)
    letters = [ch for ch in plain if ch.isalnum()]
    if not letters:
        return Decision(Verdict.spam, "empty")
    if len(plain) > MAX_COMMENT_CHARS:
        return Decision(Verdict.spam, "too long")
    if len(letters) >= FLOOD_CHARS and len(set(letters)) <= 3:
        return Decision(Verdict.spam, "repeated characters")
    if _spam().search(plain):
        return Decision(Verdict.spam, "contact details")
    return _hostile_line(text, rules)


def check_line(text: str, rules: Rules) -> Decision:
    """Whether the host may say `text` (an answer, a translated talking point) in a market with `rules`."""
    return _hostile_line(text, rules)


_HANDLE_NUMBER = re.compile(r"[\d_ ]+$")
"""The digits, underscores and spaces a handle ends in ("lucy_88", "ana 2024")."""


def speakable_name(name: str, rules: Rules) -> str:
    """`name` as the host may say and caption it: its letters, digits and underscores (anything else a space), at
    most `MAX_NAME_CHARS` characters, without the number a handle ends in ("lucy_88" is "lucy", as a host says it;
    a second longer on air otherwise); "" when it, or what is left of it, fails moderation like a comment, or holds
    no letter or digit."""
    kept = "".join(ch if ch == "_" or unicodedata.category(ch)[0] in "LMN" else " " for ch in visible(name))
    cut = " ".join(kept.split())[:MAX_NAME_CHARS].strip()
    bare = _HANDLE_NUMBER.sub("", cut)
    if any(ch.isalpha() for ch in bare) and not any(ch.isdigit() for ch in bare):  # "R2D2" stays
        cut = bare
    if not any(ch.isalnum() for ch in cut):
        return ""
    return cut if check_comment(name, rules).allowed and check_comment(cut, rules).allowed else ""
