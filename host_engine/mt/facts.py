"""What a translation must keep to be shown on a shopping stream, and what it broke when it did not.

A translation keeps every number (`numbers.values`, digits and number words alike), the currency and unit said
with each number, every code ("LIVE10", "X200") and every Latin-script name of a source in another script; it is
written in its target language's script (and, between Latin-script languages, is not the source language left
as it was); a question stays a question; and it is not one of the LLM's few-shot examples copied. `problems`
names each broken rule in words a log, a caption or a report can show; an empty list means it may be shown.

The checks compare the source with the output only: they need no reference, so every live line can be checked.
They are deliberately strict. A refused line costs a caption; a shown wrong price costs a customer.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache

import regex
from wordfreq import available_languages, zipf_frequency

from host_engine.langid import likely_languages
from host_engine.languages import get_language
from host_engine.mt.numbers import read_numbers, values

_CURRENCIES: dict[str, tuple[str, ...]] = {
    "BRL": ("R$", "BRL", "reais", "real", "雷亚尔", "レアル", "헤알", "เรียล", "ريال برازيلي", "ريالًا برازيليًا",
            "ريالات برازيلية"),
    "SGD": ("S$", "SGD", "新元", "新加坡元", "シンガポールドル", "싱가포르 달러"),
    "USD": ("US$", "$", "＄", "USD", "dollars", "dollar", "dólares", "dólar", "dolares", "dolar", "Dollar",
            "美元", "美金", "ドル", "달러", "دولارات", "دولارًا", "دولارا", "دولار", "ดอลลาร์", "đô la", "đô", "dola"),
    "EUR": ("€", "EUR", "euros", "euro", "Euro", "欧元", "ユーロ", "유로", "يورو", "ยูโร"),
    "CNY": ("人民币", "元", "块", "RMB", "CNY", "yuan", "위안", "人民元", "หยวน", "يوان"),
    "JPY": ("円", "日元", "yen", "ienes", "iene", "yên", "JPY", "엔", "เยน", "ين"),
    "KRW": ("₩", "원", "KRW", "won", "韩元", "ウォン", "وون", "วอน"),
    "MYR": ("RM", "MYR", "ringgit", "令吉", "リンギット", "링깃", "رينغيت", "ริงกิต"),
    "IDR": ("Rp", "IDR", "rupiah", "印尼盾", "ルピア", "루피아", "روبية", "รูเปียห์"),
    "THB": ("฿", "บาท", "THB", "baht", "泰铢", "バーツ", "바트", "بات"),
    "VND": ("₫", "VND", "vnđ", "đồng", "dong", "越南盾", "ドン", "동", "ดอง", "ด่ง", "دونغ"),
    "GBP": ("£", "GBP", "pounds", "pound", "libras", "libra", "livres", "Pfund", "英镑", "ポンド", "파운드", "جنيه"),
    "SAR": ("SAR", "ريال", "riyal", "rial", "riais", "里亚尔", "リヤル", "리얄", "ริยาล"),
}  # fmt: skip
"""Each currency's symbol, code and words in the 13 languages; read only next to a number (元 and 원 are also
parts of ordinary words)."""
_YEN_OR_YUAN = ("¥", "￥")
"""Yen in Japanese text, yuan in Chinese, either elsewhere: a translation may spell out the one it took."""

_UNITS: dict[str, tuple[str, ...]] = {
    "ml": ("ml", "mL", "毫升", "ミリリットル", "밀리리터", "มล", "มิลลิลิตร", "مل", "مليلتر", "ملليلتر",
           "millilit", "mililit", "Milliliter"),
    "kg": ("kg", "公斤", "千克", "キロ", "킬로", "กก", "กิโลกรัม", "كغ", "كجم", "كيلو", "kilo", "quilo"),
    "g": ("g", "克", "グラム", "그램", "กรัม", "غرام", "جرام", "gram", "gramo", "grama", "Gramm"),
    "cm": ("cm", "厘米", "公分", "センチ", "센티", "ซม", "เซนติเมตร", "سم", "سنتيمتر", "centím", "centim",
           "Zentimeter", "sentimeter", "sentimeter", "xentimét", "xăng-ti-mét", "phân"),
    "mm": ("mm", "毫米", "ミリ", "밀리", "มม", "มิลลิเมตร", "مم", "ملم", "milím", "millim", "milim"),
    "GB": ("GB", "Go", "giga", "기가", "ギガ", "جيجا", "غيغا", "กิกะ"),
    "mAh": ("mAh", "毫安"),
    "%": ("%", "％", "٪", "percent", "per cent", "por ciento", "por cento", "pour cent", "Prozent", "persen",
          "peratus", "phần trăm", "เปอร์เซ็นต์", "بالمئة", "بالمائة", "في المئة", "퍼센트", "パーセント"),
    "inch": ("inch", "\"", "″", "pulgada", "polegada", "pouce", "Zoll", "inci", "英寸", "インチ", "인치", "นิ้ว",
             "بوصة"),
    "day": ("day", "días", "día", "dias", "dia", "jour", "Tag", "Werktag", "hari", "ngày", "天", "日", "일", "วัน",
            "يوم", "أيام", "ايام"),
    "hour": ("hour", "hrs", "hr", "h", "horas", "hora", "heure", "Stunde", "Std", "jam", "giờ", "tiếng", "小时",
             "小時", "時間", "시간", "ชั่วโมง", "ساعة", "ساعات"),
    "minute": ("minute", "min", "minuto", "Minute", "menit", "minit", "phút", "分钟", "分", "분", "นาที", "دقيقة",
               "دقائق"),
    "week": ("week", "semana", "semaine", "Woche", "minggu", "tuần", "周", "週", "星期", "주", "สัปดาห์", "أسبوع",
             "أسابيع"),
    "month": ("month", "meses", "mes", "mês", "mois", "Monat", "bulan", "tháng", "个月", "個月", "ヶ月", "か月",
              "カ月", "개월", "달", "เดือน", "شهر", "أشهر", "شهور"),
    "year": ("year", "años", "año", "anos", "ano", "ans", "an", "année", "Jahr", "tahun", "năm", "年", "년", "ปี", "سنة",
             "سنوات", "عام", "أعوام"),
}  # fmt: skip
"""Each unit's symbol and the stems of its words in the 13 languages, as said right after a number."""
_UNIT_NAMES = tuple(_UNITS)

_QUESTION_MARKS = frozenset("?？؟")
_QUESTION_ENDINGS: dict[str, re.Pattern[str]] = {
    "th": re.compile(r"กี่|เท่าไหร่|เท่าไร|อะไร|ยังไง|อย่างไร|ที่ไหน|เมื่อไหร่|ทำไม|ใคร|"
                     r"(ไหม|มั้ย|มั๊ย|หรือเปล่า|หรือยัง|หรอ|เหรอ|หรือ\S*|ไหน)\s*(ครับ|ค่ะ|คะ|จ้า|จ๊ะ|นะ)?\W*$"),
    "zh": re.compile(r"[吗嗎呢么][\W啊呀]*$|多少|几[个件天号点]|什么|什麼|怎么|怎樣|怎样|哪|为什么|為什麼|是否|有没有|"
                     r"是不是|能不能"),
    "ja": re.compile(r"(か|の|かな|ですか|ますか)\W*$"),
    "vi": re.compile(r"(không|chưa|à|hả|nhỉ|nhé không|bao nhiêu|mấy|gì|đâu|nào|sao)\W*$", re.IGNORECASE),
}  # fmt: skip
"""How a question ends (or, in Chinese, what it asks with) where chat often leaves out the question mark."""

_SCRIPT_LETTERS = {
    "Latn": regex.compile(r"\p{Latin}"),
    "Hans": regex.compile(r"\p{Han}"),
    "Jpan": regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}ー]"),
    "Hang": regex.compile(r"\p{Hangul}"),
    "Arab": regex.compile(r"\p{Arabic}"),
    "Thai": regex.compile(r"\p{Thai}"),
}
_LETTER = regex.compile(r"\p{L}")
_KANA = regex.compile(r"[\p{Hiragana}\p{Katakana}]")
_LATIN_WORD = regex.compile(r"\p{Latin}[\p{Latin}\p{M}'’]*")
_CODE = re.compile(r"\b(?=[A-Za-z]*\d)(?=\d*[A-Za-z])[A-Za-z0-9]{3,}(?:-[A-Za-z0-9]+)*\b")
"""A token of letters and digits together: a coupon code, a model number (a number with its unit is not one)."""
_IN_SCRIPT_SHARE = 0.9
"""At least this share of a translation's letters (beyond names copied from the source) is in its script."""
_SAME_LANGUAGE_WORDS = 4
"""From this many words, a Latin-script translation that reads as its Latin-script source language was not made."""
_UNTRANSLATED_SHARE = 0.5
"""...and half its words are the source's (names alone make lingua read "We ship to Malaysia" as Malay)."""
_COPIED_SHARE = 0.8
"""A translation holding this share of a few-shot example's character n-grams, from a source holding under
`_UNRELATED_SHARE` of the example's source, copied the example."""
_UNRELATED_SHARE = 0.3
_WORDFREQ_LANGUAGES = frozenset(available_languages())
_LEFT_WORDS = 2
"""A translation that keeps this many of its source's common lowercase words, ones the target language does not
use, left them untranslated ("free shipping, drei bis sechs Tage", "ซื้อ free shipping")."""
_COMMON_ZIPF = 3.0
"""Zipf frequency from which a word is common in a language (wordfreq: about once in a million words)..."""
_FOREIGN_ZIPF = 1.0
"""...and by how much more common it is in the source language than in the target, whose word lists hold some
English from the web ("free" is 5.6 in English, 4.4 in German; "online" is as common in both)."""


def problems(source: str, output: str, src: str, tgt: str) -> list[str]:
    """What `output`, a translation of `source` from `src` into `tgt`, broke; empty when it may be shown."""
    src, tgt = get_language(src).code, get_language(tgt).code
    if not output.strip():
        return ["no translation came back"] if source.strip() else []
    found = [
        *_changed_numbers(source, output, src, tgt),
        *_changed_amounts(source, output, src, tgt),
        *_lost_names(source, output, src),
        *_foreign_text(source, output, src, tgt),
        *_left_untranslated(source, output, src, tgt),
    ]
    if is_question(source, src) and not is_question(output, tgt):
        found.append("a question came back as a statement")
    elif not is_question(source, src) and _QUESTION_MARKS & set(output):  # "livraison gratuite est-ce que ... ?"
        found.append("a statement came back as a question")
    if copied_example(source, output, src, tgt):
        found.append("it repeats a few-shot example instead of translating")
    return found


def _changed_numbers(source: str, output: str, src: str, tgt: str) -> list[str]:
    said, kept = values(source, src), values(output, tgt)
    if said == kept:
        return []
    lost, added = _show(said - kept), _show(kept - said)
    change = f"{lost} became {added}" if lost and added else f"lost {lost}" if lost else f"added {added}"
    return [f"numbers changed: {change}"]


def _show(numbers: Counter[float]) -> str:
    return ", ".join(f"{n:g}" for n in sorted(numbers.elements()))


def _changed_amounts(source: str, output: str, src: str, tgt: str) -> list[str]:
    """The currencies said with the source's numbers must be the output's; each unit must come through."""
    said_currencies, said_units = _amounts(source, src)
    kept_currencies, kept_units = _amounts(output, tgt)
    found = []
    if said_currencies != kept_currencies:
        lost, added = sorted(said_currencies - kept_currencies), sorted(kept_currencies - said_currencies)
        found.append(f"currency changed: {', '.join(lost) or 'none'} became {', '.join(added) or 'none'}")
    lost_units = sorted(said_units - kept_units - _units_anywhere(output))
    if lost_units:
        found.append(f"lost the unit {', '.join(lost_units)}")
    return found


def _amounts(text: str, lang: str) -> tuple[set[str], set[str]]:
    """The currencies and units said right before or after each number of `text`."""
    currencies: set[str] = set()
    units: set[str] = set()
    before, after = _currency_patterns()
    unit_after = _unit_pattern()
    for number in read_numbers(text, lang):
        head, tail = text[max(0, number.start - 6) : number.start], text[number.end : number.end + 24]
        said_after = after.match(tail)
        for match in (before.search(head), said_after):
            if match:
                currencies.add(_currency(match.group(1), lang))
        unit = None if said_after else unit_after.match(tail)  # 달러 is dollars, not 달 (months)
        if unit and lang == "ko" and number.words and unit.group(unit.lastindex or 0) == "분":
            unit = None  # "일곱 분": seven people (the honorific counter), not seven minutes
        if unit:
            units.add(_UNIT_NAMES[unit.lastindex - 1])  # type: ignore[operator]
    return currencies, units


def _units_anywhere(text: str) -> set[str]:
    """Units named anywhere in `text` (a translation may move a unit away from its number: "30 days" ->
    "trong vòng 30 ngày", "dreißig Tage")."""
    return {name for name, forms in _UNITS.items() if any(_word_in(form, text) for form in forms)}


def _word_in(form: str, text: str) -> bool:
    if not form.isascii():
        return form in text
    return re.search(rf"(?<![A-Za-z]){re.escape(form)}", text, re.IGNORECASE) is not None


def _currency(form: str, lang: str) -> str:
    if form in _YEN_OR_YUAN:
        return "CNY" if lang == "zh" else "JPY"
    folded = form.casefold()
    return next(code for code, forms in _CURRENCIES.items() if folded in (f.casefold() for f in forms))


@cache
def _currency_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(a currency just before a number, a currency just after one), longest form first. Before a number only
    symbols and codes count ("$49", "RM59", "USD 5"): a word there belongs to the sentence ("I won 5")."""
    forms = sorted({f for fs in _CURRENCIES.values() for f in fs} | set(_YEN_OR_YUAN), key=len, reverse=True)
    marks = [f for f in forms if not f.isalpha() or (f.isascii() and f.isupper())]
    return (
        re.compile(rf"({'|'.join(map(re.escape, marks))})\s?$"),
        re.compile(rf"\s?({'|'.join(_bounded(f, stem=True) for f in forms)})", re.IGNORECASE),
    )


@cache
def _unit_pattern() -> re.Pattern[str]:
    """A unit right after a number; group n+1 is `_UNITS`' n-th unit (its forms are stems: "Tag" is Tag, Tage)."""
    groups = (
        "|".join(_bounded(f, stem=True) for f in sorted(forms, key=len, reverse=True)) for forms in _UNITS.values()
    )
    return re.compile(rf"\s?(?:{'|'.join(f'({group})' for group in groups)})", re.IGNORECASE)


def _bounded(form: str, *, stem: bool = False) -> str:
    """`form` as a regex that does not match inside a longer word (a stem may go on: "Tag" in "Tage")."""
    escaped = re.escape(form)
    if not form[-1:].isascii() or not form[-1:].isalpha() or (stem and len(form) > 2):
        return escaped
    return escaped + r"(?!\w)"


def _lost_names(source: str, output: str, src: str) -> list[str]:
    """Codes, and the Latin-script words of a source in another script (brand and product names), come through
    verbatim."""
    wanted = [c for c in _CODE.findall(source) if not _is_amount_word(re.sub(r"[\d.,-]", "", c))]
    if get_language(src).script != "Latn":  # short ones ("PC", "TV") are words a translation may translate
        wanted += [w for w in _LATIN_WORD.findall(source) if len(w) > 2 and not _is_amount_word(w)]
    folded = output.casefold()
    lost = list(dict.fromkeys(w for w in wanted if w.casefold() not in folded))
    return [f"lost the name {', '.join(lost)}"] if lost else []


def _is_amount_word(word: str) -> bool:
    """A currency or unit written in Latin letters ("USD", "ml", "kg"), which a translation may spell out."""
    folded = word.casefold()
    return any(folded == f.casefold() for forms in (*_CURRENCIES.values(), *_UNITS.values()) for f in forms)


def _foreign_text(source: str, output: str, src: str, tgt: str) -> list[str]:
    """The output is in the target's script (beyond names copied from the source); a Japanese one has kana, a
    Chinese one none; a Latin-script one of some length does not read as the Latin-script source language."""
    script = get_language(tgt).script
    copied = {w.casefold() for w in _LATIN_WORD.findall(source)}
    rest = _LATIN_WORD.sub(
        lambda m: "" if m.group().casefold() in copied or _is_amount_word(m.group()) else m.group(), output
    )
    letters = _LETTER.findall(rest)
    if script != "Latn" and not _SCRIPT_LETTERS[script].search(output) and len(copied) > 2:
        return [f"not written in {get_language(tgt).name} (the source's words came back)"]
    if letters:
        share = len(_SCRIPT_LETTERS[script].findall(rest)) / len(letters)
        if share < _IN_SCRIPT_SHARE:
            return [f"not written in {get_language(tgt).name} ({share:.0%} of its letters are)"]
    if tgt == "ja" and len(letters) >= 6 and not _KANA.search(rest):
        return ["not written in Japanese (no kana)"]
    if tgt == "zh" and _KANA.search(rest):
        return ["not written in Chinese (it has kana)"]
    if (
        script == "Latn"
        and get_language(src).script == "Latn"
        and {src, tgt} != {"id", "ms"}  # one to the other's reader, and lingua cannot tell them apart
        and len(output.split()) >= _SAME_LANGUAGE_WORDS
        and _word_share(output, source) >= _UNTRANSLATED_SHARE
        and (likely := likely_languages(output))
        and likely[0] == src
        and tgt not in likely
    ):
        return [f"came back in {get_language(src).name}, untranslated"]
    return []


def _left_untranslated(source: str, output: str, src: str, tgt: str) -> list[str]:
    """Common words of the source (lowercase: not names) that the target language does not use, kept as they are."""
    if src == tgt or {src, tgt} == {"id", "ms"}:
        return []
    kept = {w.casefold() for w in _LATIN_WORD.findall(output)}
    left = [
        w
        for w in dict.fromkeys(_LATIN_WORD.findall(source))
        if w.islower() and len(w) > 2 and w in kept
        if (common := _zipf(w, src)) >= _COMMON_ZIPF and common - _zipf(w, tgt) >= _FOREIGN_ZIPF
    ]
    return [f"left untranslated: {', '.join(left)}"] if len(left) >= _LEFT_WORDS else []


def _zipf(word: str, lang: str) -> float:
    """`word`'s Zipf frequency in `lang`; 0 where wordfreq has no list (Thai)."""
    return zipf_frequency(word, lang) if lang in _WORDFREQ_LANGUAGES else 0.0


def _word_share(text: str, source: str) -> float:
    words = [w.casefold() for w in _LATIN_WORD.findall(text)]
    kept = {w.casefold() for w in _LATIN_WORD.findall(source)}
    return sum(w in kept for w in words) / len(words) if words else 0.0


def is_question(text: str, lang: str) -> bool:
    """A question mark, or (where chat leaves it out) a question word or particle at the end."""
    if _QUESTION_MARKS & set(text):
        return True
    ending = _QUESTION_ENDINGS.get(get_language(lang).code)
    return bool(ending and ending.search(text.strip()))


def copied_example(source: str, output: str, src: str, tgt: str) -> bool:
    """The output holds most of a few-shot example's target sentence while the source holds little of its
    source sentence (a small LLM continuing its prompt instead of translating)."""
    for example in _few_shot_examples():
        taken = _ngram_share(example[tgt], output, tgt)
        if taken >= _COPIED_SHARE and _ngram_share(example[src], source, src) < _UNRELATED_SHARE:
            return True
    return False


@cache
def _few_shot_examples() -> tuple[dict[str, str], ...]:
    from host_engine.mt.llm import load_examples

    return tuple(load_examples())


def _ngram_share(of: str, within: str, lang: str) -> float:
    """The share of `of`'s character n-grams (3 where words are spaced, 2 where not) found in `within`."""
    size = 3 if get_language(lang).spaced else 2
    wanted, have = _ngrams(of, size), _ngrams(within, size)
    return len(wanted & have) / len(wanted) if wanted else 0.0


def _ngrams(text: str, size: int) -> set[str]:
    letters = "".join(_LETTER.findall(text.casefold()))
    return {letters[i : i + size] for i in range(len(letters) - size + 1)}
