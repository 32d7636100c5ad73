"""``im4talkin review --sounds``: say words with the sounds you most often say as others.

Each word is shown beside the word it becomes with your slip ("think", not "sink"); the
phoneme check says whether your sounds were right. A word said wrong again is stored like
any other sound slip, so ``report`` shows it.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

from .. import registry
from ..config import Settings
from ..errors import InputError
from ..messages import Clip
from ..progress.sound_drill import SoundItem, sound_items
from .record import need_microphone, push_to_talk

NOTHING = (
    "No sounds to practise yet: read aloud (im4talkin enroll) or talk (im4talkin talk), and "
    "the sounds you say as other sounds come back here."
)


def _prompt(item: SoundItem) -> str:
    slip = f"/{item.expected}/, not /{item.heard}/" if item.heard else f"/{item.expected}/ said"
    partner = f" [dim](not '{item.partner}')[/]" if item.partner else ""
    return f"[bold]Say:[/] [bold cyan]{item.word}[/]{partner}  [dim]{slip}[/]"


def _answer(checker, item: SoundItem, clip: Clip):
    """The word's sounds in ``clip`` (InputError when they cannot be scored)."""
    found = checker.check(item.word, clip.samples)
    if len(found) != 1 or found[0] is None:
        raise InputError(f"could not score '{item.word}' in that recording; say just the word")
    return found[0]


def _show(console: Console, result: dict[str, Any]) -> None:
    if result["right"]:
        console.print(f"[bold green]right![/] [dim]/{result['expected']}/[/]")
    else:
        console.print(f"[bold yellow]not yet:[/] {result.get('note') or result['heard']}")


def run(
    settings: Settings,
    store,
    learner: str,
    clips: list[Clip] | None,
    json_out: bool,
    limit: int,
    console: Console,
) -> list[dict[str, Any]]:
    """Drill the learner's sound slips: ``clips``, one per word in order (scripted), or the
    microphone; each answer is printed (``json_out``: as one JSON line) and returned."""
    errors = store.sound_errors(learner)
    if not errors:
        console.print(NOTHING)
        return []
    if not settings.feedback.sounds:
        raise InputError("review --sounds needs the phoneme recogniser: set feedback.sounds")
    mic = None if clips is not None else need_microphone(settings, console, "review --sounds")
    with console.status("loading the phoneme recogniser...", spinner="dots"):
        checker = registry.sound_checker(settings)
    items = sound_items(errors, checker.lexicon, limit)
    learner_id = store.learner_id(learner)
    done = []
    for n, item in enumerate(items):
        if clips is not None and n >= len(clips):
            break
        if not json_out:
            console.print(_prompt(item))
        if clips is not None:
            sounds = _answer(checker, item, clips[n])
        else:
            line = console.input("[dim]Enter to record, s to skip, q to stop>[/] ").strip().lower()
            if line in ("q", "/quit"):
                break
            if line == "s":
                continue
            try:
                sounds = _answer(checker, item, push_to_talk(mic, console))
            except InputError as err:
                console.print(f"[yellow]{err}[/]")
                continue
        if not sounds.ok:
            store.add_sound_errors(learner_id, [(item.word, *sounds.change)])
        result = item.public() | {"right": sounds.ok} | sounds.to_json()
        done.append(result)
        if json_out:
            sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
            sys.stdout.flush()
        else:
            _show(console, result)
    if not json_out:
        console.print(f"{sum(r['right'] for r in done)} of {len(done)} right.")
    return done
