from host_engine.dub.lines import sentence_groups, split_by_weights, translate_cues
from host_engine.mt.checked import Checked
from host_engine.subtitles import Cue


class _Upper:
    """A stand-in checked translator that records what it was asked to translate and refuses 'kind' lines."""

    name = "upper"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def translate_checked(self, texts, src, tgt):
        self.seen.extend(texts)
        return [
            Checked(text, "", "", ("upper: numbers changed",))
            if "unkind" in text
            else Checked(text, text.upper(), "upper")
            for text in texts
        ]


CUES = [
    Cue(0, 2, "And Mr. Dashwood had then leisure to consider"),
    Cue(2, 4, "how much was in his power."),
    Cue(5, 6, "He was kind."),
]


def test_groups_follow_sentence_ends():
    assert sentence_groups(CUES) == [[0, 1], [2]]


def test_split_by_weights_keeps_every_word_in_order():
    parts = split_by_weights("a b c d e f g h i j", [3, 1], spaced=True)
    assert parts == ["a b c d e f g h", "i j"] or parts == ["a b c d e f g", "h i j"]
    assert " ".join(parts) == "a b c d e f g h i j"
    assert "".join(split_by_weights("这是一个很好的产品", [1, 1], spaced=False)) == "这是一个很好的产品"
    assert all(split_by_weights("one", [1, 1, 1], spaced=True)[:1])


def test_sentences_are_translated_whole_then_dealt_back():
    engine = _Upper()
    out = translate_cues(engine, CUES, "en", "es")
    assert engine.seen == [
        "And Mr. Dashwood had then leisure to consider how much was in his power.",
        "He was kind.",
    ]
    assert len(out) == 3 and out[2].text == "HE WAS KIND."
    assert " ".join(line.text for line in out[:2]) == engine.seen[0].upper()
    assert [line.source for line in out] == [cue.text for cue in CUES]


def test_a_refused_sentence_leaves_each_of_its_cues_refused():
    cues = [Cue(0, 2, "He was unkind"), Cue(2, 3, "to all of them."), Cue(4, 5, "Then he left.")]
    out = translate_cues(_Upper(), cues, "en", "es")
    assert [line.refused for line in out] == [True, True, False]
    assert out[0].text == out[1].text == "" and "numbers changed" in out[0].reason
    assert out[2].text == "THEN HE LEFT."
