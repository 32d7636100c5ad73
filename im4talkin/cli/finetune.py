"""``im4talkin finetune``: adapt speech recognition to the learner's voice, measured.

About a fifth of the enrolled sentences (chosen by sentence, so never trained on) are held
out; the word error rate on them is measured before and after with the recogniser as it
runs in ``talk``, and the adapted model is put in use only if it is better. Training saves a
checkpoint every epoch and on Ctrl-C, and a rerun over the same recordings resumes from it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
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
from ..finetune.runs import active_run, corpus_wer, learner_dir, split
from ..store.db import Store

MIN_SENTENCES = 20


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
    epochs: Annotated[int, typer.Option(min=1, max=50, help="Passes over the recordings.")] = 5,
    encoder_layers: Annotated[
        int, typer.Option(min=0, max=6, help="Top encoder layers trained (0: decoder only).")
    ] = 2,
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
    from ..finetune.tuner import Example

    settings = job.settings
    name, who = job.name, settings.learner
    rows = [r for r in store.readings(who) if r["audio"] and Path(r["audio"]).is_file()]
    train, test = split(rows)
    if len(rows) < MIN_SENTENCES or not test or not train:
        raise InputError(
            f"fine-tuning needs at least {MIN_SENTENCES} sentences read aloud and {who} has "
            f"{len(rows)}: read more with 'im4talkin enroll'"
        )
    started = time.perf_counter()
    clips = {r["id"]: load_audio(Path(r["audio"])).samples for r in rows}
    console.print(f"{len(train)} recordings to learn from, {len(test)} held out to measure.")
    current = active_run(store, who, name)

    def wer(adapted: Path | None) -> float:
        asr = job.recogniser(adapted)
        return corpus_wer(
            [r["reference"] for r in test], [asr.transcribe(clips[r["id"]]) for r in test]
        )

    with console.status("measuring the recogniser in use on the held-out sentences..."):
        before = wer(Path(current["details"]["path"]) if current else None)
    tuner = job.tuner()
    key = hashlib.sha256(
        json.dumps([*job.identity(), sorted(r["audio"] for r in train)]).encode()
    ).hexdigest()
    work = learner_dir(who) / "work" / f"{name}.pt"
    state = tuner.load(work, key)
    with Progress(
        "{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=console, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("reading your recordings", total=len(train))
        items = tuner.encode(
            [Example(clips[r["id"]], r["reference"]) for r in train],
            lambda n: bar.advance(task, n),
        )
        steps = epochs * -(-len(items) // tuner.batch_size)
        task = bar.add_task(
            "adapting to your voice", total=steps, completed=state.step if state else 0
        )
        latest = {"state": state}

        def step(s, loss):
            latest["state"] = s
            bar.update(task, completed=s.step, description=f"adapting (loss {loss:.2f})")

        try:
            state = tuner.train(
                items, epochs, state, on_step=step, on_epoch=lambda s: tuner.save(work, s, key)
            )
        except KeyboardInterrupt:
            if latest["state"] is not None:
                tuner.save(work, latest["state"], key)
            console.print("stopped; run 'im4talkin finetune' again to go on from here.")
            raise typer.Exit(130) from None
    folder = learner_dir(who) / f"{name}-{datetime.now():%Y%m%d-%H%M%S}"
    with console.status("saving and measuring the adapted model..."):
        job.export(tuner, folder)
        after = wer(folder)
    better = after < before
    details = {
        "path": str(folder),
        "train": len(train),
        "test": len(test),
        "epochs": epochs,
        "identity": job.identity(),
        "loss_first": round(state.losses[0], 4) if state.losses else None,
        "loss_last": round(state.losses[-1], 4) if state.losses else None,
        "seconds": round(time.perf_counter() - started, 1),
        "previous": current["id"] if current else None,
    }
    run_id = store.add_finetune(who, settings.profile, name, before, after, better, details)
    if not better:
        shutil.rmtree(folder, ignore_errors=True)
    work.unlink(missing_ok=True)
    summary = {"learner": who, "asr": name, "run": run_id, "wer_before": round(before, 4),
               "wer_after": round(after, 4), "activated": better} | details  # fmt: skip
    if json_out:
        print(json.dumps(summary))
        return
    verdict = (
        "[green]now in use[/] (im4talkin finetune --rollback goes back)"
        if better
        else "[yellow]not better, so not used[/]"
    )
    console.print(
        f"word error rate on {len(test)} held-out sentences: {before:.1%} -> {after:.1%}; "
        f"the adapted model is {verdict}."
    )
