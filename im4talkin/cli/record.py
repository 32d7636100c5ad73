"""Push-to-talk: the microphone, when it can work here, and a live level meter while it records."""

from __future__ import annotations

import os
import select
import sys

from rich.console import Console
from rich.live import Live
from rich.text import Text

from ..asr.live import LiveTranscript
from ..audio.io import Clip
from ..audio.mic import CAPPED, Recorder
from ..config import Settings
from ..errors import DeviceError

BAR = 24


def _enter_pressed() -> bool:
    """True once the learner pressed Enter (POSIX terminals; the line is consumed)."""
    ready, _, _ = select.select([sys.stdin], [], [], 0)
    if ready:
        os.read(sys.stdin.fileno(), 1024)
        return True
    return False


HEARD_CHARS = 60
"""The meter shows the end of what was heard so far, at most this long."""


def meter(level: float, seconds: float, limit: float, heard: str = "") -> Text:
    """``● 2.4 s ▮▮▮▮▮▯▯▯  Enter stops`` with the bar on a log scale of the RMS level, and
    the words recognised so far (their end) after it."""
    import math

    db = 20 * math.log10(max(level, 1e-5))
    filled = max(0, min(BAR, int((db + 60) / 60 * BAR)))
    colour = "red" if db > -3 else "green"
    text = Text.assemble(
        ("● ", "bold red"),
        f"{seconds:4.1f} s / {limit:.0f} s  ",
        ("▮" * filled, colour),
        ("▯" * (BAR - filled), "dim"),
        ("  Enter stops", "dim"),
    )
    if heard:
        tail = heard if len(heard) <= HEARD_CHARS else "…" + heard[-HEARD_CHARS + 1 :]
        text.append(f"\n  {tail}", style="dim italic")
    return text


def push_to_talk(recorder: Recorder, console: Console, live: LiveTranscript | None = None) -> Clip:
    """Record until Enter (or the length limit), showing the level meter; ``live`` hears
    the recording as it comes, and the meter shows the words it is sure of."""
    with Live(meter(0, 0, recorder.max_seconds), console=console, transient=True) as screen:

        def show(level: float, seconds: float) -> None:
            heard = live.text if live is not None else ""
            screen.update(meter(level, seconds, recorder.max_seconds, heard))

        clip = recorder.record(_enter_pressed, show, live.feed if live is not None else None)
    console.print(f"[dim]recorded {clip.seconds:.1f} s[/]")
    if any(CAPPED in note for note in clip.notes):
        # the learner is still talking and will press Enter to stop: take that Enter here,
        # or it would start the next recording
        console.input(f"[yellow]{clip.notes[0]}:[/] [dim]press Enter to go on>[/] ")
    return clip


def need_microphone(settings: Settings, console: Console, what: str) -> Recorder:
    """The microphone for ``what`` (a command), or DeviceError: it needs one, or recordings."""
    mic = microphone(settings, lambda line: console.print(f"[yellow]note:[/] {line}"))
    if mic is None:
        raise DeviceError(f"{what} needs a microphone here, or recordings: --input-audio FILE")
    return mic


def microphone(settings: Settings, notice) -> Recorder | None:
    """A recorder when push-to-talk can work here, else None (with one notice line).

    A microphone named with ``--device`` that cannot be used is an error, not a notice.
    """
    if not sys.stdin.isatty():
        return None
    try:
        return Recorder(settings.audio.input_device or None, settings.audio.max_seconds)
    except DeviceError as err:
        if settings.audio.input_device:
            raise
        notice(str(err))
        return None
