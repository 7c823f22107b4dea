"""The forms chat text is compared in: `normalize` to match questions and product names, `fold` to moderate.

`fold` reads a comment as a person reads it, whatever was done to slip it past a word list:
- NFKC: "ＣＵＲＥ", "𝐢𝐝𝐢𝐨𝐭", halfwidth "ﾊﾞｶ" and Arabic presentation forms become plain letters;
- every default-ignorable, format, control, private-use and unassigned code point removed (ICU's Unicode
  properties: zero-width spaces and joiners, soft hyphens, bidi controls, variation selectors, Hangul fillers), and
  the Arabic tatweel that stretches a word ("غـــبـــي");
- case folded;
- a letter none of the 13 languages writes (Cyrillic "о", Greek "ο", Armenian "ս", Latin "ı") replaced by the ASCII
  letter its Unicode TR39 skeleton names (ICU's SpoofChecker), so "idiоt" with a Cyrillic о is "idiot". The
  languages' own scripts (Latin, Arabic, Thai, Hangul, Han, kana) are left alone: TR39 maps Arabic "ه" to "o";
- marks NFC cannot compose onto a Latin letter ("zalgo") and Arabic vowel marks dropped; Arabic letter variants
  that viewers type interchangeably unified (أ إ آ ٱ to ا, ى to ي, ة to ه);
- leetspeak read in Latin words ("1d10t", "w1ne", "$tupid", "b!tch"; in "f*ck" the "*" stays, to match any one
  letter), leaving numbers, sizes and model names alone ("49", "2XL", "750ml", "mp3", "lucy88").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import icu

_REMOVED = icu.UnicodeSet(r"[[[:Default_Ignorable_Code_Point:][:Cc:][:Cf:][:Co:][:Cs:][:Cn:][\u0640]]-[:White_Space:]]")
_REMOVE = re.compile("[" + "".join(f"{re.escape(a)}-{re.escape(b)}" for a, b in _REMOVED.ranges()) + "]")
_OWN_SCRIPTS = frozenset(
    {icu.UScriptCode.ARABIC, icu.UScriptCode.THAI, icu.UScriptCode.HANGUL, icu.UScriptCode.HAN,
     icu.UScriptCode.HIRAGANA, icu.UScriptCode.KATAKANA}
)  # fmt: skip
"""Scripts the 13 languages write besides Latin; Latin letters beyond ASCII are judged one by one."""
_ARABIC_VARIANTS = str.maketrans("أإآٱىة", "اااايه")
_LEET = str.maketrans("0134578@$!|€", "oieastbasiie")
_LATIN_WORD = re.compile(r"[a-z0-9@$!|€*]+")
_MEASURE = re.compile(r"(?:[1-9]\d*(?:[.,]\d+)?|0[.,]\d+)[a-z]{1,4}")
"""A number and its unit: "750ml", "2xl", "12h", "0.5l"."""
_MODEL = re.compile(r"[a-z]{1,3}\d*[1-9]\d*|[a-z]+\d*[1-9]\d*\d")
"""Letters and then digits, not all zeros: a model or a handle ("mp3", "ps5", "iphone15", "lucy88"), where "ch0"
and "encul3" are leet."""
_LEET_SYMBOL = re.compile(r"[@$!|€](?=[a-z0-9])|(?<=[a-z0-9])[@$€]")
"""A symbol standing for a letter: before one ("$tupid", "b!tch", "|diot"), or, where no sentence would put it,
after one ("m13rd@")."""
_STARS = re.compile(r"\*+")
_SPACE = re.compile(r"\s+")
_SKELETONS = icu.SpoofChecker()


def visible(text: str) -> str:
    """`text` in NFKC without the characters that show nothing (zero-width, format, control, private use) and the
    Arabic tatweel."""
    return _REMOVE.sub("", unicodedata.normalize("NFKC", text))


def normalize(text: str) -> str:
    """`visible(text)`, case folded, one space between words."""
    return _SPACE.sub(" ", visible(text).casefold()).strip()


@lru_cache(maxsize=4096)
def _letter(ch: str) -> str:
    """`ch` as read: the ASCII letter of its TR39 skeleton when it is a look-alike from a script none of the 13
    languages writes (or a Latin letter none of them uses), else `ch` itself."""
    if ch.isascii() or icu.Script.getScript(ord(ch)).getScriptCode() in _OWN_SCRIPTS:
        return ch
    skeleton = _SKELETONS.getSkeleton(0, ch).casefold()
    return skeleton if skeleton.isascii() and skeleton.isalnum() else ch


@lru_cache(maxsize=4096)
def base_letter(ch: str) -> str:
    """A Latin letter without its accents ("ú" -> "u", "đ" -> "d"); `ch` itself for any other character."""
    if ch.isascii() or not ch.isalpha() or icu.Script.getScript(ord(ch)).getScriptCode() != icu.UScriptCode.LATIN:
        return ch
    for form in (unicodedata.normalize("NFD", ch), _SKELETONS.getSkeleton(0, ch)):
        bare = "".join(c for c in form if not unicodedata.combining(c))
        if len(bare) == 1 and bare.isascii():
            return bare
    return ch


def _undecorated(text: str) -> str:
    """`text` (NFC) without marks on Latin or Arabic letters that NFC did not compose."""
    kept: list[str] = []
    for ch in text:
        decorating = kept and ((kept[-1].isascii() and kept[-1].isalpha()) or "\u0600" <= kept[-1] <= "\u06ff")
        if decorating and unicodedata.category(ch) in ("Mn", "Me"):
            continue
        kept.append(ch)
    return "".join(kept).translate(_ARABIC_VARIANTS)


def _unleet(match: re.Match[str]) -> str:
    word = match.group()
    if not any(c.isalpha() for c in word) or _MEASURE.fullmatch(word) or _MODEL.fullmatch(word):
        return _STARS.sub(" ", word) if "*" in word else word
    word = _LEET_SYMBOL.sub(lambda m: m.group().translate(_LEET), word)
    word = "".join(c.translate(_LEET) if c.isdigit() else c for c in word)
    return _STARS.sub(lambda m: m.group() if _between_letters(word, m) else " ", word)


def _between_letters(word: str, match: re.Match[str]) -> bool:
    start, end = match.span()
    return start > 0 and end < len(word) and word[start - 1].isalpha() and word[end].isalpha()


def unconfused(text: str) -> str:
    """`text` with look-alike letters read as the Latin letters they imitate and decorations dropped."""
    return _undecorated(unicodedata.normalize("NFC", "".join(_letter(ch) for ch in text)))


@lru_cache(maxsize=2048)
def readable(text: str) -> str:
    """`unconfused(normalize(text))`: no leetspeak yet, so "<|im_start|>" stays as written."""
    return unconfused(normalize(text))


@lru_cache(maxsize=2048)
def fold(text: str) -> str:
    """`readable(text)` with leetspeak read as letters in its Latin words."""
    return _LATIN_WORD.sub(_unleet, readable(text))
