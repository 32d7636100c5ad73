"""``im4talkin talk``: a conversation on a topic, spoken (push-to-talk) or typed.

Scripted runs take ``--text`` and ``--input-audio`` turns and exit; the interactive loop
records from the microphone when there is one and the terminal can drive push-to-talk.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

from .. import registry
from ..audio import devices
from ..audio.io import load_audio
from ..config import Settings, load_settings, override
from ..errors import InputError
from ..paths import ensure_writable
from ..progress.history import load_history
from ..progress.review import Drill
from ..progress.xp import gained_line, snapshot
from ..progress.xp import progress as progress_of
from ..store import running
from ..store.db import SessionInfo, Store
from ..tutor.build import build_conversation
from ..tutor.topics import load_topic
from . import render
from .record import microphone
from .turns import Run, interactive

log = logging.getLogger(__name__)


@contextmanager
def _assembly_progress(console: Console, status=None):
    """A progress bar for the one-time join of a bundled model; silent when nothing to do.

    ``status`` is the spinner shown while models load: it is stopped before the bar starts,
    since a terminal can show only one live display at a time.
    """
    bar: dict = {}

    def update(done: int, total: int) -> None:
        if "p" not in bar:
            if status is not None:
                status.stop()
            bar["p"] = Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                DownloadColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            )
            bar["p"].start()
            bar["t"] = bar["p"].add_task("preparing the partner model (once)", total=total)
        bar["p"].update(bar["t"], completed=done)

    try:
        yield update
    finally:
        if "p" in bar:
            bar["p"].stop()


def talk(
    topic: Annotated[
        str, typer.Option(help="What to talk about (see 'im4talkin topics').")
    ] = "travel",
    text: Annotated[
        list[str] | None, typer.Option("--text", help="Run this typed turn and exit (repeatable).")
    ] = None,
    input_audio: Annotated[
        list[Path] | None,
        typer.Option(
            "--input-audio",
            help="Run a spoken turn from this recording (wav/flac/ogg/mp3) and exit (repeatable).",
        ),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="One JSON object per turn on stdout, nothing else.")
    ] = False,
    speak: Annotated[
        bool | None, typer.Option("--speak/--no-speak", help="Speak the partner's replies aloud.")
    ] = None,
    save_audio: Annotated[
        Path | None, typer.Option("--save-audio", help="Write each reply as a WAV file in DIR.")
    ] = None,
    speed: Annotated[
        float | None, typer.Option(help="How fast the partner speaks: 0.5 to 2.0.")
    ] = None,
    asr: Annotated[
        str | None, typer.Option(help="Speech recognition: whisper-base (default) or whisper-tiny.")
    ] = None,
    device: Annotated[
        str | None, typer.Option(help="Microphone: index or name from 'im4talkin devices'.")
    ] = None,
    output_device: Annotated[
        str | None, typer.Option("--output-device", help="Speakers: index or name.")
    ] = None,
    typed: Annotated[
        bool, typer.Option("--typed", help="Type every turn; do not use the microphone.")
    ] = False,
    llm: Annotated[
        str | None,
        typer.Option(help="Partner model: qwen (default), smollm2, or openai (a server)."),
    ] = None,
    llm_model: Annotated[
        str | None, typer.Option("--llm-model", help="Any chat GGUF file to use as the partner.")
    ] = None,
    llm_url: Annotated[
        str | None,
        typer.Option("--llm-url", help="With --llm openai: the server, e.g. http://HOST:PORT/v1."),
    ] = None,
    level: Annotated[str | None, typer.Option(help="Your level: A2, B1 or B2.")] = None,
    learner: Annotated[str | None, typer.Option(help="Whose history this session joins.")] = None,
    profile: Annotated[str | None, typer.Option(help="Settings profile from configs/.")] = None,
    llm_feedback: Annotated[
        bool | None,
        typer.Option(
            "--llm-feedback/--no-llm-feedback",
            help="Let the partner model suggest corrections too.",
        ),
    ] = None,
) -> None:
    """Talk with your partner about a topic; every turn is saved."""
    settings = registry.check(
        override(
            load_settings(profile),
            level=level,
            learner=learner,
            llm__name=llm,
            llm__model_path=llm_model,
            llm__url=llm_url,
            feedback__llm=llm_feedback,
            asr__name=asr,
            tts__speak=speak,
            tts__speed=speed,
            audio__input_device=device,
            audio__output_device=output_device,
        )
    )
    chosen = load_topic(topic)
    scripted = text is not None or input_audio is not None
    clips = [load_audio(p, settings.audio.max_seconds) for p in input_audio or []]
    save_dir = (
        ensure_writable(save_audio, "--save-audio", "pick a writable folder", InputError)
        if save_audio
        else None
    )
    store = Store()
    before = None if json_out else snapshot(store, settings.learner)
    console = Console(stderr=json_out)
    notices = Console(stderr=True)

    def notice(line: str) -> None:
        notices.print(f"[yellow]note:[/] {line}", highlight=False, soft_wrap=True)

    running.close_died(store, notice)
    mark = running.mark()
    try:  # a Python error while loading is reported as itself, not as a crash
        mic = None
        if not scripted and not typed:
            mic = microphone(settings, notice)
        play = settings.tts.speak and _can_play(settings, notice)
        voice = None
        if play or save_dir:
            from ..audio.playback import Speaker

            def voice(tts):
                return Speaker(
                    tts,
                    play=play,
                    device=settings.audio.output_device,
                    notice=notice,
                    keep=save_dir is not None,
                )

        loading = None if json_out else console.status("loading your partner...", spinner="dots")
        with _assembly_progress(notices, loading) as progress:
            with loading or nullcontext():
                convo = build_conversation(
                    settings,
                    chosen,
                    progress=progress,
                    listen=bool(clips) or mic is not None,
                    voice=voice,
                )
        opener = convo.open()
        info = SessionInfo(chosen.name, settings.level, settings.profile, convo.partner.model.name)
        session_id = store.start_session(settings.learner, info, opener)
        running.attach(mark, session_id)
    except BaseException:
        running.clear(mark)
        raise
    run = Run(convo, store, session_id, console, json_out, save_dir, notice, settings.learner)
    if not json_out:
        render.header(
            console, chosen, settings.level, convo.partner.model.name, spoken=mic is not None
        )
        console.print(f"[bold cyan]{render.partner_name(chosen)}:[/] {opener}")
    finished = False
    try:
        convo.get_ready()  # while the opener is shown and spoken
        if scripted:
            for line in text or []:
                run.turn(line)
            for clip in clips:
                run.turn(clip)
            finished = True
        else:
            if convo.speaker:
                convo.speaker.start_reply()
                convo.speaker.say(opener)
            interactive(run, mic)
    finally:
        try:
            if convo.speaker:
                if finished:  # let the last reply finish; /quit and Ctrl-C stop it at once
                    convo.speaker.wait_played()
                convo.speaker.close()
        finally:
            try:
                convo.ready(120.0)  # getting ready is done before the models can go
                convo.partner.close()  # and so is the partner's prefill
                for model in (convo.partner.model, convo.feedback.llm):
                    if hasattr(model, "close"):  # a server backend's connection pool
                        model.close()
                store.end_session(session_id)
                running.clear(mark)
                if not json_out:
                    render.summary(console, run.results)
                _wrap_up(store, settings.learner, before, console, notice, bool(run.results))
            finally:
                store.close()


def _wrap_up(store: Store, learner: str, before, console: Console, notice, talked: bool) -> None:
    """Make review cards from the session's corrections and print the XP line.

    Runs while the session ends, maybe because of an error: a failure here is one notice
    line, never an exception that would hide that error.
    """
    if not talked:
        return
    try:
        history = load_history(store, learner)
        Drill(store, learner).sync(history)
        if before is not None:
            line = gained_line(before, progress_of(history))
            console.print(line, style="green", highlight=False)
    except Exception as err:  # the session itself is saved; this part is extra
        log.debug("wrapping up the session failed", exc_info=True)
        notice(f"could not update your review cards and XP ({err}); the session is saved")


def _can_play(settings: Settings, notice) -> bool:
    why = devices.problem(settings.audio.output_device or None, "output")
    if why:
        notice(f"{why}: replies are shown, not spoken")
        return False
    return True
