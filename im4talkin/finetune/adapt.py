"""One fine-tuning run: train, measure on sentences never trained on, decide.

With enough held-out words (:data:`~.runs.SPLIT_WORDS`) the fixed split decides: one model
is trained on the rest and measured on it. With fewer (a first enrolment of 20-50
sentences), every sentence is held out once by cross-validation: a model per fold, trained
on the other folds and measured on its own; if the adapted recogniser is better beyond noise
over all the sentences, the model the learner gets is trained the same way on all of them.
Each training keeps some sentences aside and stops when their loss stops falling.

Progress is kept in a work folder: the checkpoint of the training under way (every epoch and
on Ctrl-C) and what every finished fold transcribed, so a rerun over the same recordings
goes on where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..store.files import write_file
from .runs import (
    SPLIT_WORDS,
    Gain,
    PhantomChange,
    Phantoms,
    compare_phantoms,
    folds,
    paired_gain,
    prompt_leaks,
    sentence_errors,
    split,
    validation,
    words_in,
)
from .tuner import Example, TrainState


@dataclass
class Outcome:
    method: str
    """"split" or "cross-validation"."""
    parts: int
    gain: Gain
    leaks_before: int
    """Held-out transcripts with words of the recogniser's prompt that were not said."""
    leaks_after: int
    phantoms: PhantomChange
    """Held-out transcripts with a mistake nobody made (:class:`Phantoms`), before and after."""
    epochs: list[int]
    """The epoch kept by each training (early stopping)."""
    folder: Path | None = None
    """The adapted model, if it is better (trained on every sentence with cross-validation)."""
    before: dict[int, str] = field(default_factory=dict)
    after: dict[int, str] = field(default_factory=dict)

    @property
    def better(self) -> bool:
        return self.gain.better and not self.phantoms.worse


def held_out_parts(rows: list[dict]) -> tuple[str, list[list[dict]]]:
    """How to measure: ("split", [test]) or ("cross-validation", folds)."""
    train, test = split(rows)
    if train and words_in(test) >= SPLIT_WORDS:
        return "split", [test]
    return "cross-validation", folds(rows)


class Run:
    """Trains and measures ``job``'s recogniser on ``rows`` (readings with audio)."""

    def __init__(
        self,
        job: Any,
        rows: list[dict],
        clips: dict[int, Any],
        current: Path | None,
        work: Path,
        epochs: int,
        events: Callable[[str, dict], None] = lambda kind, info: None,
    ) -> None:
        self.job, self.rows, self.clips = job, rows, clips
        self.current, self.work, self.epochs = current, work, epochs
        self.events = events
        self.method, self.parts = held_out_parts(rows)
        self.key = hashlib.sha256(
            json.dumps([*job.identity(), epochs, sorted(r["audio"] for r in rows)]).encode()
        ).hexdigest()
        self.tuner: Any = None
        self.items: dict[int, Any] = {}

    # --- progress kept between runs ---------------------------------------------------

    @property
    def _log(self) -> Path:
        return self.work / f"{self.job.name}.json"

    def _done(self) -> dict:
        try:
            saved = json.loads(self._log.read_text())
        except (OSError, ValueError):
            return {}
        return saved.get("parts", {}) if saved.get("key") == self.key else {}

    def _record(self, name: str, info: dict) -> None:
        done = self._done() | {name: info}
        write_file(self._log, json.dumps({"key": self.key, "parts": done}))

    def clean(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)

    # --- the run --------------------------------------------------------------------

    def transcribe(self, folder: Path | None, rows: list[dict]) -> dict[int, str]:
        asr = self.job.recogniser(folder)
        out = {}
        for r in rows:
            out[r["id"]] = asr.transcribe(self.clips[r["id"]])
            self.events("heard", {"n": 1})
        return out

    def _encode(self, rows: list[dict]) -> None:
        if self.tuner is None:
            self.tuner = self.job.tuner()
        todo = [r for r in rows if r["id"] not in self.items]
        if not todo:
            return
        self.events("encode", {"total": len(todo)})
        items = self.tuner.encode(
            [Example(self.clips[r["id"]], r["reference"]) for r in todo],
            lambda n: self.events("encoded", {"n": n}),
        )
        self.items.update({r["id"]: item for r, item in zip(todo, items, strict=True)})

    def train(self, name: str, rows: list[dict], folder: Path) -> TrainState:
        """Train on ``rows`` (some kept aside to stop on) from the shipped weights; export."""
        self._encode(rows)
        tuner = self.tuner
        tuner.reset()
        fit, aside = validation(rows)
        items = [self.items[r["id"]] for r in fit]
        valid = [self.items[r["id"]] for r in aside]
        checkpoint = self.work / f"{self.job.name}.pt"
        key = f"{self.key}:{name}"
        state = tuner.load(checkpoint, key)
        per_epoch = -(-len(items) // tuner.batch_size)
        self.events("train", {"name": name, "total": self.epochs * per_epoch,
                              "done": state.step if state else 0})  # fmt: skip
        latest = {"state": state}

        def step(s: TrainState, loss: float) -> None:
            latest["state"] = s
            self.events("step", {"step": s.step, "loss": loss})

        try:
            state = tuner.train(
                items, self.epochs, state, on_step=step, valid=valid,
                on_epoch=lambda s: tuner.save(checkpoint, s, key),
            )  # fmt: skip
        except KeyboardInterrupt:
            if latest["state"] is not None:
                tuner.save(checkpoint, latest["state"], key)
            raise
        self.job.export(tuner, folder)
        checkpoint.unlink(missing_ok=True)
        return state

    def run(self, final: Path) -> Outcome:
        """Measure (and for a split, train) as :func:`held_out_parts` says; ``final``: where
        the adapted model goes if it is better."""
        held = [r for part in self.parts for r in part]
        self.events("measure", {"total": len(held), "model": "in use"})
        before = self.transcribe(self.current, held)
        done = self._done()
        after: dict[int, str] = {}
        epochs: list[int] = []
        for i, part in enumerate(self.parts):
            name = f"part{i}"
            if name in done:
                after.update({int(k): v for k, v in done[name]["after"].items()})
                epochs.append(done[name]["epoch"])
                continue
            ids = {r["id"] for r in part}
            folder = final if self.method == "split" else self.work / name
            state = self.train(name, [r for r in self.rows if r["id"] not in ids], folder)
            self.events("measure", {"total": len(part), "model": "adapted"})
            heard = self.transcribe(folder, part)
            if folder != final:
                shutil.rmtree(folder, ignore_errors=True)
            self._record(name, {"after": heard, "epoch": state.best_epoch})
            after.update(heard)
            epochs.append(state.best_epoch)
        refs = [r["reference"] for r in held]
        gain = paired_gain(
            sentence_errors(refs, [before[r["id"]] for r in held]),
            sentence_errors(refs, [after[r["id"]] for r in held]),
        )
        prompt = getattr(self.job, "prompt", "")

        phantom = Phantoms(prompt)

        def leaks(hyps: dict[int, str]) -> int:
            return sum(bool(prompt_leaks(prompt, r["reference"], hyps[r["id"]])) for r in held)

        def phantoms(hyps: dict[int, str]) -> list[bool]:
            return [phantom(r["reference"], hyps[r["id"]]) for r in held]

        outcome = Outcome(
            self.method, len(self.parts), gain, leaks(before), leaks(after),
            compare_phantoms(phantoms(before), phantoms(after)), epochs,
            before=before, after=after,
        )  # fmt: skip
        if outcome.better:
            if self.method == "cross-validation":
                self.train("final", self.rows, final)
            outcome.folder = final
        else:
            shutil.rmtree(final, ignore_errors=True)
        return outcome
