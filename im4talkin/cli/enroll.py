"""``im4talkin enroll``: read sentences aloud, see which words were heard, build a speech corpus.

Each sentence's recording (FLAC, 16 kHz) and its text are stored as soon as it is read, so an
interrupted enrolment resumes at the first sentence not yet read; reading one again replaces
the earlier take. ``enroll export DIR`` writes the corpus as a Hugging Face ``audiofolder``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from .. import registry
from ..audio.io import Clip, load_audio, write_flac
from ..config import load_settings, override
from ..errors import InputError, StorageError
from ..paths import safe_name
from ..progress.xp import gained_line, snapshot
from ..reading import Reading, assess, with_sounds
from ..store.db import Store
from ..store.files import new_path
from ..tutor.topics import load_topic
from .record import need_microphone, push_to_talk

app = typer.Typer(
    help="Read sentences aloud: reading feedback, and your own speech corpus.",
    invoke_without_command=True,
)

_OP_STYLE = {"ok": "green", "sub": "bold red", "del": "red strike", "ins": "yellow"}


def _passages(topic: str, passages: Path | None) -> tuple[str, list[str]]:
    """(passage name, its sentences) from a topic's reading list or a file, one per line.

    A file's passage is named by its stem and a hash of its sentences
    (``file:week1:3f2a9c0d1e``): two files called ``week1.txt`` with other sentences are two
    passages, and an edited file is a new one.
    """
    if passages is None:
        chosen = load_topic(topic)
        return chosen.name, list(chosen.reading)
    try:
        lines = passages.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError(f"--passages {passages}: no such file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"--passages {passages}: cannot read it as UTF-8 text ({err})") from None
    sentences = [s.strip() for s in lines if s.strip() and not s.lstrip().startswith("#")]
    if not sentences:
        raise InputError(f"--passages {passages} has no sentences: write one sentence per line")
    digest = hashlib.sha256("\n".join(sentences).encode()).hexdigest()[:10]
    return f"file:{passages.stem}:{digest}", sentences


def _done(rows: list[dict], name: str, sentences: list[str]) -> set[int]:
    """The sentences of passage ``name`` read already; a reading stored under a file's old
    name (``file:<stem>``, before passages had a hash) counts if it is the same sentence."""
    legacy = name.rsplit(":", 1)[0] if name.startswith("file:") else None
    return {
        r["sentence"]
        for r in rows
        if r["passage"] == name
        or (
            r["passage"] == legacy
            and r["sentence"] < len(sentences)
            and r["reference"] == sentences[r["sentence"]]
        )
    }


def _render(console: Console, reading: Reading) -> None:
    parts = []
    for w in reading.words:
        if w.op == "sub":
            parts.append(f"[{_OP_STYLE['sub']}]{w.ref}[/] [dim](heard {w.hyp})[/]")
        elif w.op == "ok" and w.sounds is not None and not w.sounds.ok:
            parts.append(f"[magenta underline]{w.ref}[/]")
        else:
            parts.append(f"[{_OP_STYLE[w.op]}]{w.ref if w.op != 'ins' else '+' + str(w.hyp)}[/]")
    console.print("  " + " ".join(parts))
    for w in reading.words:
        if w.sounds is not None and w.sounds.note:
            console.print(f"  [magenta]sound:[/] {w.sounds.note}")
    c = reading.counts()
    colour = "green" if reading.score >= 90 else "yellow" if reading.score >= 70 else "red"
    console.print(
        f"  [{colour}]score {reading.score}[/] - {c['ok']} right, {c['sub']} misheard, "
        f"{c['del']} missed, {c['ins']} extra"
        + (f" - practise: [bold]{', '.join(reading.practise)}[/]" if reading.practise else "")
    )


SKIP = "skip"


def _takes(mic, console: Console, clips: list[Clip] | None) -> Iterator[Clip | str]:
    """Scripted clips in order, or push-to-talk takes (:data:`SKIP`: the learner skipped);
    the iterator ends when the learner stops."""
    if clips is not None:
        yield from clips
        return
    while True:
        answer = console.input("[dim]Enter to record, s to skip, q to stop>[/] ").strip().lower()
        if answer in ("q", "/quit"):
            return
        yield SKIP if answer == "s" else push_to_talk(mic, console)


@app.callback(invoke_without_command=True)
def enroll(
    ctx: typer.Context,
    topic: Annotated[str, typer.Option(help="Read this topic's sentences.")] = "travel",
    passages: Annotated[
        Path | None, typer.Option(help="Read these sentences instead: a text file, one per line.")
    ] = None,
    input_audio: Annotated[
        list[Path] | None,
        typer.Option("--input-audio", help="Recordings of the next sentences, in order."),
    ] = None,
    count: Annotated[int | None, typer.Option(min=1, help="Stop after this many.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON object per sentence.")] = False,
    learner: Annotated[str | None, typer.Option(help="Whose corpus this joins.")] = None,
    asr: Annotated[str | None, typer.Option(help="Speech recogniser.")] = None,
    device: Annotated[str | None, typer.Option(help="Microphone: index or name.")] = None,
    profile: Annotated[str | None, typer.Option(help="Settings profile from configs/.")] = None,
) -> None:
    """Read sentences aloud, one at a time; each recording joins your speech corpus."""
    if ctx.invoked_subcommand:
        return
    settings = registry.check(
        override(
            load_settings(profile), learner=learner, asr__name=asr, audio__input_device=device
        ),
        kinds=("asr",),
    )
    name, sentences = _passages(topic, passages)
    clips = [load_audio(p, settings.audio.max_seconds) for p in input_audio or []] or None
    store = Store()
    console = Console(stderr=json_out)
    try:
        done = _done(store.readings(settings.learner), name, sentences)
        todo = [i for i in range(len(sentences)) if i not in done][:count]
        if clips is not None:
            if len(clips) > len(todo):
                console.print(
                    f"[yellow]note:[/] {len(clips) - len(todo)} recording(s) left over: "
                    f"only {len(todo)} sentence(s) of {name} are still to read"
                )
            todo = todo[: len(clips)]
        if not todo:
            console.print(
                f"You have read all {len(sentences)} sentences of {name}: "
                "try another topic (im4talkin topics)."
            )
            return
        mic = None if clips is not None else need_microphone(settings, console, "enroll")
        with (
            console.status("loading speech recognition...", spinner="dots"),
            ThreadPoolExecutor(max_workers=1) as pool,
        ):
            sounds = pool.submit(registry.sound_checker, settings)
            recogniser = registry.create("asr", settings.asr.name, settings)
            recogniser.warm_up()
            checker = sounds.result()
        before = snapshot(store, settings.learner)
        folder = store.folder(settings.learner) / "enrolment"
        takes = _takes(mic, console, clips)
        for index in todo:
            sentence = sentences[index]
            console.print(
                f"\n[bold]Read aloud[/] [dim]({index + 1}/{len(sentences)})[/]: {sentence}"
            )
            clip = next(takes, None)
            if clip is None:  # stopped (or no recordings left)
                break
            if isinstance(clip, str):  # SKIP
                continue
            text, heard = recogniser.transcribe_words(clip.samples)
            reading = assess(sentence, text, heard)
            if checker is not None:
                reading = with_sounds(reading, checker.check(sentence, clip.samples))
            audio = write_flac(new_path(folder, ".flac"), clip.samples, exclusive=True)
            reading_id = store.add_reading(
                settings.learner, name, index, sentence, text,
                reading.wer, reading.score, clip.seconds, str(audio),
            )  # fmt: skip
            changes = [
                (w.ref, *w.sounds.change) for w in reading.words if w.sounds and not w.sounds.ok
            ]
            store.add_sound_errors(
                store.learner_id(settings.learner), changes, reading_id=reading_id
            )
            if json_out:
                extra = {"passage": name, "sentence": index, "audio": str(audio)}
                print(json.dumps(extra | reading.to_json() | {"seconds": round(clip.seconds, 2)}))
            else:
                console.print(f"  [dim]heard:[/] {text or '(nothing)'}")
                _render(console, reading)
        rows = store.readings(settings.learner)
        minutes = sum(r["seconds"] for r in rows) / 60
        console.print(
            f"\n{len(rows)} sentences read, {minutes:.1f} minutes of your voice so far. "
            + gained_line(before, snapshot(store, settings.learner))
        )
    finally:
        store.close()


@app.command("export")
def export(
    dest: Annotated[Path, typer.Argument(help="A new or empty folder.")],
    learner: Annotated[str | None, typer.Option(help="Whose corpus.")] = None,
) -> None:
    """Write your corpus as a Hugging Face audiofolder: FLAC files and metadata.csv."""
    settings = override(load_settings(), learner=learner)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise InputError(f"{dest} is not an empty folder: pick a new one")
    store = Store()
    try:
        rows = store.readings(settings.learner)
    finally:
        store.close()
    rows = [r for r in rows if r["audio"] and Path(r["audio"]).is_file()]
    if not rows:
        raise InputError(
            f"no recordings yet for {settings.learner}: read some with 'im4talkin enroll'"
        )
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        (tmp / "audio").mkdir(parents=True)
        with (tmp / "metadata.csv").open("w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerow(["file_name", "transcription", "passage", "sentence", "seconds", "score"])
            for r in rows:
                name = f"audio/{safe_name(r['passage'])}-{r['sentence']:04d}.flac"
                if (tmp / name).exists():  # two passages whose names differ only in letters
                    name = name.replace(".flac", f"-{r['id']}.flac")  # that safe_name drops
                shutil.copyfile(r["audio"], tmp / name)
                out.writerow(
                    [name, r["reference"], r["passage"], r["sentence"], r["seconds"], r["score"]]
                )
        if dest.exists():
            dest.rmdir()
        tmp.rename(dest)
    except OSError as err:
        raise StorageError(
            f"cannot write {dest} ({err.strerror or err}): pick another folder"
        ) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    Console().print(f"wrote {len(rows)} recordings and metadata.csv to {dest}")
