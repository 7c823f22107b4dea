"""Read the numbers a sentence states, in any language of `host_engine.languages.LANGUAGES`.

A translation guard compares the numbers of a source line with those of its machine translation: a price that
changes on the way is worse than no translation. Reading therefore leans towards catching numbers, but skips the
common words that merely contain a numeral ("一起", "한국", "ห้าง", "năm nay"). A false number makes the guard refuse
a good translation (costly, safe); a missed one lets a wrong fact through (dangerous).

Digits (ASCII, full-width, Arabic-Indic, Thai): a run such as "1.299,99" is read by the language's convention, a
decimal comma in es pt fr de id vi and a decimal point elsewhere. A run that does not fit is read by the other
convention (de "15.99" is 15.99), in the decimal-point languages only when it holds both marks ("1.299,99"); failing
both, each digit group is a number of its own ("12.05.2024" is 12, 5, 2024; en "1,5" is 1 and 5). After a
thousands mark the group must have exactly three digits. French also groups with plain spaces, every language with
no-break and thin spaces. "10k" is 10000 (id/ms also "150rb", "2jt"). Signs are not read; ranges, "24/7", dates and
times are separate numbers in every language: "20:00" is 20 and 0.

Words: cardinals combined the usual way ("one hundred and twenty", "三千五百万", "dua ratus lima puluh ribu") and with
digits ("1万", "2.5 juta", "3만 원"). Numerals that cannot form one number are several ("three or four", "三四个").
Ordinals are not read, nor numerals after "第", "星期", "thứ". Words for one are read (value 1, `words=True`);
`values` leaves them out by default. The ambiguous words:

- en "a"/"an" count only before hundred/thousand/million/billion/dozen.
- fr "neuf" is 9 after another numeral ("dix-neuf"), before a content word ("neuf euros", "neuf heures") or a
  currency sign; it is "new" after tout/état/comme/flambant/quoi/rien/remis… and before punctuation or a function
  word ("un sac neuf, jamais porté"). "ils sont neuf." is missed.
- vi "năm" is 5 only before another numeral word or a counter noun ("năm mươi", "năm cái") or after lẻ/linh, else it
  is "year" ("năm nay", "hai mươi năm" = 20 years: 25 is "hai mươi lăm"); "chín" (also "ripe") likewise, or after a
  numeral word. "lăm", "mốt", "tư" count only after mươi/mười; "ba" not before lô/mẹ/má/ơi (ba lô = backpack).
- zh/ja: words holding a numeral are skipped (一起, 一定, 统一, 唯一, 万一, 一緒, 一番, 十分 but not 十分钟, 千万别,
  百分之, 三星…). A lone 百/千/万/亿 counts only after digits ("3千"), 百/千 also before a counter ("千円"); 零/〇 only
  inside a numeral (零食 is a snack); 千克/千米 are kilo-units. A run of bare digit characters is one number digit by
  digit when it holds 〇/零 or comes before 年 ("二〇二四年"), else separate numbers ("三四个" = 3, 4). zh shortens
  "两千五" = 2500, "三万五" = 35000; ja reads "三万五" = 30005. "三十九块九" is 39 and 9 (not 39.9).
- ko: a numeral starts a word. Sino-Korean runs ("삼십", "오만") count when they hold a multiplier and what follows
  in the word is nothing, a particle or a counter ("오만한" is not a number). A single syllable, and the runs in
  `_KO_AMBIGUOUS` ("이만", "사천"), count only before a counter ("오 분", "만 원", "만원", "삼층"; not "오일", "구원",
  "구분"); 일 and 이 alone never. A run ending in 이 reads it as the subject particle unless a counter follows
  ("삼십이" = 30, "삼십이 개" = 32); "삼십일" is 31 (not "30 days"). Native numerals: 하나/둘/셋/넷/다섯… stand alone,
  the bound forms 한/두/세/네 (and 열, 스무, 쉰) only before a counter ("세 가지", "두 개", "열 개"; not "한국", "세일",
  "네" = yes); a native numeral does not join the next word ("열 두 개" is 2: the spelling is "열두 개").
- th has no spaces: numeral runs are found inside text ("ภายในสามสิบวัน"), not inside other words: a numeral may not be
  followed by a vowel or tone mark (กระแสน้ำ), and a few words are excluded by name (ห้าง, ห้าม, สามารถ, สามี,
  เก้าอี้, พันธุ์, ผ้าพันคอ, ยี่ห้อ, ร้อยละ, แสนดี…). "สี" (colour) is not "สี่". Shortened "สองพันห้า" = 2500 (from พัน
  up; "ร้อยห้า" = 105).
- ar: clitics و/ب/ل/ف/ك/ال are stripped ("وعشرون", "بخمسين"); units go before tens ("خمسة وعشرون" = 25), as in German
  compounds ("neunundvierzig"). "ست" (also "lady") and "تسع" (also "holds") are read as numbers.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from host_engine.languages import get_language


@dataclass(frozen=True)
class Number:
    value: float
    start: int
    end: int
    """The span `text[start:end]`."""
    words: bool
    """Written wholly or partly in words ("thirty", "三十", "1万", "10k")."""


def read_numbers(text: str, lang: str) -> list[Number]:
    """Every number the text states, in reading order."""
    code = get_language(lang).code
    spec = _SPECS[code]
    norm, where = _normalize(text, code)
    tokens = sorted(_digit_tokens(norm, spec) + spec.reader(norm), key=lambda t: t.start)
    numbers = []
    for start, end, value, words in _combine(tokens, norm, code):
        if where is not None:
            start, end = where[start], where[end - 1] + 1
        numbers.append(Number(float(Decimal(value)), start, end, words))
    return numbers


def values(text: str, lang: str, *, ignore_word_one: bool = True) -> Counter[float]:
    """The multiset of values `read_numbers` finds; a word for one ("a", "un", "一", "한") is left out unless
    `ignore_word_one` is False, as those are articles or idioms far more often than quantities ("1" always counts)."""
    return Counter(n.value for n in read_numbers(text, lang) if not (ignore_word_one and n.words and n.value == 1))


# Tokens: one numeral word, multiplier, connector or digit run; `_combine` joins them into numbers.
_FIX, _NUM, _UNIT, _MULT, _BIG, _BIG1, _CONN, _SKIP = range(8)
"""_FIX: stands alone ("zero", "10k"). _NUM: digits. _UNIT: a value added ("twenty"). _MULT: multiplies the unit
before it ("hundred", "十", "ratus"). _BIG: multiplies everything since the last _BIG ("thousand", "万"). _BIG1: a _BIG
with its count built in ("seribu" = 1000, "ألفين" = 2000). _CONN: joins ("and", "y", "零", "lẻ"). _SKIP: a lexicon
phrase that is no number ("por ciento")."""

_Value = int | Decimal
_INF = float("inf")


class _Tok(NamedTuple):
    start: int
    end: int
    kind: int
    value: _Value
    order: _Value = 0
    """_BIG1: the multiplier it stands for, which must decrease along a number."""
    words: bool = True


_Span = tuple[int, int, _Value, bool]


def _place(x: _Value) -> _Value | float:
    """The lowest decimal place `x` uses (120 -> 10, 100 -> 100, 1.5 -> 0, 0 -> inf): a unit can be added below it."""
    if not x:
        return _INF
    if isinstance(x, Decimal):
        if x != x.to_integral_value():
            return 0
        x = int(x)
    place = 1
    while x % (place * 10) == 0:
        place *= 10
    return place


_TENS = frozenset(range(20, 100, 10))
_UNITS_FIRST = frozenset({"de", "ar"})
"""Languages that say the unit before the tens: "neunundvierzig", "خمسة وعشرون"."""
_UNSPACED = frozenset({"zh", "ja", "th"})
_SHORTENED = {"zh": 100, "th": 1000}
"""A final digit after a multiplier from this size up is the next place down: "两千五" = 2500, "สองพันห้า" = 2500."""


def _combine(tokens: list[_Tok], norm: str, lang: str) -> list[_Span]:
    spans = []
    i = 0
    while i < len(tokens):
        if tokens[i].kind == _CONN:
            i += 1
            continue
        span, i = _read_one(tokens, i, norm, lang)
        spans.append(span)
    return spans


def _read_one(tokens: list[_Tok], i: int, norm: str, lang: str) -> tuple[_Span, int]:
    """The number that starts at tokens[i], and the index of the first token after it."""
    if tokens[i].kind == _FIX:
        return _span(tokens, i, i + 1, tokens[i].value), i + 1
    total: _Value = 0
    current: _Value = 0  # below the last _BIG
    last_big: _Value | float = _INF
    pending: _Value | None = None  # the last unit added, which a _MULT may still multiply
    pending_at = -1
    last = -1  # kind of the last token taken
    after_big = -1  # index just past the last _BIG
    conn = False
    j = end = i
    while j < len(tokens):
        t = tokens[j]
        if j > i and not _adjacent(norm, lang, tokens[j - 1], t):
            break
        kind, v = t.kind, t.value
        if kind == _CONN:
            if conn or last < 0:
                break
            conn = True
            j += 1
            continue
        if kind in (_UNIT, _NUM):
            if last >= 0:
                if kind == _NUM:
                    ok = last in (_MULT, _BIG, _BIG1) and v < _place(current) and current + v < last_big
                else:
                    ok = last != _NUM and v < _place(current) and current + v < last_big
                if not ok:
                    if not (
                        lang in _UNITS_FIRST
                        and last == _UNIT
                        and pending is not None
                        and pending < 10
                        and v in _TENS
                        and (current - pending) % 100 == 0
                    ):
                        break
                    current += v
                    pending = None
                    last, conn, j = _UNIT, False, j + 1
                    end = j
                    continue
            current += v
            pending, pending_at = v, j
        elif kind == _MULT:
            if pending is not None and last in (_UNIT, _NUM) and not (last == _NUM and lang == "fr"):
                base = current - pending
                if pending < v and pending * v < _place(base):
                    current = base + pending * v
                elif pending_at > i:  # "五百三千": the multiplier takes the last unit into a number of its own
                    return _span(tokens, i, pending_at, total + base), pending_at
                else:
                    break
            elif v < _place(current) and current + v < last_big:
                current += v
            else:
                break
            pending = None
        elif kind == _BIG:
            if not v < last_big:
                if after_big > 0 and current:  # "one thousand two thousand": the second starts a number
                    return _span(tokens, i, after_big, total), after_big
                break
            total += (current or 1) * v
            current, pending, last_big, after_big = 0, None, v, j + 1
        else:  # _BIG1
            if current or not t.order < last_big:
                break
            total += v
            pending, last_big, after_big = None, t.order, j + 1
        last, conn, j = kind, False, j + 1
        end = j
    value = total + current
    shortened = _SHORTENED.get(lang)
    if shortened and end - i >= 2:
        unit, before = tokens[end - 1], tokens[end - 2]
        if (
            unit.kind in (_UNIT, _NUM)
            and unit.value < 10
            and unit.value == int(unit.value)
            and before.kind in (_MULT, _BIG)
            and before.value >= shortened
            and before.end == unit.start
        ):
            value += unit.value * (before.value // 10 - 1)
    return _span(tokens, i, end, value), end


def _adjacent(norm: str, lang: str, a: _Tok, b: _Tok) -> bool:
    """Whether `b` may continue a number that `a` is in: touching it, or after a space or hyphen (in the unspaced
    languages only after digits: "5 แสน")."""
    if b.start <= a.end:
        return True
    if lang in _UNSPACED and a.kind != _NUM:
        return False
    return _GAP.fullmatch(norm, a.end, b.start) is not None


def _span(tokens: list[_Tok], i: int, end: int, value: _Value) -> _Span:
    last = end - 1
    while tokens[last].kind == _CONN:
        last -= 1
    return tokens[i].start, tokens[last].end, value, any(t.words for t in tokens[i : last + 1])


# Digits.
_DIGIT_MAP = str.maketrans({chr(base + d): str(d) for base in (0xFF10, 0x0660, 0x06F0, 0x0E50) for d in range(10)})
_SEPARATORS = {".": ".", "．": ".", ",": ",", "，": ",", "٫": "D", "٬": "T"}
"""Canonical separators: "D" is always a decimal mark (Arabic), "T" and "S" (spaces) always thousands marks."""
_SUFFIXES = {"k": 1000, "rb": 1000, "jt": 1_000_000}
_GROUP = re.compile(r"[0-9]+")


def _digit_pattern(spaces: str = "\u00a0\u202f\u2009", suffix: str = "[kK]") -> re.Pattern[str]:
    separator = rf"(?:[.,٫٬，．]|[{spaces}](?=[0-9]{{3}}(?![0-9])))"
    return re.compile(rf"[0-9]+(?:{separator}[0-9]+)*(?:(?P<suffix>{suffix})(?![A-Za-z]))?")


_DIGITS = _digit_pattern()


def _digit_tokens(norm: str, spec: _Spec) -> list[_Tok]:
    tokens = []
    for m in spec.digits.finditer(norm):
        suffix = m.group("suffix")
        body_end = m.start("suffix") if suffix else m.end()
        groups = [g.span() for g in _GROUP.finditer(norm, m.start(), body_end)]
        digits = [norm[a:b] for a, b in groups]
        seps = [_SEPARATORS.get(norm[a_end], "S") for (_, a_end) in groups[:-1]]
        value = _chain_value(digits, seps, spec.point)
        parts = [(m.start(), body_end, value)] if value is not None else [(a, b, Decimal(norm[a:b])) for a, b in groups]
        for a, b, v in parts[:-1]:
            tokens.append(_Tok(a, b, _NUM, v, words=False))
        a, b, v = parts[-1]
        if suffix:
            tokens.append(_Tok(a, m.end(), _FIX, v * _SUFFIXES[suffix.lower()]))
        else:
            tokens.append(_Tok(a, b, _NUM, v, words=False))
    return tokens


def _chain_value(digits: list[str], seps: list[str], point: str) -> Decimal | None:
    """One value for digit groups joined by separators, by the language's convention or else by the other one."""
    if not seps:
        return Decimal(digits[0])
    other = "," if point == "." else "."
    value = _grouped(digits, seps, point, other)
    if value is None and (point == "," or ("." in seps and "," in seps)):
        value = _grouped(digits, seps, other, point)
    return value


def _grouped(digits: list[str], seps: list[str], point: str, thousands: str) -> Decimal | None:
    if seps[-1] in (point, "D"):
        whole, fraction, marks = digits[:-1], "." + digits[-1], seps[:-1]
    else:
        whole, fraction, marks = digits, "", seps
    if any(s not in (thousands, "T", "S") for s in marks):
        return None
    if marks and (len(set(marks)) > 1 or len(whole[0]) > 3 or any(len(g) != 3 for g in whole[1:])):
        return None
    return Decimal("".join(whole) + fraction)


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Words of the spaced languages.
_WORD = re.compile(r"[^\W\d_]+")
_JOIN = re.compile(r"[ \t\u00a0\u202f\u2009\-‐‑]{1,3}")
"""Between the words of one numeral phrase."""
_GAP = re.compile(r"[ \t\u00a0\u202f\u2009\-‐‑–]{1,3}")
"""Between the parts of one number."""


class _Word(NamedTuple):
    start: int
    end: int
    text: str
    """Lower-cased."""


def _words(norm: str) -> list[_Word]:
    return [_Word(m.start(), m.end(), m.group().lower()) for m in _WORD.finditer(norm)]


def _prev(norm: str, words: list[_Word], i: int) -> str | None:
    """The word just before words[i] in the same phrase."""
    return words[i - 1].text if i and _JOIN.fullmatch(norm, words[i - 1].end, words[i].start) else None


def _next(norm: str, words: list[_Word], i: int) -> str | None:
    """The word just after words[i] in the same phrase."""
    ok = i + 1 < len(words) and _JOIN.fullmatch(norm, words[i].end, words[i + 1].start)
    return words[i + 1].text if ok else None


_Check = Callable[[str, list[_Word], int, int], bool]
"""(text, words, index, number of words) -> whether the lexicon phrase there is a numeral here."""


@dataclass(frozen=True)
class _Lexicon:
    entries: dict[tuple[str, ...], tuple[int, _Value, _Value]]
    longest: dict[str, int]
    """First word -> the most words of an entry that starts with it."""

    @classmethod
    def of(cls, **kinds: str) -> _Lexicon:
        """Entries as "word=value" (a phrase joins its words with "_"; a _BIG1 reads "value/order") by kind:
        fix, unit, mult, big, big1, conn, skip."""
        codes = {"fix": _FIX, "unit": _UNIT, "mult": _MULT, "big": _BIG, "big1": _BIG1, "conn": _CONN, "skip": _SKIP}
        entries: dict[tuple[str, ...], tuple[int, _Value, _Value]] = {}
        for kind, spec in kinds.items():
            for item in spec.split():
                phrase, _, number = item.partition("=")
                value, _, order = number.partition("/")
                entries[tuple(phrase.split("_"))] = (codes[kind], int(value or 0), int(order or value or 0))
        longest: dict[str, int] = {}
        for key in entries:
            longest[key[0]] = max(longest.get(key[0], 0), len(key))
        return cls(entries, longest)

    def scan(
        self,
        norm: str,
        words: list[_Word],
        check: _Check | None = None,
        compound: Callable[[str], int | None] | None = None,
    ) -> list[_Tok]:
        """Tokens for the lexicon phrases among `words` (longest first), and for the words `compound` reads."""
        tokens = []
        i = 0
        while i < len(words):
            match = self._match(norm, words, i)
            if match:
                size, (kind, value, order) = match
                if kind != _SKIP and (check is None or check(norm, words, i, size)):
                    tokens.append(_Tok(words[i].start, words[i + size - 1].end, kind, value, order))
                i += size
                continue
            value = compound(words[i].text) if compound else None
            if value is not None:
                tokens.append(_Tok(words[i].start, words[i].end, _UNIT, value))
            i += 1
        return tokens

    def _match(self, norm: str, words: list[_Word], i: int) -> tuple[int, tuple[int, _Value, _Value]] | None:
        """The longest phrase at words[i]: its length in words, and its entry."""
        for size in range(min(self.longest.get(words[i].text, 0), len(words) - i), 0, -1):
            entry = self.entries.get(tuple(w.text for w in words[i : i + size]))
            if entry and all(_JOIN.fullmatch(norm, words[k].end, words[k + 1].start) for k in range(i, i + size - 1)):
                return size, entry
        return None


def _reader(lexicon: _Lexicon, check: _Check | None = None) -> Callable[[str], list[_Tok]]:
    def read(norm: str) -> list[_Tok]:
        return lexicon.scan(norm, _words(norm), check)

    return read


_EN = _Lexicon.of(
    fix="zero=0",
    unit="one=1 two=2 three=3 four=4 five=5 six=6 seven=7 eight=8 nine=9 ten=10 eleven=11 twelve=12 thirteen=13 "
    "fourteen=14 fifteen=15 sixteen=16 seventeen=17 eighteen=18 nineteen=19 twenty=20 thirty=30 forty=40 fourty=40 "
    "fifty=50 sixty=60 seventy=70 eighty=80 ninety=90 a=1 an=1",
    mult="hundred=100 dozen=12",
    big="thousand=1000 million=1_000_000 billion=1_000_000_000",
    conn="and",
)
_EN_LEAD = frozenset({"hundred", "thousand", "million", "billion", "dozen"})


def _en_check(norm: str, words: list[_Word], i: int, size: int) -> bool:
    return words[i].text not in ("a", "an") or _next(norm, words, i) in _EN_LEAD


_ES = _Lexicon.of(
    fix="cero=0",
    unit="un=1 uno=1 una=1 dos=2 tres=3 cuatro=4 cinco=5 seis=6 siete=7 ocho=8 nueve=9 diez=10 once=11 doce=12 "
    "trece=13 catorce=14 quince=15 dieciséis=16 dieciseis=16 diecisiete=17 dieciocho=18 diecinueve=19 veinte=20 "
    "veintiuno=21 veintiún=21 veintiun=21 veintiuna=21 veintidós=22 veintidos=22 veintitrés=23 veintitres=23 "
    "veinticuatro=24 veinticinco=25 veintiséis=26 veintiseis=26 veintisiete=27 veintiocho=28 veintinueve=29 "
    "treinta=30 cuarenta=40 cincuenta=50 sesenta=60 setenta=70 ochenta=80 noventa=90 cien=100 ciento=100 "
    "doscientos=200 doscientas=200 trescientos=300 trescientas=300 cuatrocientos=400 cuatrocientas=400 "
    "quinientos=500 quinientas=500 seiscientos=600 seiscientas=600 setecientos=700 setecientas=700 "
    "ochocientos=800 ochocientas=800 novecientos=900 novecientas=900",
    mult="docena=12",
    big="mil=1000 millón=1_000_000 millon=1_000_000 millones=1_000_000 mil_millones=1_000_000_000",
    conn="y",
    skip="por_ciento por_cien",
)

_PT = _Lexicon.of(
    fix="zero=0",
    unit="um=1 uma=1 dois=2 duas=2 três=3 tres=3 quatro=4 cinco=5 seis=6 sete=7 oito=8 nove=9 dez=10 onze=11 "
    "doze=12 treze=13 catorze=14 quatorze=14 quinze=15 dezesseis=16 dezasseis=16 dezessete=17 dezassete=17 "
    "dezoito=18 dezenove=19 dezanove=19 vinte=20 trinta=30 quarenta=40 cinquenta=50 cinqüenta=50 sessenta=60 "
    "setenta=70 oitenta=80 noventa=90 cem=100 cento=100 duzentos=200 duzentas=200 trezentos=300 trezentas=300 "
    "quatrocentos=400 quatrocentas=400 quinhentos=500 quinhentas=500 seiscentos=600 seiscentas=600 "
    "setecentos=700 setecentas=700 oitocentos=800 oitocentas=800 novecentos=900 novecentas=900",
    mult="dúzia=12 duzia=12",
    big="mil=1000 milhão=1_000_000 milhao=1_000_000 milhões=1_000_000 milhoes=1_000_000 bilhão=1_000_000_000 "
    "bilhao=1_000_000_000 bilhões=1_000_000_000 bilhoes=1_000_000_000 mil_milhões=1_000_000_000 "
    "mil_milhoes=1_000_000_000",
    conn="e",
    skip="por_cento",
)

_FR_TEENS = (
    ("dix", 10),
    ("onze", 11),
    ("douze", 12),
    ("treize", 13),
    ("quatorze", 14),
    ("quinze", 15),
    ("seize", 16),
    ("dix_sept", 17),
    ("dix_huit", 18),
    ("dix_neuf", 19),
)
_FR = _Lexicon.of(
    fix="zéro=0 zero=0",
    unit="un=1 une=1 deux=2 trois=3 quatre=4 cinq=5 six=6 sept=7 huit=8 neuf=9 dix=10 onze=11 douze=12 treize=13 "
    "quatorze=14 quinze=15 seize=16 vingt=20 trente=30 quarante=40 cinquante=50 soixante=60 septante=70 "
    "octante=80 huitante=80 nonante=90 quatre_vingt=80 quatre_vingts=80 soixante_et_onze=71 "
    + " ".join(f"soixante_{w}={60 + v} quatre_vingt_{w}={80 + v}" for w, v in _FR_TEENS),
    mult="cent=100 cents=100 douzaine=12",
    big="mille=1000 million=1_000_000 millions=1_000_000 milliard=1_000_000_000 milliards=1_000_000_000",
    conn="et",
    skip="pour_cent",
)
_FR_NUMERALS = frozenset(key[0] for key in _FR.entries) - {"un", "une", "et", "pour", "neuf"}
_FR_NEW_AFTER = _set(
    "tout toute tous toutes état comme flambant quoi rien remis remise refait refaite quasi presque quasiment du "
    "plutôt très si aussi plus"
)
_FR_FUNCTION = _set(
    "et ou mais donc car ni avec pour de du des à au aux en dans sur sous par chez sans que qui pas jamais encore "
    "toujours très trop plus moins aussi comme est sont était a ont le la les un une ce cette ces il elle je tu nous "
    "vous ils elles on ça non oui vraiment bien"
)
_CURRENCY_AFTER = re.compile(r"\s?[€$£¥%]")


def _fr_check(norm: str, words: list[_Word], i: int, size: int) -> bool:
    """ "neuf" is 9 or "new"; see the module docstring."""
    if size > 1 or words[i].text != "neuf":
        return True
    prev = _prev(norm, words, i)
    if prev in _FR_NUMERALS:
        return True
    if prev in _FR_NEW_AFTER:
        return False
    following = _next(norm, words, i)
    if following is not None:
        return following not in _FR_FUNCTION
    return _CURRENCY_AFTER.match(norm, words[i].end) is not None


_DE = _Lexicon.of(
    fix="null=0",
    unit="ein=1 eine=1 einen=1 einem=1 einer=1 eines=1 eins=1",
    mult="hundert=100 dutzend=12",
    big="tausend=1000 million=1_000_000 millionen=1_000_000 milliarde=1_000_000_000 milliarden=1_000_000_000",
)
_DE_NUMERALS = (
    "eins=1 ein=1 zwei=2 zwo=2 drei=3 vier=4 fünf=5 fuenf=5 sechs=6 sieben=7 acht=8 neun=9 zehn=10 elf=11 zwölf=12 "
    "zwoelf=12 dreizehn=13 vierzehn=14 fünfzehn=15 fuenfzehn=15 sechzehn=16 siebzehn=17 achtzehn=18 neunzehn=19 "
    "zwanzig=20 dreißig=30 dreissig=30 vierzig=40 fünfzig=50 fuenfzig=50 sechzig=60 siebzig=70 achtzig=80 neunzig=90"
)
_DE_PARTS: dict[str, tuple[int, int]] = {
    **{word: (_UNIT, int(value)) for word, value in (item.split("=") for item in _DE_NUMERALS.split())},
    "hundert": (_MULT, 100),
    "tausend": (_BIG, 1000),
    "und": (_CONN, 0),
}
_DE_PART = re.compile("|".join(sorted(_DE_PARTS, key=len, reverse=True)))


@lru_cache(maxsize=4096)
def _de_compound(word: str) -> int | None:
    """The value of a German numeral written as one word ("neunundvierzig", "zweihundertfünfzig"), else None."""
    parts = _DE_PART.findall(word)
    if not parts or "".join(parts) != word or parts[0] == "und":
        return None
    tokens = [_Tok(0, 0, *_DE_PARTS[p]) for p in parts]
    (_, _, value, _), after = _read_one(tokens, 0, "", "de")
    return int(value) if after == len(tokens) else None


def _de_read(norm: str) -> list[_Tok]:
    return _DE.scan(norm, _words(norm), compound=_de_compound)


_ID_UNITS = "satu=1 dua=2 tiga=3 empat=4 lima=5 enam=6 tujuh=7 delapan=8 lapan=8 sembilan=9"
_ID = _Lexicon.of(
    fix="nol=0 sifar=0",
    unit=f"{_ID_UNITS} sepuluh=10 sebelas=11 seratus=100 "
    + " ".join(f"{w}_belas={10 + int(v)}" for w, v in (item.split("=") for item in _ID_UNITS.split()[1:])),
    mult="puluh=10 ratus=100 lusin=12",
    big="ribu=1000 juta=1_000_000 miliar=1_000_000_000 milyar=1_000_000_000 bilion=1_000_000_000",
    big1="seribu=1000/1000 sejuta=1_000_000/1_000_000",
)

_VI = _Lexicon.of(
    unit="một=1 hai=2 ba=3 bốn=4 tư=4 năm=5 lăm=5 nhăm=5 sáu=6 bảy=7 bẩy=7 tám=8 chín=9 mười=10 mốt=1",
    mult="mươi=10 chục=10 trăm=100",
    big="nghìn=1000 ngàn=1000 vạn=10000 triệu=1_000_000 tỷ=1_000_000_000 tỉ=1_000_000_000",
    conn="lẻ linh",
    skip="phần_trăm",
)
_VI_NUMERALS = frozenset(key[0] for key in _VI.entries if len(key) == 1)
_VI_LARGER = _set("mươi chục trăm nghìn ngàn vạn triệu tỷ tỉ")
"""Numeral words that may follow a unit."""
_VI_AFTER_TEN = frozenset({"mươi", "mười"})
_VI_COUNTERS = _set(
    "cái chiếc con người đồng ngày tuần tháng năm giờ phút giây tiếng lần món màu loại bộ đôi hộp gói chai cây "
    "quyển cuốn kg ký cân lạng mét lít phần điểm sao suất vé bước câu tuổi đô usd size sản mẫu chương bài kiểu túi "
    "thùng lọ tuýp miếng viên chục k căn tầng lớp trái quả bạn anh chị em"
)
_VI_NOT_AFTER_BA = frozenset({"lô", "mẹ", "má", "ơi"})


def _vi_check(norm: str, words: list[_Word], i: int, size: int) -> bool:
    """Ordinals after "thứ" are skipped; "năm", "chín", "lăm", "mốt", "tư", "ba" need context (module docstring)."""
    k = i
    while k and _prev(norm, words, k) in _VI_NUMERALS and i - k < 8:
        k -= 1
    if _prev(norm, words, k) == "thứ":
        return False
    word, prev, following = words[i].text, _prev(norm, words, i), _next(norm, words, i)
    if word == "năm":
        return following in _VI_LARGER or following in _VI_COUNTERS or prev in ("lẻ", "linh")
    if word == "chín":
        return prev in _VI_NUMERALS or following in _VI_LARGER or following in _VI_COUNTERS
    if word in ("lăm", "nhăm", "tư"):
        return prev in _VI_AFTER_TEN
    if word == "mốt":
        return prev == "mươi"
    if word == "ba":
        return following not in _VI_NOT_AFTER_BA
    return True


# Arabic: letters are compared without vowel marks, with one alef, ه for ة and ي for ى.
_AR_MARKS = re.compile("[\u064b-\u0652\u0670\u0640]")
_AR_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ی": "ي", "ک": "ك"})


def _ar(spec: str) -> str:
    return spec.translate(_AR_LETTERS)


_AR_UNITS = (
    ("واحد واحدة", 1),
    ("اثنان اثنين اثنتان اثنتين", 2),
    ("ثلاثة ثلاث", 3),
    ("أربعة أربع", 4),
    ("خمسة خمس", 5),
    ("ستة ست", 6),
    ("سبعة سبع", 7),
    ("ثمانية ثماني ثمان", 8),
    ("تسعة تسع", 9),
)
_AR_TENS = "عشرون=20 عشرين=20 ثلاثون=30 ثلاثين=30 أربعون=40 أربعين=40 خمسون=50 خمسين=50 ستون=60 ستين=60 سبعون=70 "
_AR_TENS += "سبعين=70 ثمانون=80 ثمانين=80 تسعون=90 تسعين=90"
_AR = _Lexicon.of(
    fix=_ar("صفر=0"),
    unit=_ar(
        " ".join(f"{w}={v}" for ws, v in _AR_UNITS for w in ws.split())
        + " عشرة=10 عشر=10 أحد_عشر=11 إحدى_عشرة=11 إحدى_عشر=11 اثنا_عشر=12 اثني_عشر=12 اثنتا_عشرة=12 اثنتي_عشرة=12 "
        + " ".join(f"{w}_{ten}={10 + v}" for ws, v in _AR_UNITS[2:] for w in ws.split() for ten in ("عشر", "عشرة"))
        + f" {_AR_TENS} مئتان=200 مئتين=200 مائتان=200 مائتين=200 "
        + " ".join(
            f"{w}{hundred}={100 * v}"
            for w, v in (
                ("ثلاث", 3),
                ("أربع", 4),
                ("خمس", 5),
                ("ست", 6),
                ("سبع", 7),
                ("ثمان", 8),
                ("ثماني", 8),
                ("تسع", 9),
            )
            for hundred in ("مئة", "مائة")
        )
    ),
    mult=_ar("مئة=100 مائة=100"),
    big=_ar("ألف=1000 آلاف=1000 مليون=1_000_000 ملايين=1_000_000 مليار=1_000_000_000 مليارات=1_000_000_000"),
    big1=_ar("ألفان=2000/1000 ألفين=2000/1000 مليونان=2_000_000/1_000_000 مليونين=2_000_000/1_000_000"),
    skip=_ar("في_المئة في_المائة بالمئة بالمائة"),
)
_AR_PREFIXES = sorted(
    {a + b + c for a in ("", "و", "ف") for b in ("", "ب", "ل", "ك") for c in ("", "ال")} - {""} | {"لل", "ولل"},
    key=len,
    reverse=True,
)
"""و/ف (and), ب/ل/ك (with, for, like), ال (the), longest first."""


def _ar_prefix_ok(prefix: str, stem: str) -> bool:
    """ست takes only و (لست is "I am not", الست "the lady"); الاثنين is Monday."""
    if stem == "ست":
        return prefix == "و"
    return "ال" not in prefix or stem not in ("اثنين", "اثنان")


def _ar_prefix(word: str) -> str:
    """The clitics before a numeral in `word` ("و" in "وعشرون"), else ""."""
    for prefix in _AR_PREFIXES:
        stem = word[len(prefix) :]
        if word.startswith(prefix) and len(stem) >= 2 and stem in _AR.longest and _ar_prefix_ok(prefix, stem):
            return prefix
    return ""


def _ar_read(norm: str) -> list[_Tok]:
    """Words with their clitics stripped ("وعشرون" -> "و" + "عشرون"), then the lexicon."""
    words: list[_Word] = []
    tokens: list[_Tok] = []
    for word in _words(norm):
        prefix = "" if word.text in _AR.longest else _ar_prefix(word.text)
        if prefix.startswith("و"):
            tokens.append(_Tok(word.start, word.start + 1, _CONN, 0))
        words.append(_Word(word.start + len(prefix), word.end, word.text[len(prefix) :]))
    return tokens + _AR.scan(norm, words)


# Korean.
_KO_WORD = re.compile(r"[가-힣]+")
_KO_SINO = {"일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "륙": 6, "칠": 7, "팔": 8, "구": 9}
_KO_SINO |= {"십": 10, "백": 100, "천": 1000, "만": 10**4, "억": 10**8, "조": 10**12}
_KO_MULTS = "십백천만억조"
_KO_KIND = {c: _MULT if c in "십백천" else _BIG if c in "만억조" else _UNIT for c in _KO_SINO}
_KO_NATIVE = re.compile(
    "(열|스물|스무|서른|마흔|쉰|예순|일흔|여든|아흔)?(하나|한|둘|두|셋|세|석|넷|네|넉|다섯|여섯|일곱|여덟|아홉)?"
)
_KO_TENS = {
    "열": 10,
    "스물": 20,
    "스무": 20,
    "서른": 30,
    "마흔": 40,
    "쉰": 50,
    "예순": 60,
    "일흔": 70,
    "여든": 80,
    "아흔": 90,
}
_KO_UNITS = {"하나": 1, "한": 1, "둘": 2, "두": 2, "셋": 3, "세": 3, "석": 3, "넷": 4, "네": 4, "넉": 4}
_KO_UNITS |= {"다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9}
_KO_BOUND = frozenset({"한", "두", "세", "석", "넉", "네", "열", "스무", "쉰"})
"""Native forms that need a counter ("세 개"); alone they are other words (세일, 네 = yes, 열 = fever)."""
_KO_AMBIGUOUS = frozenset({"이만", "일만", "만일", "사천", "이백", "이천", "십일"})
"""Sino-Korean runs that are also common words ("이만하면", "만일", 사천 = Sichuan): they need a counter."""
_KO_COUNTERS = _set(
    "원 개 개월 일 분 초 시간 시 번 회 퍼센트 프로 달러 불 명 년 월 주 주일 층 호 등 위 배 점 세 킬로 키로 그램 미터 "
    "센티 센치 리터 인치 인분 박스 세트 장 병 권 대 벌 잔 마리 가지 살 사람 달"
)
_KO_UNIT_COUNTERS = _set("개 개월 년 월 층 초 퍼센트 프로 달러 인분 킬로 그램")
"""Counters a single Sino-Korean unit may carry in the same word: not 원/일/분/명, for 구원, 오일, 구분, 사명."""
_KO_NATIVE_COUNTERS = _set(
    "개 명 번 가지 시 시간 살 달 잔 마리 병 장 벌 켤레 권 박스 팩 봉지 세트 사람 군데 알 송이 쌍 곳 그릇 접시 조각 캔"
)
_KO_NATIVE_SPACED = _KO_NATIVE_COUNTERS | {"대", "통", "줄", "판", "분", "주"}
"""Also after a space: 두 대, but 세대 (generation), 두통 (headache)."""
_KO_PARTICLES = _set(
    "은 는 이 가 을 를 에 에서 에게 의 도 만 까지 부터 로 으로 와 과 하고 랑 이랑 나 이나 보다 처럼 정도 쯤 짜리 씩 대 "
    "이상 이하 미만 밖에 뿐 입니다 이에요 예요 이야 야 요 간 동안 당 이면 면 이라 라 만큼"
) | {""}


def _ko_counter(rest: str, counters: frozenset[str]) -> bool:
    """`rest` is a counter, then at most a particle ("원이에요", "개를")."""
    return any(rest.startswith(c) and rest[len(c) :] in _KO_PARTICLES for c in counters)


def _ko_counted(rest: str, following: str, attached: frozenset[str], spaced: frozenset[str]) -> bool:
    """A counter follows: in the same word after the numeral, or as the next word."""
    return _ko_counter(rest, attached) if rest else _ko_counter(following, spaced)


@lru_cache(maxsize=1024)
def _ko_sino_value(run: str) -> _Value | None:
    """The value of a Sino-Korean numeral, None unless the syllables make one number ("이사" does not)."""
    tokens = [_Tok(0, 0, _KO_KIND[c], _KO_SINO[c]) for c in run]
    (_, _, value, _), after = _read_one(tokens, 0, "", "ko")
    return value if after == len(tokens) else None


def _ko_native(word: str, start: int, following: str) -> _Tok | None:
    m = _KO_NATIVE.match(word)
    if m is None or not m.end():
        return None
    tens, unit = m.groups()
    rest = word[m.end() :]
    counted = _ko_counted(rest, following, _KO_NATIVE_COUNTERS, _KO_NATIVE_SPACED)
    if not (counted if (unit or tens) in _KO_BOUND else rest in _KO_PARTICLES or counted):
        return None
    return _Tok(start, start + m.end(), _FIX, _KO_TENS.get(tens or "", 0) + _KO_UNITS.get(unit or "", 0))


def _ko_sino(word: str, start: int, following: str) -> _Tok | None:
    n = 0
    while n < len(word) and word[n] in _KO_SINO:
        n += 1
    run, rest = word[:n], word[n:]
    if n > 1 and run[-1] == "이" and not _ko_counted(rest, following, _KO_COUNTERS, _KO_COUNTERS):
        run, rest = run[:-1], word[n - 1 :]  # the subject particle: "삼십이" = 30
    if not run or run in ("일", "이") or (value := _ko_sino_value(run)) is None:
        return None
    if len(run) == 1 or run in _KO_AMBIGUOUS:
        attached = _KO_UNIT_COUNTERS if len(run) == 1 and run not in _KO_MULTS else _KO_COUNTERS
        ok = _ko_counted(rest, following, attached, _KO_COUNTERS)
    else:
        ok = rest in _KO_PARTICLES or _ko_counted(rest, following, _KO_COUNTERS, _KO_COUNTERS)
    return _Tok(start, start + len(run), _UNIT, value) if ok else None


def _ko_read(norm: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    words = list(_KO_WORD.finditer(norm))
    for k, m in enumerate(words):
        start, end, word = m.start(), m.end(), m.group()
        following = words[k + 1].group() if k + 1 < len(words) and norm[end : words[k + 1].start()].isspace() else ""
        before = norm[start - 1] if start else ""
        if "0" <= before <= "9":
            if word[0] in _KO_MULTS:  # "3만 원", "5천", "3천오백" ("3일만에" is 3 days)
                n = 0
                while n < len(word) and word[n] in _KO_SINO:
                    n += 1
                while word[n - 1] not in _KO_MULTS:  # "10만이": the subject particle
                    n -= 1
                tokens += [_Tok(start + at, start + at + 1, _KO_KIND[c], _KO_SINO[c]) for at, c in enumerate(word[:n])]
        elif not before.isalpha():
            token = _ko_native(word, start, following) or _ko_sino(word, start, following)
            if token:
                tokens.append(token)
    return tokens


# Chinese and Japanese.
_CJK_UNITS = {
    c: v
    for v, cs in enumerate(("〇零", "一壹", "二贰貳两兩俩倆", "三叁", "四肆", "五", "六", "七柒", "八捌", "九玖"))
    for c in cs
} | {"廿": 20, "卅": 30}
_CJK_MULTS = {"十": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CJK_BIGS = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}
_CJK_RUN = re.compile(f"[{''.join(_CJK_UNITS)}{''.join(_CJK_MULTS)}{''.join(_CJK_BIGS)}]+")
_CJK_DIGITS = "〇零一二三四五六七八九"
_CJK_ZEROS = "〇零"
_CJK_IDIOMS = re.compile(
    "|".join(
        [
            *_set(
                "一起 一下 一定 一样 一樣 一直 一些 一般 一切 一边 一邊 一旦 一致 一流 一向 一会 一會 一时 一時 一再 "
                "一路 一心 一共 一同 一齐 一齊 一概 一律 一番 一緒 一応 一層 一瞬 一斉 一気 一体 一體 一方 一部分 "
                "一生懸命 一模一样 一如既往 一口气 统一 統一 唯一 同一 单一 單一 逐一 一一 万一 萬一 十足 十全十美 "
                "万能 萬能 万岁 萬歲 万物 萬物 万事 萬事 万全 萬全 百货 百貨 百度 百姓 百合 百科 三星 三明治 八卦 "
                "八百屋 千葉"
            ),
            r"十分(?![钟鐘間间后後以之])",
            "千[万萬](?=[别別不要记記小莫])",
            "百分(?=[之百])",
        ]
    )
)
"""Words that hold a numeral but state no number."""
_CJK_ORDINAL = ("第", "星期", "礼拜", "禮拜")
_CJK_KILO = "克米瓦卡"
_CJK_COUNTERS = frozenset("円元块塊個个人本枚件回度日年分秒倍台杯冊名位张張条條只隻双雙瓶盒")
"""After which a lone 百 or 千 is a number: 千円, 百元."""


def _cjk_read(norm: str) -> list[_Tok]:
    idioms = [m.span() for m in _CJK_IDIOMS.finditer(norm)]
    idiom_starts = [a for a, _ in idioms]

    def idiom_at(at: int) -> tuple[int, int]:
        k = bisect_right(idiom_starts, at) - 1
        return idioms[k] if k >= 0 and at < idioms[k][1] else (at, at)

    tokens = []
    for m in _CJK_RUN.finditer(norm):
        start, end = m.span()
        # Numerals that belong to a word reaching outside the run are not the run's ("统一三十", "三十一起");
        # an idiom inside a longer numeral is ("十万一千" holds 万一).
        while start < end and idiom_at(start)[0] < start:
            start = idiom_at(start)[1]
        while start < end and idiom_at(end - 1)[1] > end:
            end = idiom_at(end - 1)[0]
        if start == end or end <= idiom_at(start)[1] or norm.endswith(_CJK_ORDINAL, 0, start):
            continue
        if norm[end - 1] == "千" and end < len(norm) and norm[end] in _CJK_KILO:  # 五千克 = 5 kg
            end -= 1
        run = norm[start:end]
        if (
            all(c in _CJK_DIGITS for c in run)
            and 2 <= len(run) <= 12
            and run.strip(_CJK_ZEROS)
            and (any(c in _CJK_ZEROS for c in run) or norm[end : end + 1] == "年")  # 二〇二四年
        ):
            tokens.append(_Tok(start, end, _FIX, int("".join(str(_CJK_UNITS[c]) for c in run))))
            continue
        skip = len(run) - len(run.lstrip(_CJK_ZEROS))  # 零食, 〇〇さん
        start, run = start + skip, run[skip:]
        if (
            not run
            or (
                len(run) == 1
                and run not in _CJK_UNITS
                and run != "十"
                and not (start and "0" <= norm[start - 1] <= "9")  # 3千
                and not (run in "百佰千仟" and norm[end : end + 1] in _CJK_COUNTERS)  # 千円
            )
        ):
            continue
        for k, c in enumerate(run, start):
            if c in _CJK_ZEROS:
                tokens.append(_Tok(k, k + 1, _CONN, 0))
            elif c in _CJK_UNITS:
                tokens.append(_Tok(k, k + 1, _UNIT, _CJK_UNITS[c]))
            elif c in _CJK_MULTS:
                tokens.append(_Tok(k, k + 1, _MULT, _CJK_MULTS[c]))
            else:
                tokens.append(_Tok(k, k + 1, _BIG, _CJK_BIGS[c]))
    return tokens


# Thai: no spaces, so numerals are found inside running text and guarded against the words that contain them.
_TH_VALUES = {"ศูนย์": (_FIX, 0), "หนึ่ง": (_UNIT, 1), "เอ็ด": (_UNIT, 1), "สอง": (_UNIT, 2), "ยี่": (_UNIT, 2)}
_TH_VALUES |= {"สาม": (_UNIT, 3), "สี่": (_UNIT, 4), "ห้า": (_UNIT, 5), "หก": (_UNIT, 6), "เจ็ด": (_UNIT, 7)}
_TH_VALUES |= {"แปด": (_UNIT, 8), "เก้า": (_UNIT, 9), "สิบ": (_MULT, 10), "ร้อย": (_MULT, 100), "พัน": (_MULT, 1000)}
_TH_VALUES |= {"หมื่น": (_MULT, 10**4), "แสน": (_MULT, 10**5), "ล้าน": (_BIG, 10**6)}
_TH_MARK = "\u0e30-\u0e3a\u0e45\u0e47-\u0e4e"
"""Vowels and tone marks that belong to the consonant before them: after a numeral they mean another word."""
_TH_NUMERAL = re.compile(
    "(?:(?<![\u0e40-\u0e44])(?:หนึ่ง|สอง|ยี่(?=สิบ)|สาม(?!เณร)|สี่|"
    f"ห้า(?!ง|ม(?![{_TH_MARK}]))|หก(?!ล้ม)|สิบ|ร้อย(?!ละ|เรียง)|พัน(?!ธ|เอก|โท|ตรี|ทาง|คอ|แผล|กัน|รอบ)|หมื่น|ล้าน|ศูนย์(?![\u0e01-\u0e4e]))"
    "|เอ็ด|เจ็ด|แปด|เก้า(?!อี้)"
    "|แสน(?!ดี|สวย|อร่อย|ถูก|จะ|รู้|สุข|สนุก|ง่าย|สบาย|ยาก|หวาน|น่า|แพง|เศร้า|ไกล|นาน|ชัง|งอน|ซน|ดาย|ห่วง|กล))"
    f"(?![{_TH_MARK}])"
)


def _th_read(norm: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    for m in _TH_NUMERAL.finditer(norm):
        kind, value = _TH_VALUES[m.group()]
        if m.group() == "เอ็ด" and not (tokens and tokens[-1].end == m.start() and tokens[-1].value >= 10):
            continue  # เอ็ด is 1 only after สิบ, ร้อย…: "ยี่สิบเอ็ด"
        tokens.append(_Tok(m.start(), m.end(), kind, value))
    return tokens


def _normalize(text: str, lang: str) -> tuple[str, list[int] | None]:
    """ASCII digits, and for Arabic the letters to compare; the second value maps back to `text` where needed."""
    norm = text.translate(_DIGIT_MAP)
    if lang != "ar":
        return norm, None
    if _AR_MARKS.search(norm) is None:
        return norm.translate(_AR_LETTERS), None
    where = [i for i, c in enumerate(norm) if not _AR_MARKS.match(c)]
    return "".join(norm[i] for i in where).translate(_AR_LETTERS), where


@dataclass(frozen=True)
class _Spec:
    point: str
    """The decimal mark, "." or ","."""
    reader: Callable[[str], list[_Tok]]
    digits: re.Pattern[str] = _DIGITS


def decimal_mark(lang: str) -> str:
    """The decimal mark `lang` writes: "," or "."."""
    return _SPECS[lang].point


_ID_DIGITS = _digit_pattern(suffix="[kK]|(?i:rb|jt)")
_SPECS: dict[str, _Spec] = {
    "en": _Spec(".", _reader(_EN, _en_check)),
    "zh": _Spec(".", _cjk_read),
    "ja": _Spec(".", _cjk_read),
    "ko": _Spec(".", _ko_read),
    "es": _Spec(",", _reader(_ES)),
    "pt": _Spec(",", _reader(_PT)),
    "fr": _Spec(",", _reader(_FR, _fr_check), _digit_pattern(spaces=" \u00a0\u202f\u2009")),
    "de": _Spec(",", _de_read),
    "ar": _Spec(".", _ar_read),
    "id": _Spec(",", _reader(_ID), _ID_DIGITS),
    "ms": _Spec(".", _reader(_ID), _ID_DIGITS),
    "th": _Spec(".", _th_read),
    "vi": _Spec(",", _reader(_VI, _vi_check)),
}
