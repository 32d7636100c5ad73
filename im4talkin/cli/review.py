"""``im4talkin review``: say or type your own past sentences again, corrected.

Cards are scheduled by spaced repetition. Scripted runs answer the due cards in order
with ``--text`` and ``--input-audio`` answers; no language model is loaded, only the
speech recogniser for spoken answers.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from .. import registry
from ..audio.io import Clip, load_audio, speech_span
from ..config import Settings, load_settings, override
from ..errors import DeviceError, InputError
from ..progress.history import load_history, normalise, pick_learner
from ..progress.review import Drill, Outcome
from ..progress.xp import gained_line, progress
from ..store.db import Store
from . import sound_review
from .record import microphone, push_to_talk

PROMPT = "Say it correctly: Enter to record, or type it. /skip moves on, /quit stops."
PROMPT_TYPED = "Type it correctly and press Enter. /skip moves on, /quit stops."


class _Ears:
    """The speech recogniser, loaded on the first spoken answer."""

    def __init__(self, settings: Settings, console: Console) -> None:
        self.settings, self.console, self.asr = settings, console, None

    def hear(self, clip: Clip) -> str:
        if self.asr is None:
            with self.console.status("loading speech recognition...", spinner="dots"):
                self.asr = registry.create("asr", self.settings.asr.name, self.settings)
        text = " ".join(self.asr.transcribe(speech_span(clip).samples).split())
        if not any(c.isalpha() for c in text):
            raise InputError("no words recognised in that recording; say the sentence in English")
        return text


def _show_card(console: Console, card: dict[str, Any], n: int, total: int) -> None:
    console.print(
        Panel(
            Text.assemble(("You said: ", "bold"), (card["original"], "red")),
            title=f"review {n}/{total} - {card['kind']}",
            border_style="cyan",
        )
    )


def _show_outcome(console: Console, out: Outcome) -> None:
    days = (out.next_due - out.now).total_seconds() / 86400
    whole = round(days)
    when = f"in {whole} day{'s' * (whole != 1)}" if days >= 1 else "again soon"
    if out.right:
        console.print(f"[bold green]right![/] [dim]next review {when}[/]")
    else:
        console.print(
            Text.assemble(("not quite: ", "bold yellow"), (out.card["corrected"], "green"))
        )
        console.print(f"[dim]next review {when}[/]")


def _interactive(drill: Drill, cards, console: Console, ears: _Ears, mic) -> list[Outcome]:
    done: list[Outcome] = []
    for n, card in enumerate(cards, start=1):
        _show_card(console, card, n, len(cards))
        while True:
            try:
                line = console.input(f"[dim]{PROMPT if mic else PROMPT_TYPED}[/]\n[bold]you> [/]")
            except (EOFError, KeyboardInterrupt):
                console.print()
                return done
            command = line.strip().lower()
            if command in ("/quit", "/exit", "/q"):
                return done
            if command == "/skip":
                break
            try:
                if not command and mic is not None:
                    text = ears.hear(push_to_talk(mic, console))
                    console.print(f"[dim]heard:[/] {text}", highlight=False)
                    out = drill.answer(card, text, "audio")
                elif command:
                    out = drill.answer(card, line, "text")
                else:
                    continue
            except InputError as err:
                console.print(f"[yellow]{err}[/]")
                continue
            except DeviceError as err:
                console.print(f"[yellow]{err}; type your answers from now on[/]")
                mic = None
                continue
            _show_outcome(console, out)
            done.append(out)
            break
    return done


def _scripted(drill, cards, answers, ears, console, json_out) -> list[Outcome]:
    done = []
    for card, said in zip(cards, answers, strict=False):
        if isinstance(said, Clip):
            out = drill.answer(card, ears.hear(said), "audio")
        else:
            out = drill.answer(card, said, "text")
        done.append(out)
        if json_out:
            sys.stdout.write(json.dumps(out.public(), ensure_ascii=False) + "\n")
            sys.stdout.flush()
        else:
            _show_card(console, card, len(done), min(len(cards), len(answers)))
            console.print(f"[bold]you:[/] {out.answer}", highlight=False)
            _show_outcome(console, out)
    return done


def review(
    learner: Annotated[
        str | None, typer.Option(help="Whose mistakes to review (default: from the config).")
    ] = None,
    text: Annotated[
        list[str] | None,
        typer.Option("--text", help="Answer the next due sentence with this text (repeatable)."),
    ] = None,
    input_audio: Annotated[
        list[Path] | None,
        typer.Option("--input-audio", help="Answer the next due sentence with a recording."),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="One JSON object per answer on stdout, nothing else.")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, help="At most this many sentences.")] = 10,
    asr: Annotated[
        str | None, typer.Option(help="Speech recognition: whisper-base or whisper-tiny.")
    ] = None,
    device: Annotated[str | None, typer.Option(help="Microphone: index or name.")] = None,
    typed: Annotated[bool, typer.Option("--typed", help="Type every answer.")] = False,
    sounds: Annotated[
        bool,
        typer.Option("--sounds", help="Say words with the sounds you most often say as others."),
    ] = False,
    profile: Annotated[str | None, typer.Option(help="Settings profile from configs/.")] = None,
) -> None:
    """Practise your own past mistakes again, at spaced intervals."""
    settings = registry.check(
        override(load_settings(profile), learner=learner, asr__name=asr, audio__input_device=device)
    )
    scripted = text is not None or input_audio is not None
    if json_out and not scripted:
        raise InputError(
            "--json needs --text or --input-audio answers; leave --json out to review interactively"
        )
    if any(not normalise(t) for t in text or []):
        raise InputError("an empty --text answer: type the corrected sentence, or leave it out")
    answers: list[str | Clip] = [*(text or [])]
    answers += [load_audio(p, settings.audio.max_seconds) for p in input_audio or []]
    console = Console(stderr=json_out)
    store = Store()
    try:
        name = pick_learner(store, settings.learner, named=learner is not None)
        if sounds:
            if text:
                raise InputError("review --sounds takes recordings (--input-audio), not --text")
            clips = [a for a in answers if isinstance(a, Clip)] or None
            sound_review.run(settings, store, name, clips, json_out, limit, console)
            return
        history = load_history(store, name)
        before = progress(history)
        drill = Drill(store, name)
        drill.sync(history)
        cards = drill.due(limit)
        if not cards:
            console.print(_nothing_due(drill))
            return
        ears = _Ears(settings, Console(stderr=True))
        if scripted:
            done = _scripted(drill, cards, answers, ears, console, json_out)
            if len(answers) > len(cards):
                Console(stderr=True).print(
                    f"[yellow]note:[/] {_how_many_due(len(cards), limit)}; "
                    "the other answers were not used",
                    highlight=False,
                )
        else:
            mic = None if typed else microphone(settings, lambda line: console.print(line))
            done = _interactive(drill, cards, console, ears, mic)
        if not json_out:
            right = sum(o.right for o in done)
            console.print(f"{right} of {len(done)} right.")
            after = progress(load_history(store, name))
            console.print(gained_line(before, after), style="green", highlight=False)
    finally:
        store.close()


def _how_many_due(n: int, limit: int) -> str:
    if n == limit:
        return f"--limit {limit} allows {n} sentence{'s' * (n != 1)} at a time"
    return f"only {n} sentence{'s' * (n != 1)} {'was' if n == 1 else 'were'} due"


def _nothing_due(drill: Drill) -> str:
    nxt = drill.next_due()
    if nxt is None:
        return (
            "No mistakes to review yet: talk with your partner first "
            "(im4talkin talk), and the sentences it corrects come back here."
        )
    return (
        f"Nothing to review right now; the next sentence is due {nxt.astimezone():%Y-%m-%d %H:%M}."
    )
