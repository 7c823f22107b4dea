"""The benchmark report: a per-language table on the terminal, JSON, Markdown and a PNG chart."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from host_engine.bench.targets import LOWER_IS_BETTER, Verdict
from host_engine.errors import HostEngineError
from host_engine.languages import LANGUAGES


def to_json(verdicts: Sequence[Verdict], header: dict[str, object]) -> dict[str, object]:
    rows = []
    for v in verdicts:
        m = v.measurement
        row: dict[str, object] = {"stage": m.stage, "metric": m.metric, "value": round(m.value, 4)}
        row.update({"pair": m.pair} if m.pair else {"lang": m.lang})
        row.update(
            floor=v.floor,
            target=v.target,
            supported=v.supported,
            synthetic=m.synthetic,
            samples=m.samples,
            below_floor=v.below_floor,
            detail={**m.detail, **({"unsupported": v.reason} if v.reason else {})},
        )
        rows.append(row)
    return {**header, "results": rows}


def _cell(v: Verdict | None) -> str:
    if v is None:
        return "-"
    text = (
        f"{v.measurement.value * 100:.1f}" if v.measurement.metric in ("wer", "cer") else f"{v.measurement.value:.1f}"
    )
    if not v.supported:
        return f"[dim]{text} (unsupported)[/]"
    if v.below_floor:
        return f"[bold red]{text} < floor[/]"
    return f"[green]{text}[/]" if v.meets_target else text


def _find(verdicts: Sequence[Verdict], **match: object) -> Verdict | None:
    for v in verdicts:
        m = v.measurement
        if all(getattr(m, key) == value for key, value in match.items()):
            return v
    return None


def _asr_metric(lang: str) -> str:
    """The headline error rate: CER for unspaced scripts and for Korean (whose words are long compounds)."""
    language = LANGUAGES[lang]
    return "wer" if language.spaced and language.script != "Hang" else "cer"


COLUMNS = (
    "ASR real %",
    "ASR synth %",
    "MT xx->en chrF",
    "MT en->xx chrF",
    "xx->en facts wrong /100",
    "en->xx facts wrong /100",
    "xx->en refused /100",
    "en->xx refused /100",
    "TTS intellig. %",
)


def per_language_rows(verdicts: Sequence[Verdict]) -> list[tuple[str, list[Verdict | None]]]:
    rows = []
    for lang in LANGUAGES:
        metric = _asr_metric(lang)
        rows.append(
            (
                lang,
                [
                    _find(verdicts, stage="asr", lang=lang, metric=metric, synthetic=False),
                    _find(verdicts, stage="asr", lang=lang, metric=metric, synthetic=True),
                    _find(verdicts, stage="mt", pair=f"{lang}-en", metric="chrf"),
                    _find(verdicts, stage="mt", pair=f"en-{lang}", metric="chrf"),
                    _find(verdicts, stage="mt", pair=f"{lang}-en", metric="fact_errors"),
                    _find(verdicts, stage="mt", pair=f"en-{lang}", metric="fact_errors"),
                    _find(verdicts, stage="mt", pair=f"{lang}-en", metric="refused"),
                    _find(verdicts, stage="mt", pair=f"en-{lang}", metric="refused"),
                    _find(verdicts, stage="tts", lang=lang, metric=metric),
                ],
            )
        )
    return rows


def print_table(verdicts: Sequence[Verdict], title: str, console: Console) -> None:
    table = Table(title=title, caption="green: meets target; red: below floor; ASR/TTS in % error (lower is better)")
    table.add_column("lang")
    for column in COLUMNS:
        table.add_column(column, justify="right")
    for lang, cells in per_language_rows(verdicts):
        table.add_row(lang, *(_cell(cell) for cell in cells))
    console.print(table)


def markdown(verdicts: Sequence[Verdict], title: str) -> str:
    def plain(v: Verdict | None) -> str:
        if v is None:
            return "-"
        value = v.measurement.value * 100 if v.measurement.metric in ("wer", "cer") else v.measurement.value
        mark = " (unsupported)" if not v.supported else " **below floor**" if v.below_floor else ""
        return f"{value:.1f}{mark}"

    lines = [f"## {title}", "", "| lang | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    lines += [
        f"| {lang} | " + " | ".join(plain(c) for c in cells) + " |" for lang, cells in per_language_rows(verdicts)
    ]
    lines += [
        "",
        "ASR and TTS columns are error rates in % (WER, or CER for zh/ja/th); synth = speech made by our TTS.",
        "Facts wrong: translations shown with a number, price, unit, name, country or colour wrong, per 100 "
        "(benchmarks/text/facts.yaml); refused: not shown, as no route kept the facts.",
    ]
    return "\n".join(lines) + "\n"


def chart(verdicts: Sequence[Verdict], path: Path, title: str) -> None:
    """One panel per column of the table: value per language, with its floor and target marked."""
    try:
        import matplotlib
    except ImportError:
        raise HostEngineError("benchmark charts need matplotlib: `pip install -e '.[bench]'`") from None

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = per_language_rows(verdicts)
    langs = [lang for lang, _ in rows]
    figure, axes = plt.subplots(1, len(COLUMNS), figsize=(4 * len(COLUMNS), 4.5), sharey=True)
    for index, (axis, column) in enumerate(zip(axes, COLUMNS, strict=True)):
        cells = [cells[index] for _, cells in rows]
        scale = 100 if "%" in column else 1
        values = [c.measurement.value * scale if c else 0 for c in cells]
        colors = [
            "lightgray" if c is None or not c.supported else "tab:red" if c.below_floor else "tab:blue" for c in cells
        ]
        axis.barh(langs, values, color=colors)
        for y, c in enumerate(cells):
            if c and c.floor is not None:
                axis.plot([c.floor * scale] * 2, [y - 0.4, y + 0.4], color="black", linewidth=1.5)
            if c and c.target is not None:
                axis.plot([c.target * scale] * 2, [y - 0.4, y + 0.4], color="tab:green", linewidth=1.5)
        lower = any(c and c.measurement.metric in LOWER_IS_BETTER for c in cells)
        axis.set_title(f"{column}\n({'lower' if lower else 'higher'} is better)", fontsize=9)
        axis.invert_yaxis()
    figure.suptitle(f"{title}   (black: floor, green: target, gray: unsupported or not measured)", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def write_reports(
    verdicts: Sequence[Verdict], header: dict[str, object], out_dir: Path, json_path: Path | None
) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{header['tier']}-{header['suite']}"
    title = f"host-engine {header['tier']} tier, {header['suite']} suite, {header['date']}, {header['machine']}"
    payload = json.dumps(to_json(verdicts, header), ensure_ascii=False, indent=2) + "\n"
    for path in (out_dir / f"{stem}.json", json_path):
        if path is not None:
            path.write_text(payload, encoding="utf-8")
    (out_dir / f"{stem}.md").write_text(markdown(verdicts, title), encoding="utf-8")
    chart(verdicts, out_dir / f"{stem}.png", title)
