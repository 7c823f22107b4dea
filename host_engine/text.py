"""Sentence boundaries shared by subtitle cutting and speech synthesis."""

from __future__ import annotations

import re

SENTENCE_END = re.compile(r"[.!?。！？…؟]+[\"'”’»)\]」』）]*$")
TITLE = re.compile(r"(?:^|\s)(?:Mr|Mrs|Ms|Dr|Prof|St|Sr|Sra|Srta|Jr|Mme|Mlle|Hr|Fr|vs|e\.g|i\.e)\.$", re.IGNORECASE)
"""Titles and abbreviations whose full stop does not end a sentence ("Mr. Smith", "Sra. López")."""

UNSPACED_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\u0e00-\u0e7f]")
"""Kana, CJK ideographs and Thai: scripts written without spaces between words."""


def has_unspaced_script(text: str) -> bool:
    return UNSPACED_SCRIPT.search(text) is not None


def ends_sentence(text: str) -> bool:
    """True when `text` (a word or a whole sentence) closes a sentence."""
    text = text.strip()
    return SENTENCE_END.search(text) is not None and TITLE.search(text) is None
