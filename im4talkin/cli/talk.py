"""``im4talkin talk``: a conversation on a topic, typed (scripted with --text)."""

from __future__ import annotations

import json
import sys
import threading
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

from ..config import load_settings, override
from ..errors import InputError
from ..messages import TurnResult
from ..store.db import SessionInfo, Store
from ..tutor.build import build_conversation
from ..tutor.session import Conversation
from ..tutor.topics import load_topic
from . import render


@contextmanager
def _assembly_progress(console: Console):
    """A progress bar for the one-time join of a bundled model; silent when nothing to do."""
    bar: dict = {}

    def update(done: int, total: int) -> None:
        if "p" not in bar:
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
    json_out: Annotated[
        bool, typer.Option("--json", help="One JSON object per turn on stdout, nothing else.")
    ] = False,
    llm: Annotated[
        str | None, typer.Option(help="Partner model: qwen (default) or smollm2.")
    ] = None,
    llm_model: Annotated[
        str | None, typer.Option("--llm-model", help="Any chat GGUF file to use as the partner.")
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
    settings = override(
        load_settings(profile),
        level=level,
        learner=learner,
        llm__name=llm,
        llm__model_path=llm_model,
        feedback__llm=llm_feedback,
    )
    chosen = load_topic(topic)
    store = Store()
    console = Console(stderr=json_out)
    with _assembly_progress(Console(stderr=True)) as progress:
        with (
            console.status("loading your partner...", spinner="dots")
            if not json_out
            else _nothing()
        ):
            convo = build_conversation(settings, chosen, progress=progress)
    opener = convo.open()
    info = SessionInfo(chosen.name, settings.level, settings.profile, convo.partner.model.name)
    session_id = store.start_session(settings.learner, info, opener)
    if not json_out:
        render.header(console, chosen, settings.level, convo.partner.model.name)
        console.print(f"[bold cyan]{render.partner_name(chosen)}:[/] {opener}")
    results: list[TurnResult] = []
    try:
        if text is not None:
            convo.partner.prefill()
            _scripted(convo, text, store, session_id, results, console, json_out)
        else:
            _interactive(convo, store, session_id, results, console)
    finally:
        store.end_session(session_id)
        if not json_out:
            render.summary(console, results)
        store.close()


@contextmanager
def _nothing():
    yield


def _run_turn(convo: Conversation, line: str, console: Console, quiet: bool) -> TurnResult:
    name = render.partner_name(convo.partner.topic)
    started = False

    def show(sentence: str) -> None:
        nonlocal started
        if quiet:
            return
        if not started:
            console.print(f"[bold cyan]{name}:[/] ", end="")
            started = True
        console.print(sentence + " ", end="", highlight=False)

    result = convo.turn(line, on_sentence=show)
    if not quiet:
        console.print()
        console.print(render.feedback_panel(result))
    return result


def _scripted(convo, lines, store, session_id, results, console, json_out) -> None:
    for line in lines:
        result = _run_turn(convo, line, console, quiet=json_out)
        store.save_turn(session_id, result)
        results.append(result)
        if json_out:
            sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
            sys.stdout.flush()


def _interactive(convo, store, session_id, results, console) -> None:
    threading.Thread(target=convo.partner.prefill, daemon=True).start()
    while True:
        try:
            line = console.input("[bold]you> [/]")
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        if line.strip().lower() in ("/quit", "/exit", "/q"):
            return
        if not line.strip():
            console.print("[dim]Type a sentence and press Enter, or /quit to stop.[/]")
            continue
        try:
            result = _run_turn(convo, line, console, quiet=False)
        except InputError as err:
            console.print(f"[yellow]{err}[/]")
            continue
        except KeyboardInterrupt:
            console.print("\n[dim]turn cancelled; the session so far is saved.[/]")
            return
        store.save_turn(session_id, result)
        results.append(result)
        threading.Thread(target=convo.partner.prefill, daemon=True).start()
