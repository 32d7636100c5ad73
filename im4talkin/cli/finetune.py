"""``im4talkin finetune``: adapt speech recognition to the learner's voice, measured.

The word error rate is measured before and after on sentences never trained on, with the
recogniser as it runs in ``talk`` (a fixed fifth of the sentences, or each sentence once by
cross-validation when that fifth is too small to decide; :mod:`im4talkin.finetune.adapt`),
and the adapted model is put in use only if it is better beyond noise and writes no more of
its prompt than the one in use. Training saves a checkpoint every epoch and on Ctrl-C, and a
rerun over the same recordings goes on from it.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from .. import registry
from ..audio.io import load_audio
from ..config import Settings, load_settings, override
from ..errors import InputError
from ..finetune.jobs import job_for
from ..finetune.runs import active_run, learner_dir
from ..store.db import Store

MIN_SENTENCES = 20
EPOCHS = 4
ENCODER_LAYERS = 3
"""Chosen on dev sentences (bench/finetune_dev.py; bench/RESULTS.md)."""


def _rollback(store: Store, settings: Settings, console: Console, json_out: bool) -> None:
    name = settings.asr.name
    run = active_run(store, settings.learner, name)
    if run is None:
        raise InputError(
            f"{settings.learner} uses the shipped {name} already: nothing to roll back"
        )
    previous = run["details"].get("previous")
    if previous:
        store.activate_finetune(previous)
    else:
        store.deactivate_finetunes(settings.learner, name)
    back = f"the adapted model of run {previous}" if previous else f"the shipped {name}"
    if json_out:
        print(json.dumps({"learner": settings.learner, "rolled_back": run["id"], "now": previous}))
    else:
        console.print(f"{settings.learner} now uses {back}.")


def finetune(
    learner: Annotated[str | None, typer.Option(help="Whose voice.")] = None,
    epochs: Annotated[
        int,
        typer.Option(
            min=1, max=50, help="At most this many passes (it stops sooner when no better)."
        ),
    ] = EPOCHS,
    encoder_layers: Annotated[
        int, typer.Option(min=1, max=6, help="Top encoder layers trained (the decoder is kept).")
    ] = ENCODER_LAYERS,
    rollback: Annotated[
        bool, typer.Option("--rollback", help="Go back to the model in use before.")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON summary on stdout.")] = False,
    profile: Annotated[str | None, typer.Option(help="Settings profile from configs/.")] = None,
    asr: Annotated[str | None, typer.Option(help="The recogniser to adapt.")] = None,
) -> None:
    """Adapt speech recognition to your voice from your enrolment recordings."""
    settings = registry.check(
        override(load_settings(profile), learner=learner, asr__name=asr), kinds=("asr",)
    )
    console = Console(stderr=json_out)
    job = None if rollback else job_for(settings, encoder_layers)  # rollback trains nothing
    store = Store()
    try:
        if job is None:
            _rollback(store, settings, console, json_out)
            return
        _run(store, job, console, json_out, epochs)
    finally:
        store.close()


def _run(store: Store, job, console: Console, json_out: bool, epochs: int) -> None:
    from ..finetune.adapt import Run

    settings = job.settings
    name, who = job.name, settings.learner
    rows = [r for r in store.readings(who) if r["audio"] and Path(r["audio"]).is_file()]
    if len(rows) < MIN_SENTENCES:
        raise InputError(
            f"fine-tuning needs at least {MIN_SENTENCES} sentences read aloud and {who} has "
            f"{len(rows)}: read more with 'im4talkin enroll'"
        )
    started = time.perf_counter()
    clips = {r["id"]: load_audio(Path(r["audio"])).samples for r in rows}
    current = active_run(store, who, name)
    with Progress(
        "{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=console, transient=True,
    ) as bar:  # fmt: skip
        task: dict = {"id": None}

        def event(kind: str, info: dict) -> None:
            if kind in ("measure", "encode", "train"):
                if task["id"] is not None:
                    bar.remove_task(task["id"])
                what = {
                    "measure": f"listening with the {info.get('model')} model",
                    "encode": "reading your recordings",
                    "train": f"adapting to your voice ({info.get('name')})",
                }[kind]
                task["id"] = bar.add_task(what, total=info["total"], completed=info.get("done", 0))
                task["name"] = info.get("name")
            elif kind == "step":
                bar.update(task["id"], completed=info["step"],
                           description=f"adapting ({task['name']}, loss {info['loss']:.2f})")  # fmt: skip
            elif task["id"] is not None:
                bar.advance(task["id"], info.get("n", 1))

        run = Run(
            job, rows, clips, Path(current["details"]["path"]) if current else None,
            learner_dir(store, who) / "work", epochs, event,
        )  # fmt: skip
        how = (
            f"{len(run.parts[0])} of {len(rows)} sentences held out to measure"
            if run.method == "split"
            else f"each of the {len(rows)} sentences held out once ({run.method}, "
            f"{len(run.parts)} parts)"
        )
        console.print(f"{len(rows)} recordings; {how}.")
        folder = learner_dir(store, who) / f"{name}-{datetime.now():%Y%m%d-%H%M%S}"
        try:
            outcome = run.run(folder)
        except KeyboardInterrupt:
            console.print("stopped; run 'im4talkin finetune' again to go on from here.")
            raise typer.Exit(130) from None
    gain = outcome.gain
    details = {
        "path": str(folder),
        "method": outcome.method,
        "parts": outcome.parts,
        "sentences": gain.sentences,
        "words": gain.words,
        "change": round(gain.change, 4),
        "interval": [round(gain.low, 4), round(gain.high, 4)],
        "prompt_leaks": [outcome.leaks_before, outcome.leaks_after],
        "phantoms": [outcome.phantoms.before, outcome.phantoms.after],
        "phantoms_new_fixed": [outcome.phantoms.new, outcome.phantoms.fixed],
        "phantoms_worse": outcome.phantoms.worse,
        "epochs": outcome.epochs,
        "max_epochs": epochs,
        "more_sentences": None if outcome.better else gain.more_sentences(),
        "identity": job.identity(),
        "seconds": round(time.perf_counter() - started, 1),
        "previous": current["id"] if current else None,
    }
    better = outcome.better
    run_id = store.add_finetune(
        who, settings.profile, name, gain.before, gain.after, better, details
    )
    run.clean()
    summary = {"learner": who, "asr": name, "run": run_id, "wer_before": round(gain.before, 4),
               "wer_after": round(gain.after, 4), "activated": better} | details  # fmt: skip
    if json_out:
        held = [  # what each held-out sentence came out as, before and after
            {"reference": r["reference"], "before": outcome.before[r["id"]],
             "after": outcome.after[r["id"]]}
            for r in rows if r["id"] in outcome.after
        ]  # fmt: skip
        print(json.dumps(summary | {"held_out": held}))
        return
    console.print(
        f"word error rate on {gain.sentences} held-out sentences ({gain.words} words): "
        f"{gain.before:.1%} -> {gain.after:.1%}, {describe(details)}."
    )
    if better:
        console.print("The adapted model is [green]now in use[/] "
                      "(im4talkin finetune --rollback goes back).")  # fmt: skip
    else:
        console.print(f"The adapted model is [yellow]not used[/]: {verdict(details)}")


def describe(details: dict) -> str:
    """ "-21% (90% interval -35% to -8%)": the measured change and its uncertainty."""
    low, high = details["interval"]
    return f"{details['change']:+.0%} (90% interval {low:+.0%} to {high:+.0%})"


def verdict(details: dict) -> str:
    """Why an adapted model is not used, and what to do about it."""
    if details.get("phantoms_worse"):
        new, fixed = details["phantoms_new_fixed"]
        return (
            f"it wrote mistakes you did not make in {new} of your sentences that the model in "
            f"use heard right (the other way round: {fixed}), more than chance explains, so "
            "the one in use stays."
        )
    before, after = details.get("prompt_leaks", [0, 0])
    if "phantoms_worse" not in details and after > before:  # a run from before phantoms
        return (
            f"it wrote words of its prompt that were not said in {after} sentences "
            f"(the model in use: {before}), so the one in use stays."
        )
    more = details.get("more_sentences")
    if more:
        why = (
            "the gain is within the noise of so few sentences"
            if details["change"] < 0
            else "no gain showed yet with so few sentences"
        )
        return (
            f"{why}. Read about {more} more with 'im4talkin enroll' and run "
            "'im4talkin finetune' again."
        )
    return "it was not better on your held-out sentences, so it keeps the one in use."
