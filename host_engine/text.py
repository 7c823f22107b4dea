"""Sentence boundaries shared by subtitle cutting and speech synthesis."""

from __future__ import annotations

import re

SENTENCE_END = re.compile(r"[.!?。！？…؟]+[\"'”’»)\]」』）]*$")
TITLE = re.compile(r"(?:^|\s)(?:Mr|Mrs|Ms|Dr|Prof|St|Sr|Sra|Srta|Jr|Mme|Mlle|Hr|Fr|vs|e\.g|i\.e)\.$", re.IGNORECASE)
"""Titles and abbreviations whose full stop does not end a sentence ("Mr. Smith", "Sra. López")."""


def ends_sentence(text: str) -> bool:
    """True when `text` (a word or a whole sentence) closes a sentence."""
    text = text.strip()
    return SENTENCE_END.search(text) is not None and TITLE.search(text) is None
