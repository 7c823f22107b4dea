import itertools

import pysubs2

from host_engine.asr import Segment, Word
from host_engine.languages import MAX_CAPTION_SECONDS, get_language
from host_engine.subtitles import cues_from_segments, subtitles_text, wrap


def _speech(text: str, gap_every: int = 0) -> list[Segment]:
    words, t = [], 0.0
    for i, token in enumerate(text.split()):
        words.append(Word(f" {token}", t, t + 0.3, 0.9))
        t += 0.35 + (0.8 if gap_every and (i + 1) % gap_every == 0 else 0.0)
    return [Segment(0.0, t, text, tuple(words), -0.2, 0.1, 1.3)]


def test_cues_break_at_sentences_and_respect_reading_rules():
    en = get_language("en")
    text = (
        "Welcome back everyone. Today we have a brand new serum, and it is really light on the skin, "
        "so you can wear it under makeup every single day without any problem at all. Ask me anything!"
    )
    cues = cues_from_segments(_speech(text), en)
    assert cues[0].text == "Welcome back everyone."
    assert cues[-1].text == "Ask me anything!"
    for cue in cues:
        assert len(cue.text) <= 2 * en.max_line_chars
        assert cue.end - cue.start <= MAX_CAPTION_SECONDS + 0.01
    assert all(a.end <= b.start for a, b in itertools.pairwise(cues))


def test_wrap_balances_two_lines_and_handles_cjk():
    en, ja = get_language("en"), get_language("ja")
    lines = wrap("This serum is light enough for every day and it ships tomorrow morning", en).split("\n")
    assert len(lines) == 2 and all(len(line) <= en.max_line_chars for line in lines)
    cjk = wrap("この美容液はとても軽くて毎日使えます", ja).split("\n")
    assert len(cjk) == 2 and all(len(line) <= ja.max_line_chars for line in cjk)


def test_srt_and_vtt_parse_back():
    en = get_language("en")
    cues = cues_from_segments(_speech("Hello there. How are you today?"), en)
    for fmt in ("srt", "vtt"):
        parsed = pysubs2.SSAFile.from_string(subtitles_text(cues, en, fmt))
        assert [e.plaintext for e in parsed] == ["Hello there.", "How are you today?"]
        assert parsed[0].start == 0


def test_titles_do_not_end_cues_and_long_sentences_split_evenly():
    en = get_language("en")
    text = (
        "And Mr. John Dashwood had then leisure to consider it, and how much there might be prudently "
        "in his power to do for them."
    )
    cues = cues_from_segments(_speech(text), en)
    assert cues[0].text.startswith("And Mr. John Dashwood")
    assert len(cues) == 2 and cues[0].text.endswith("consider it,")
    sentence = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen"
    halves = cues_from_segments(_speech(sentence + " seventeen eighteen nineteen twenty."), en)
    assert len(halves) == 2 and abs(len(halves[0].text) - len(halves[1].text)) < 20
