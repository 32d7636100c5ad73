"""``im4talkin finetune``: a real (short) adaptation of the bundled Whisper base on the CPU."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from im4talkin import registry
from im4talkin.audio.io import load_audio
from im4talkin.config import LEARNER_PROMPT, load_settings
from im4talkin.finetune import whisper as tuning
from im4talkin.finetune.runs import corpus_wer, held_out, split
from im4talkin.store.db import Store
from im4talkin.tutor.topics import load_topic

SENTENCES = load_topic("travel").reading[:22]


@pytest.fixture(scope="module")
def scottish(tmp_path_factory) -> list[Path]:
    """The travel reading sentences in espeak-ng's Scottish English voice."""
    folder = tmp_path_factory.mktemp("scottish")
    paths = []
    for i, text in enumerate(SENTENCES):
        path = folder / f"{i}.wav"
        subprocess.run(["espeak-ng", "-v", "en-gb-scotland", "-w", str(path), text], check=True)
        paths.append(path)
    return paths


def test_the_held_out_split_is_by_sentence_and_stable():
    rows = [{"passage": p, "sentence": i} for p in ("travel", "food") for i in range(200)]
    train, test = split(rows)
    assert 0.12 < len(test) / len(rows) < 0.28
    assert split(rows + rows[:5])[1][: len(test)] == test  # a second take lands on the same side
    assert all(held_out(r["passage"], r["sentence"]) for r in test)


def test_corpus_wer_ignores_case_and_punctuation():
    assert corpus_wer(["I like tea.", "Go home!"], ["i like tea", "go"]) == pytest.approx(1 / 5)
    assert corpus_wer(["Hello there"], [""]) == 1.0


def test_a_short_real_fine_tune_lowers_the_loss(scottish):
    from im4talkin.bundled import whisper_base_dir
    from im4talkin.finetune.convert import ct2_to_transformers

    model, processor = ct2_to_transformers(whisper_base_dir())
    tuner = tuning.WhisperTuner(model, processor, prompt=LEARNER_PROMPT, encoder_layers=1)
    examples = [
        tuning.Example(load_audio(p).samples, s)
        for p, s in zip(scottish[:4], SENTENCES[:4], strict=True)
    ]
    items = tuner.encode(examples)
    before = tuner.evaluate(items)
    state = tuner.train(items, epochs=3)
    assert state.epoch == 3 and len(state.losses) == 3
    assert tuner.evaluate(items) < 0.7 * before


def test_finetune_needs_enough_recordings(cli, home):
    code, out, err = cli("finetune")
    assert code == 2 and "at least 20 sentences" in err and "im4talkin enroll" in err
    code, _, err = cli("finetune", "--asr", "whisper-huge")
    assert code == 2 and "unknown asr 'whisper-huge'" in err and "Traceback" not in err
    code, _, err = cli("finetune", "--asr", "seamless")  # its model is not pulled here
    assert code == 3 and "im4talkin models pull seamless-m4t-v2-large" in err


def test_finetune_end_to_end_interrupted_resumed_measured_and_rolled_back(
    cli, home, scottish, monkeypatch
):
    code, _, err = cli("enroll", "--json", *sum((["--input-audio", str(p)] for p in scottish), []))
    assert code == 0, err
    calls = {"n": 0}
    real_loss = tuning.WhisperTuner._loss

    def interrupted(self, batch):
        calls["n"] += 1
        if calls["n"] == 3:  # Ctrl-C in the second epoch
            raise KeyboardInterrupt
        return real_loss(self, batch)

    monkeypatch.setattr(tuning.WhisperTuner, "_loss", interrupted)
    code, out, err = cli("finetune", "--json", "--epochs", "2", "--encoder-layers", "1")
    assert code == 130 and "again to go on" in err and out == "", (code, out, err, calls)
    checkpoint = next((home / "asr").rglob("*.pt"))
    monkeypatch.setattr(tuning.WhisperTuner, "_loss", real_loss)
    resumed = {}
    real_load = tuning.WhisperTuner.load

    def spy(self, path, key):
        state = real_load(self, path, key)
        resumed["step"] = state.step if state else None
        return state

    monkeypatch.setattr(tuning.WhisperTuner, "load", spy)
    code, out, err = cli("finetune", "--json", "--epochs", "2", "--encoder-layers", "1")
    assert code == 0, err
    assert resumed["step"] == 2  # went on from the checkpoint, not from the start
    assert not checkpoint.exists()
    summary = json.loads(out)
    assert summary["train"] + summary["test"] == len(SENTENCES) and summary["test"] >= 1
    assert summary["activated"] == (summary["wer_after"] < summary["wer_before"])
    store = Store()
    runs = store.finetunes("default")
    store.close()
    assert len(runs) == 1 and runs[0]["wer_before"] == pytest.approx(
        summary["wer_before"], abs=1e-4
    )
    settings = load_settings()
    if summary["activated"]:
        folder = Path(summary["path"])
        assert registry.adapted(settings, "whisper-base") == folder
        asr = registry.create("asr", "whisper-base", settings)  # what talk and enroll load
        assert asr.transcribe(load_audio(scottish[0]).samples)
        code, out, err = cli("finetune", "--rollback")
        assert code == 0 and "shipped whisper-base" in out
        assert registry.adapted(settings, "whisper-base") is None
    else:  # not better: not used, and its folder not kept
        assert not Path(summary["path"]).exists()
        assert registry.adapted(settings, "whisper-base") is None
        code, _, err = cli("finetune", "--rollback")
        assert code == 2 and "nothing to roll back" in err
