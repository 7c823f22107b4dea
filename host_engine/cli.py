"""The `host-engine` command: a thin shell over the library. Exit 0 on success, 2 with one line on bad input."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from host_engine import registry
from host_engine.errors import HostEngineError
from host_engine.live.retranslate import Stability
from host_engine.speakers import MAX_SPEAKERS

if TYPE_CHECKING:
    from host_engine.host.pipeline import Pipeline
    from host_engine.live.session import LiveRequest
    from host_engine.live.sources import AudioSource
    from host_engine.server.auth import Access
    from host_engine.server.jobs_client import JobsClient

app = typer.Typer(
    help="Offline-first AI virtual host and multilingual translation worker.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
models_app = typer.Typer(help="List, install and verify models (manifests in models/*.yaml).", no_args_is_help=True)
app.add_typer(models_app, name="models")
avatar_app = typer.Typer(help="Avatar packs (voices/avatars/) and lip-synced renders.", no_args_is_help=True)
app.add_typer(avatar_app, name="avatar")
jobs_app = typer.Typer(help="Dubbing jobs on a `host-engine service` (its /v1/jobs API).", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")

DEFAULT_SERVICE_URL = "http://127.0.0.1:8780"
out = Console() if sys.stdout.isatty() else Console(width=200)
"""Piped output gets wide lines, so tables stay one row per model for grep and scripts."""
err = Console(stderr=True)


@app.callback()
def _options(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what each stage does.")] = False,
) -> None:
    logging.getLogger("host_engine").setLevel(logging.INFO if verbose else logging.WARNING)


class TranscriptFormat(StrEnum):
    txt = "txt"
    json = "json"
    srt = "srt"
    vtt = "vtt"


@models_app.command("list")
def models_list() -> None:
    """Show every model: task, tier, languages, size and whether it is installed here."""
    table = Table("id", "task", "backend", "tier", "languages / pairs", "size MB", "installed")
    for manifest in registry.load_manifests().values():
        langs = " ".join(manifest.pairs) or " ".join(manifest.languages) or "-"
        installed = "[green]yes[/]" if registry.is_installed(manifest) else "[red]no[/]"
        table.add_row(
            manifest.id, manifest.task, manifest.backend, manifest.tier, langs, f"{manifest.size_mb:g}", installed
        )
    out.print(table)


@models_app.command("routes")
def models_routes(
    src: Annotated[str | None, typer.Option("--src", help="Only directions from this language.")] = None,
    tgt: Annotated[str | None, typer.Option("--tgt", help="Only directions into this language.")] = None,
) -> None:
    """Each direction's translation route: chrF on the dev split with its 95 % interval, the route live captions
    and the host take where it differs (the quickest the measurements cannot tell apart; no batch-only model),
    whether it may be shown live (pipelines/translation.yaml), and the facts it got wrong or refused in the last
    benchmark (per 100)."""
    from rich.markup import escape

    from host_engine.bench.facts import last_measured
    from host_engine.engines import Engines
    from host_engine.languages import LANGUAGES, get_language

    engines = Engines()
    translator, live_translator = engines.translator, engines.live_translator
    facts = last_measured()
    wanted_src = get_language(src).code if src else None
    wanted_tgt = get_language(tgt).code if tgt else None
    table = Table("direction", "route", "chrF", "dev sentences", "live", "facts wrong", "refused")
    for source in LANGUAGES:
        for target in LANGUAGES:
            if source == target or wanted_src not in (None, source) or wanted_tgt not in (None, target):
                continue
            if (source, target) not in translator.pairs():
                table.add_row(f"{source}-{target}", "[red]none installed[/]", "-", "-", "-", "-", "-")
                continue
            route = translator.router.route(source, target)
            size = translator.router.quality.sizes.get(route.hops, translator.router.quality.sentences)
            score = f"{route.score:.1f}" + (f" ± {route.margin:.1f}" if route.margin else "")
            live, also = "[red]no live route[/]", ""
            if (source, target) in live_translator.pairs():
                live = "[red]below floor[/]" if live_translator.weakness(source, target) else "yes"
                taken = live_translator.router.route(source, target)
                also = "" if taken.hops == route.hops else f"\nlive: {taken.chain} (chrF {taken.score:.1f})"
            measured = facts.get(f"{source}-{target}", {})
            table.add_row(
                f"{source}-{target}",
                escape(route.chain + also),
                score if route.measured else f"{score} (estimated)",
                str(size) if route.measured else "-",
                live,
                f"{measured['fact_errors']:.1f}" if "fact_errors" in measured else "-",
                f"{measured['refused']:.1f}" if "refused" in measured else "-",
            )
    out.print(table)


@models_app.command("install")
def models_install(
    model_ids: Annotated[list[str] | None, typer.Argument(help="Model ids (or use --tier).")] = None,
    tier: Annotated[str | None, typer.Option(help="Install every model of this tier (offline | large).")] = None,
    source: Annotated[Path | None, typer.Option("--from", help="Install from a local model folder.")] = None,
) -> None:
    """Assemble models into the cache (HOST_ENGINE_MODELS, default ~/.cache/host-engine), checking SHA-256."""
    manifests = registry.load_manifests()
    chosen = [registry.get_manifest(i) for i in model_ids or []]
    if tier:
        chosen += [m for m in manifests.values() if m.tier == tier and m not in chosen]
    if not chosen:
        raise HostEngineError("name model ids or --tier offline; `host-engine models list` shows them")
    for manifest in chosen:
        with err.status(f"installing {manifest.id} ({manifest.size_mb:g} MB)"):
            folder = registry.install(manifest, source)
        err.print(f"[green]ok[/] {manifest.id} -> {folder}")


@models_app.command("verify")
def models_verify() -> None:
    """Re-hash the files of every installed model against its manifest; exit 1 on any mismatch."""
    results = registry.verify(registry.load_manifests().values())
    for result in results:
        state = "not installed" if not result.installed else "ok" if result.ok else ", ".join(result.failures)
        out.print(f"{result.model_id}: {state}")
    if any(r.installed and not r.ok for r in results):
        raise typer.Exit(1)


@app.command()
def transcribe(
    input: Annotated[Path, typer.Argument(help="Any audio or video file FFmpeg can read.")],
    lang: Annotated[str | None, typer.Option("--lang", help="Spoken language; detected when omitted.")] = None,
    format: Annotated[TranscriptFormat, typer.Option("--format", help="Output format.")] = TranscriptFormat.txt,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write here instead of stdout.")] = None,
    model: Annotated[str, typer.Option(help="ASR model id.")] = "whisper-base",
    to_english: Annotated[
        bool, typer.Option("--to-english", help="Whisper speech translation: English text from any language.")
    ] = False,
) -> None:
    """Transcribe speech with word timestamps; silence and music give no text."""
    from host_engine.engines import Engines
    from host_engine.transcript import render_transcript, transcribe_file

    with err.status("transcribing"):
        segments, info = transcribe_file(input, lang, Engines(asr_model=model), to_english)
    text = render_transcript(segments, info, format.value)
    if output:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output} ({len(segments)} segments, language {info.language})")
    else:
        sys.stdout.write(text)


@app.command()
def translate(
    src: Annotated[str, typer.Option("--src", help="Source language code.")],
    tgt: Annotated[str, typer.Option("--tgt", help="Target language code.")],
    text: Annotated[list[str] | None, typer.Argument(help="Sentences; none reads one per stdin line.")] = None,
) -> None:
    """Translate through the best measured path of installed engines (pivoting where that scores higher).

    A line whose translation changed a number, a price, a name or the language on every route tried is not
    printed (an empty line keeps the others in place); stderr says why, and the exit status is 1."""
    from host_engine.engines import Engines
    from host_engine.languages import get_language

    source, target = get_language(src).code, get_language(tgt).code
    engines = Engines()
    logging.getLogger(__name__).info("route %s", engines.router.route(source, target))
    lines = text if text else [line.rstrip("\n") for line in sys.stdin]
    translations = engines.translator.translate_checked(lines, source, target)
    for number, checked in enumerate(translations, start=1):
        sys.stdout.write(checked.text + "\n")  # an empty line for a refused one: output lines stay aligned
        if checked.refused:
            err.print(f"line {number} not translated: {checked.reason}", markup=False)
    if any(checked.refused for checked in translations):
        raise typer.Exit(1)


@app.command()
def speak(
    text: Annotated[str, typer.Argument(help="What to say.")],
    lang: Annotated[str, typer.Option("--lang", help="Language code.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="WAV file to write.")],
    voice: Annotated[str | None, typer.Option(help="Voice profile name (voices/*.yaml).")] = None,
) -> None:
    """Synthesize speech to a WAV file with the language's default voice (or --voice)."""
    from host_engine.engines import Engines
    from host_engine.speech import speak_to_file

    seconds = speak_to_file(Engines(), text, lang, output, voice)
    err.print(f"wrote {output} ({seconds:.2f} s)")


class FrameSize(StrEnum):
    hd = "720p"
    full_hd = "1080p"


@avatar_app.command("list")
def avatar_list() -> None:
    """Show the installed avatar packs."""
    from host_engine.avatar.pack import available_packs, load_pack

    table = Table("name", "kind", "image", "license")
    for name in available_packs():
        pack = load_pack(name)
        table.add_row(pack.name, pack.kind, str(pack.image), pack.license)
    out.print(table)


@avatar_app.command("prepare")
def avatar_prepare(
    image: Annotated[Path, typer.Argument(help="A front-facing portrait (JPEG or PNG).")],
    name: Annotated[str, typer.Option(help="Pack name: a folder voices/avatars/NAME is created.")],
    license: Annotated[str, typer.Option(help="Where the portrait comes from and its licence.")] = "unknown",
) -> None:
    """Find the mouth, eyes and chin (dlib landmarks, else OpenCV cascades) and write a photo pack to adjust."""
    from host_engine.avatar.prepare import prepare_pack

    pack = prepare_pack(image, name, license)
    err.print(f"wrote {pack.folder / 'pack.yaml'}; check it with: host-engine avatar render --pack {pack.name} ...")


@avatar_app.command("render")
def avatar_render(
    output: Annotated[Path, typer.Option("-o", "--output", help="MP4 to write (H.264 + AAC).")],
    pack: Annotated[str, typer.Option(help="Avatar pack name (host-engine avatar list) or folder.")] = "astronaut",
    audio: Annotated[Path | None, typer.Option(help="Speech to lip-sync (any file FFmpeg reads).")] = None,
    text: Annotated[str | None, typer.Option(help="Instead of --audio: text the --lang voice speaks.")] = None,
    lang: Annotated[str | None, typer.Option(help="Language of --text.")] = None,
    size: Annotated[FrameSize, typer.Option(help="Frame size.")] = FrameSize.hd,
    fps: Annotated[float, typer.Option(min=5, max=60, help="Frames per second.")] = 25.0,
    seed: Annotated[int, typer.Option(help="Seed of the blinks and head motion.")] = 0,
) -> None:
    """Render a lip-synced talking host: mouth shapes from the audio (--audio) or the voice's phonemes (--text)."""
    from host_engine.avatar.render import RenderOptions, render_audio, render_text

    if (audio is None) == (text is None):
        raise HostEngineError("give either --audio FILE or --text TEXT --lang xx")
    options = RenderOptions(size=size.value, fps=fps, seed=seed)
    with stage_progress() as progress:

        def tick(done: int, total: int) -> None:
            progress("rendering", done, total)

        if audio is not None:
            frames = render_audio(pack, audio, output, options, tick)
        else:
            if lang is None:
                raise HostEngineError("--text needs --lang (the language to speak it in)")
            from host_engine.engines import Engines

            frames = render_text(Engines(), pack, text or "", lang, output, options, tick)
    err.print(f"wrote {output} ({frames} frames, {frames / fps:.2f} s at {fps:g} fps, {size.value})")


@app.command()
def dub(
    input: Annotated[Path, typer.Argument(help="A recorded stream or clip (audio or video), or a folder of them.")],
    to: Annotated[str, typer.Option("--to", help="Target languages, comma-separated: es,pt")],
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")],
    src: Annotated[str | None, typer.Option("--src", help="Source language; detected when omitted.")] = None,
    voice: Annotated[
        list[str] | None,
        typer.Option(
            "--voice",
            help="LANG=PROFILE for the speaker heard longest, LANG:S2=PROFILE for another, e.g. pt=pt-kumo "
            "(voices/*.yaml); repeatable. Other speakers get distinct voices of their language.",
        ),
    ] = None,
    speakers: Annotated[
        int | None,
        typer.Option(min=1, max=MAX_SPEAKERS, help="How many people speak in the clip; estimated when left out."),
    ] = None,
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            help="Run the heavy stages on Ray ('local', 'auto' or the head's HOST:PORT); a folder's clips at once.",
        ),
    ] = None,
) -> None:
    """Dub a clip (or every clip in a folder): one audio track per language muxed with the video, SRT/VTT
    subtitles, a report; all named after the clip (CLIP.dub.mp4, CLIP.LANG.srt, CLIP.report.json)."""
    from concurrent.futures import ThreadPoolExecutor

    from host_engine.dub.job import DubRequest
    from host_engine.dub.job import dub as run_dub
    from host_engine.engines import Engines
    from host_engine.languages import parse_language_list

    clips = _clips_in(input) if input.is_dir() else [input]
    voices = dict(_key_value(item, "--voice") for item in voice or [])
    targets = tuple(parse_language_list(to))
    engines = Engines()
    executor = None
    if ray is not None:
        from host_engine.service.ray_executor import RayExecutor

        executor = RayExecutor(ray)
    with stage_progress() as progress:

        def one(clip: Path) -> str:
            request = DubRequest(
                input=clip, targets=targets, out_dir=out_dir, source_lang=src, voices=voices, speakers=speakers
            )
            hook = partial(_clip_stage, progress, clip.stem) if len(clips) > 1 else progress
            try:
                result = run_dub(request, engines, hook, executor=executor)
            except HostEngineError as exc:
                if len(clips) == 1:
                    raise
                return f"[red]failed[/] {escape(clip.name)}: {escape(str(exc))}"
            report = json.loads(result.report.read_text(encoding="utf-8"))
            return (f"[green]done[/] {result.video} in {report['wall_seconds']:.1f} s "
                    f"(real-time factor {report['real_time_factor']}); report: {result.report}")  # fmt: skip

        with ThreadPoolExecutor(max_workers=min(len(clips), MAX_CLIPS_AT_ONCE) if executor else 1) as pool:
            said = list(pool.map(one, clips))
    for line in said:
        err.print(line)
    if any(line.startswith("[red]") for line in said):
        raise typer.Exit(2)


MAX_CLIPS_AT_ONCE = 8
"""Clips of a folder dubbed at once on Ray (their stages spread over the cluster)."""
CLIP_SUFFIXES = frozenset({".mp4", ".mkv", ".mov", ".webm", ".flv", ".ts", ".avi", ".m4a", ".mp3", ".wav", ".flac",
                           ".ogg", ".opus", ".aac"})  # fmt: skip


def _clips_in(folder: Path) -> list[Path]:
    """The media files in `folder` (not hidden ones, nor dubs made earlier)."""
    clips = sorted(
        path for path in folder.iterdir()
        if path.is_file() and path.suffix.lower() in CLIP_SUFFIXES and not path.name.startswith(".")
        and not path.name.endswith(".dub.mp4")
    )  # fmt: skip
    if not clips:
        raise HostEngineError(f"{folder}: no audio or video files to dub ({', '.join(sorted(CLIP_SUFFIXES))})")
    return clips


def _clip_stage(progress: Callable[[str, int, int], None], clip: str, stage: str, done: int, total: int) -> None:
    progress(f"{clip} {stage}", done, total)


@app.command()
def subtitles(
    input: Annotated[str, typer.Argument(help="A file or any FFmpeg URL (rtmp://, srt://, udp://, an HLS .m3u8).")],
    to: Annotated[str, typer.Option("--to", help="Caption languages besides the source, comma-separated.")] = "",
    src: Annotated[str | None, typer.Option("--src", help="Spoken language; detected when omitted.")] = None,
    realtime: Annotated[bool, typer.Option("--realtime", help="Read a file at 1x speed, like a live feed.")] = False,
    jsonl: Annotated[bool, typer.Option("--jsonl", help="Every event (partials too) as one JSON line.")] = False,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Folder for <lang>.srt/.vtt, written as finals arrive.")
    ] = None,
    policy: Annotated[str, typer.Option(help="Commit policy: agreement, or the naive baseline fixed-window.")] = (
        "agreement"
    ),
    stability: Annotated[
        Stability,
        typer.Option(
            help="Translations of a sentence still being said: all but the last 2 words shown as stable (mask-k), "
            "the part two translations agree on (agreement), or none until the sentence ends (none)."
        ),
    ] = Stability.mask_k,
) -> None:
    """Live captions: partial then final source text, translations of each sentence as it grows, SRT/VTT as finals
    arrive."""
    import asyncio

    from host_engine.languages import parse_language_list
    from host_engine.live.session import LiveRequest
    from host_engine.live.sources import FFmpegSource

    if "://" not in input and not Path(input).is_file():
        raise HostEngineError(f"{input}: no such file (or give a URL such as rtmp://host/app/key)")
    targets = tuple(parse_language_list(to)) if to else ()
    request = LiveRequest(targets, source_lang=src, policy=policy, subtitles_dir=out_dir, stability=stability)
    fatal = asyncio.run(_print_live_events(FFmpegSource(input, realtime), request, jsonl))
    if fatal:
        raise HostEngineError(fatal)


async def _print_live_events(source: AudioSource, request: LiveRequest, jsonl: bool) -> str | None:
    """Print a session's events (JSON lines, or finals as text); returns the fatal error's message, if any."""
    from host_engine.engines import Engines
    from host_engine.events import CaptionEvent, EndEvent, ErrorEvent
    from host_engine.live.session import LiveSession

    fatal = None
    async for event in LiveSession(source, Engines(), request).events():
        if jsonl:
            sys.stdout.write(event.to_json() + "\n")
            sys.stdout.flush()
        elif isinstance(event, CaptionEvent) and event.final:
            stamp = f"[dim]{event.start:7.2f}-{event.end:7.2f}[/]"
            out.print(f"{stamp} [bold]{event.lang}[/] {escape(event.text)}", highlight=False)
        elif isinstance(event, EndEvent) and not fatal:
            err.print(f"end of stream after {event.audio_seconds:.1f} s of audio", highlight=False)
        if isinstance(event, ErrorEvent):
            if event.fatal:
                fatal = event.message
            elif not jsonl:
                err.print(f"warning: {event.message}", markup=False, highlight=False)
    return fatal


TokenFile = Annotated[
    Path | None,
    typer.Option(
        "--token-file",
        help="Read the access token from this file. Default: $HOST_ENGINE_TOKEN, else one generated once and kept "
        "(mode 0600) in the state folder.",
    ),
]
NoAuth = Annotated[
    bool, typer.Option("--no-auth", help="Serve without a token: development on a loopback address only.")
]
AllowOrigin = Annotated[
    list[str] | None,
    typer.Option("--allow-origin", help="Also accept WebSockets from this web origin, e.g. https://studio.example."),
]
AllowHost = Annotated[
    list[str] | None,
    typer.Option("--allow-host", help="Also accept requests naming this host (a DNS name of this machine)."),
]


def _access(
    bind: str, store: Path, token_file: Path | None, no_auth: bool, origins: list[str] | None, hosts: list[str] | None
) -> Access:
    from host_engine.server.auth import access_for

    return access_for(bind, store, token_file, no_auth, tuple(origins or ()), tuple(hosts or ()))


def _announce(access: Access, url: str) -> None:
    """Say where the server is, with the token in the URL only when it was just made (the one time it is shown)."""
    token, join = access.token, "&" if "?" in url else "?"
    if token is None:
        line = f"{url}  (no token: --no-auth)"
    elif token.generated:
        line = f"{url}{join}token={token.value}\n(a new access token, kept in {token.source}; every client needs it)"
    else:
        line = f"{url}{join}token=<the token in {token.source}>"
    err.print(line, highlight=False, markup=False, soft_wrap=True)


@app.command()
def host(
    pipeline: Annotated[Path, typer.Option("--pipeline", help="The show: pipelines/overnight_host.yaml.")],
    minutes: Annotated[float | None, typer.Option(help="Stop after this long (default: until Ctrl-C).")] = None,
    output: Annotated[
        list[str] | None, typer.Option("--output", help="Stream here instead of the pipeline's outputs (repeatable).")
    ] = None,
    listen: Annotated[str, typer.Option(help="Chat endpoint and /metrics address, HOST:PORT.")] = "127.0.0.1:8766",
    token_file: TokenFile = None,
    no_auth: NoAuth = False,
    allow_origin: AllowOrigin = None,
    allow_host: AllowHost = None,
    prepare: Annotated[
        bool,
        typer.Option(
            "--prepare",
            help="Only do the start-up work, off air, and exit: the studio's texts translated and the voice's memory "
            "of the lines said again and again (minutes on 2 cores), kept in the state folder, so that the show's "
            "first minutes on air answer as fast as after a restart.",
        ),
    ] = False,
) -> None:
    """Run the unattended virtual host: rundown, chat answered aloud by the avatar, streamed through FFmpeg.
    Chat (POST /chat, /ws/chat), the caption overlay and /metrics need the access token."""
    import asyncio

    from host_engine.host.pipeline import load_pipeline
    from host_engine.server.host_app import serve_show

    address, _, port = listen.rpartition(":")
    if not port.isdigit():
        raise HostEngineError(f"--listen takes HOST:PORT, got '{listen}'")
    show = load_pipeline(pipeline)
    if prepare:
        _prepare_show(show)
        return
    access = _access(address, show.state_dir / "token", token_file, no_auth, allow_origin, allow_host)
    err.print(f"host '{show.name}': chat at http://{address}:{port}/chat, metrics at /metrics", highlight=False)
    _announce(access, f"http://{address}:{port}/overlay?lang=src")
    err.print(
        f"preparing: the studio's texts in {len(show.languages)} languages (machine-translated on the first start, "
        f"a minute or two on 2 cores; later starts read {show.state_dir / 'translations.json'}); log: "
        f"{show.state_dir / 'host.log'}",
        highlight=False,
    )
    result = asyncio.run(serve_show(show, minutes, output, (address, int(port)), access))
    counters = result.counters
    err.print(
        f"stopped: {counters.comments_in} comments in, {counters.answered} answered, blocked {counters.blocked}",
        highlight=False,
    )


def _prepare_show(pipeline: Pipeline) -> None:
    import asyncio
    import time

    from host_engine.engines import Engines
    from host_engine.host.show import Show

    began = time.monotonic()
    err.print(f"preparing '{pipeline.name}' in {len(pipeline.languages)} languages, off air", highlight=False)
    with stage_progress() as progress:
        show = Show(pipeline, Engines())
        asyncio.run(show.prepare(progress))
    memory = show.voice.memory
    err.print(
        f"prepared in {time.monotonic() - began:.0f} s: {len(memory)} lines in the voice's memory "
        f"({memory.seconds / 60:.1f} min of speech), kept in {pipeline.state_dir}",
        highlight=False,
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8765,
    input: Annotated[str | None, typer.Option("--input", help="Caption this file or URL from the start.")] = None,
    to: Annotated[str, typer.Option("--to", help="Caption languages for --input, comma-separated.")] = "",
    src: Annotated[str | None, typer.Option("--src", help="Spoken language of --input.")] = None,
    realtime: Annotated[bool, typer.Option("--realtime", help="Read a file --input at 1x speed.")] = False,
    token_file: TokenFile = None,
    no_auth: NoAuth = False,
    allow_origin: AllowOrigin = None,
    allow_host: AllowHost = None,
    allow_local_inputs: Annotated[
        bool, typer.Option("--allow-local-inputs", help="Let clients caption files on this machine (POST /sessions).")
    ] = False,
) -> None:
    """Caption server: overlay page at /overlay?lang=src,es for OBS, /ws/captions, PCM ingest at /ws/audio. Every
    route needs the access token; clients may start sessions on network streams only."""
    import uvicorn

    from host_engine.server.app import StartSession, create_app
    from host_engine.server.limits import server_config

    access = _access(host, registry.cache_root() / "serve.token", token_file, no_auth, allow_origin, allow_host)
    boot = StartSession(input=input, to=to, src=src, realtime=realtime) if input else None
    err.print("overlay:", highlight=False)
    _announce(access, f"http://{host}:{port}/overlay?lang=src{',' + to if to else ''}")
    app = create_app(access, boot=boot, allow_local_inputs=allow_local_inputs)
    uvicorn.Server(server_config(app, host, port)).run()


@app.command()
def service(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8780,
    data: Annotated[
        Path | None, typer.Option(help="Where jobs, uploads and outputs are kept (default: the cache's service/).")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Jobs run at once.")] = 1,
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            help="Run the jobs' stages on Ray: 'local' (a Ray instance on this machine), 'auto' (the cluster this "
            "machine is part of) or the head's HOST:PORT. Default: in this process.",
        ),
    ] = None,
    keep_days: Annotated[float, typer.Option(help="Finished jobs (and their files) are deleted after this.")] = 7.0,
    keep_gb: Annotated[float, typer.Option(help="... or, oldest first, once they take more than this.")] = 50.0,
    token_file: TokenFile = None,
    no_auth: NoAuth = False,
    allow_origin: AllowOrigin = None,
    allow_host: AllowHost = None,
) -> None:
    """The studio's service: dubbing jobs (/v1/jobs: submit, progress, events, files, cancel; kept in SQLite, resumed
    after a restart) and an OpenAI-compatible audio API (/v1/audio/transcriptions, /translations, /speech,
    /v1/translations, /v1/models) that OpenAI's SDKs call unchanged. Every route needs the access token."""
    import uvicorn

    from host_engine.server.limits import server_config
    from host_engine.server.service_app import Retention, create_service_app

    folder = data or registry.cache_root() / "service"
    access = _access(host, folder / "token", token_file, no_auth, allow_origin, allow_host)
    err.print(f"service: http://{host}:{port}/v1 (OpenAI's base_url), jobs kept in {folder}", highlight=False)
    _announce(access, f"http://{host}:{port}/v1/jobs")
    retention = Retention(keep_days, int(keep_gb * 1024**3))
    app = create_service_app(access, folder, workers=workers, retention=retention, ray_address=ray)
    uvicorn.Server(server_config(app, host, port)).run()


ServiceUrl = Annotated[str, typer.Option("--url", help="The service.")]
ServiceToken = Annotated[
    Path | None, typer.Option("--token-file", help="Default: $HOST_ENGINE_TOKEN, else the local service's token file.")
]
JobId = Annotated[str, typer.Argument(help="A job id (job_...).")]


def _jobs(url: str, token_file: Path | None) -> JobsClient:
    from host_engine.server.jobs_client import JobsClient, local_token

    return JobsClient(url, local_token(token_file))


@jobs_app.command("submit")
def jobs_submit(
    clip: Annotated[Path, typer.Argument(help="A recorded stream or clip (audio or video).")],
    to: Annotated[str, typer.Option("--to", help="Target languages, comma-separated: es,pt")],
    src: Annotated[str | None, typer.Option("--src", help="Source language; detected when omitted.")] = None,
    voice: Annotated[
        list[str] | None, typer.Option("--voice", help="LANG=PROFILE or LANG:S2=PROFILE; repeatable.")
    ] = None,
    speakers: Annotated[int | None, typer.Option(min=1, max=MAX_SPEAKERS, help="How many people speak.")] = None,
    key: Annotated[str | None, typer.Option(help="Idempotency key: submitting again returns the same job.")] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Follow the job to its end.")] = False,
    out_dir: Annotated[Path | None, typer.Option("--out", help="With --wait: download its files here.")] = None,
    url: ServiceUrl = DEFAULT_SERVICE_URL,
    token_file: ServiceToken = None,
) -> None:
    """Upload a clip for dubbing; prints the job id (and with --wait, follows it)."""
    client = _jobs(url, token_file)
    job = client.submit(clip, to, src, ",".join(voice or []), key, speakers)
    out.print(job["id"])
    if wait:
        _follow(client, job["id"], out_dir)


@jobs_app.command("list")
def jobs_list(
    state: Annotated[str | None, typer.Option(help="queued, running, done, failed or cancelled.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
    url: ServiceUrl = DEFAULT_SERVICE_URL,
    token_file: ServiceToken = None,
) -> None:
    """The newest jobs."""
    table = Table("id", "state", "progress", "file", "to", "error")
    for job in _jobs(url, token_file).jobs(state, limit)["data"]:
        request = job["request"]
        table.add_row(job["id"], job["state"], f"{job['progress']:.0%}", request.get("filename", ""),
                      ",".join(request.get("to", [])), escape(job["error"] or ""))  # fmt: skip
    out.print(table)


@jobs_app.command("status")
def jobs_status(job_id: JobId, url: ServiceUrl = DEFAULT_SERVICE_URL, token_file: ServiceToken = None) -> None:
    """One job as JSON: state, progress by stage and language, ETA, error, files."""
    sys.stdout.write(json.dumps(_jobs(url, token_file).job(job_id), ensure_ascii=False, indent=2) + "\n")


@jobs_app.command("wait")
def jobs_wait(
    job_id: JobId,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Download its files here once done.")] = None,
    url: ServiceUrl = DEFAULT_SERVICE_URL,
    token_file: ServiceToken = None,
) -> None:
    """Follow a job to its end with a progress bar; exit 1 if it failed or was cancelled."""
    _follow(_jobs(url, token_file), job_id, out_dir)


@jobs_app.command("download")
def jobs_download(
    job_id: JobId,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write its files into.")] = Path("."),
    url: ServiceUrl = DEFAULT_SERVICE_URL,
    token_file: ServiceToken = None,
) -> None:
    """Every file of a finished job."""
    for path in _jobs(url, token_file).download(job_id, out_dir):
        out.print(str(path), highlight=False)


@jobs_app.command("cancel")
def jobs_cancel(job_id: JobId, url: ServiceUrl = DEFAULT_SERVICE_URL, token_file: ServiceToken = None) -> None:
    """Cancel a queued or running job; a finished one is deleted with its files."""
    job = _jobs(url, token_file).cancel(job_id)
    out.print(f"{job['id']}: {'deleted' if job.get('deleted') else job['state']}", highlight=False)


def _follow(client: JobsClient, job_id: str, out_dir: Path | None) -> None:
    job = client.job(job_id)
    with stage_progress() as progress:
        for job in client.events(job_id):
            progress(job_id, round(job["progress"] * 1000), 1000)
    if job["state"] != "done":
        err.print(f"{job_id}: {job['state']}{': ' + job['error'] if job['error'] else ''}", markup=False)
        raise typer.Exit(1)
    err.print(f"{job_id}: done, {len(job['files'])} files", highlight=False)
    if out_dir is not None:
        for path in client.download(job_id, out_dir):
            out.print(str(path), highlight=False)


@contextmanager
def stage_progress() -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress bar per stage on a terminal (silent when piped); yields the (stage, done, total) hook."""
    with Progress(
        TextColumn("{task.description:<16}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err,
        disable=not err.is_terminal,
    ) as bars:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bars.add_task(stage, total=total)
            bars.update(tasks[stage], completed=done, total=total)

        yield progress


@app.command()
def bench(
    suite: Annotated[str, typer.Option(help="quick (CI, under 10 minutes) or full.")] = "quick",
    tier: Annotated[str, typer.Option(help="Which targets to judge against (benchmarks/targets.yaml).")] = "offline",
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the JSON report here.")] = None,
    calibrate: Annotated[
        bool, typer.Option(help="Instead: measure MT routes on the dev split and rewrite models/quality/mt.yaml.")
    ] = False,
    pairs: Annotated[
        str | None,
        typer.Option(help="With --calibrate: only these directions, e.g. 'en-zh,zh-en' (default: all 156, hours)."),
    ] = None,
) -> None:
    """Measure ASR, MT and TTS per language against floors and targets; exit 1 naming every value below its floor.

    Writes benchmarks/results/<tier>-<suite>.{json,md,png}.
    """
    from host_engine.bench.report import print_table, write_reports
    from host_engine.bench.runner import RESULTS_DIR, calibrate_routes, run_suite
    from host_engine.bench.targets import failures

    if calibrate:
        chosen = [_pair(text) for text in pairs.split(",")] if pairs else None
        with err.status("measuring MT edges and pivot routes on the dev split"):
            path = calibrate_routes(chosen)
        err.print(f"wrote {path}")
        return

    with stage_progress() as progress:
        verdicts, header = run_suite(suite, tier, progress)
    write_reports(verdicts, header, RESULTS_DIR, json_out)
    print_table(verdicts, f"{tier} tier, {suite} suite ({header['wall_seconds']} s, {header['machine']})", out)
    below = failures(verdicts)
    for line in below:
        err.print(f"below floor: {line}", markup=False, highlight=False)
    if below:
        raise typer.Exit(1)


def _pair(text: str) -> tuple[str, str]:
    from host_engine.languages import get_language

    src, sep, tgt = text.strip().partition("-")
    if not sep:
        raise HostEngineError(f"--pairs takes SRC-TGT directions separated by commas, e.g. en-zh; got '{text}'")
    return get_language(src).code, get_language(tgt).code


def _key_value(item: str, option: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise HostEngineError(f"{option} takes LANG=NAME, got '{item}'")
    return key.strip(), value.strip()


def main() -> None:
    """Entry point: user errors become one line on stderr and exit code 2, never a traceback."""
    from host_engine.urls import RedactUrls

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactUrls())
    try:
        app()
    except HostEngineError as exc:
        err.print(f"error: {exc}", highlight=False, markup=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        sys.exit(130)
