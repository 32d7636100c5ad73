"""``im4talkin finetune``: a real (short) adaptation of the bundled Whisper base on the CPU."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from im4talkin import registry
from im4talkin.audio.io import load_audio
from im4talkin.config import LEARNER_PROMPT, load_settings
from im4talkin.finetune import whisper as tuning
from im4talkin.finetune.runs import (
    FOLDS,
    compare_phantoms,
    corpus_wer,
    folds,
    held_out,
    paired_gain,
    prompt_leaks,
    sentence_errors,
    split,
    validation,
)
from im4talkin.reading import words_of
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


def test_folds_hold_each_sentence_out_once_with_its_takes():
    rows = [{"id": n, "passage": "travel", "sentence": n % 23} for n in range(30)]
    parts = folds(rows, 5)
    assert sorted(r["id"] for p in parts for r in p) == list(range(30))
    sizes = [len({r["sentence"] for r in p}) for p in parts]
    assert max(sizes) - min(sizes) <= 1  # 23 sentences: 5, 5, 5, 4, 4
    for p in parts:  # a second take of a sentence is held out with the first
        assert all(any(q["sentence"] == r["sentence"] for q in p) for r in rows if r in p)
        assert not {r["sentence"] for r in p} & {
            r["sentence"] for q in parts if q is not p for r in q
        }
    fit, aside = validation(rows)
    assert aside and fit and not {r["sentence"] for r in fit} & {r["sentence"] for r in aside}
    assert 2 <= len({r["sentence"] for r in aside}) <= 5


def test_the_gain_is_only_better_beyond_noise():
    words = [(2, 10)] * 40
    clear = paired_gain(words, [(1, 10)] * 40)  # every sentence one error fewer
    assert clear.change == pytest.approx(-0.5) and clear.better and clear.high < 0
    assert clear.more_sentences() == 0
    mixed = [(1, 10)] * 20 + [(3, 10)] * 20  # as many sentences worse as better
    noise = paired_gain(words, mixed)
    assert noise.change == pytest.approx(0.0) and not noise.better and noise.low < 0 < noise.high
    assert noise.more_sentences() == 40  # no sign of help from 40: read as many again...
    many = paired_gain(words * 4, mixed * 4)
    assert not many.better and many.more_sentences() is None  # ...but not after 160
    hint = paired_gain(words[:8], [(1, 10)] * 3 + [(2, 10)] * 4 + [(3, 10)])
    assert hint.change < 0 and not hint.better and hint.more_sentences() >= 10
    worse = paired_gain(words, [(3, 10)] * 40)
    assert worse.change == pytest.approx(0.5) and not worse.better
    assert paired_gain([(0, 5)], [(0, 5)]).change == 0.0


def test_phantoms_are_mistakes_nobody_made():
    from im4talkin.finetune.runs import Phantoms

    phantom = Phantoms(LEARNER_PROMPT)
    assert phantom("She has two suitcases.", "she has two three cat")  # the prompt
    assert phantom("He likes green tea.", "He like green tea.")  # a correction not earned
    assert phantom("The start was small.", "the start was very small")  # prompt words
    assert not phantom("He likes green tea.", "he likes green tea")  # heard right
    assert not phantom("We was very tired.", "we was very tired")  # the mistake was said
    assert not phantom("I went to the shop.", "I want to the shop")  # wrong, but no mistake


@pytest.mark.parametrize(
    "new, fixed, worse",
    [(0, 0, False), (2, 0, False), (3, 0, True), (4, 1, True), (5, 2, False), (7, 5, False),
     (6, 2, True), (1, 3, False)],
)  # fmt: skip
def test_more_phantoms_only_beyond_chance(new, fixed, worse):
    same = [True] * 3 + [False] * 20  # sentences both models get right or wrong
    before = same + [False] * new + [True] * fixed
    after = same + [True] * new + [False] * fixed
    change = compare_phantoms(before, after)
    assert (change.before, change.after) == (3 + fixed, 3 + new)
    assert (change.new, change.fixed, change.worse) == (new, fixed, worse)


def test_sentence_errors_and_prompt_leaks():
    assert sentence_errors(["I like tea.", "Go home!", "Hi"], ["i like tea", "go", ""]) == [
        (0, 3), (1, 2), (1, 1),
    ]  # fmt: skip
    prompt = LEARNER_PROMPT  # "... She have three cat. We was very tired."
    assert prompt_leaks(prompt, "She has two suitcases.", "she has two three cat") == ["three cat"]
    assert prompt_leaks(prompt, "We was very tired.", "we was very tired") == []  # it was said
    assert prompt_leaks(prompt, "A cat sat.", "a cat sat") == []


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


def prompt_clauses() -> list[str]:
    """The learner prompt's own sentences and clauses: "she have three cat", "he drink tea"..."""
    return [
        " ".join(words_of(c)) for c in re.split(r"[.,]", LEARNER_PROMPT) if len(words_of(c)) > 2
    ]


def writes_the_prompt(transcript: str) -> list[str]:
    heard = f" {' '.join(words_of(transcript))} "
    return [c for c in prompt_clauses() if f" {c} " in heard]


def test_the_prompt_check_finds_a_prompt_sentence():
    assert len(prompt_clauses()) == 5
    assert writes_the_prompt("She has two, she have three cat.") == ["she have three cat"]
    assert writes_the_prompt("She has three cats.") == []


def test_finetune_end_to_end_interrupted_resumed_measured_and_rolled_back(
    cli, home, scottish, monkeypatch
):
    code, _, err = cli("enroll", "--json", *sum((["--input-audio", str(p)] for p in scottish), []))
    assert code == 0, err
    calls = {"n": 0}
    real_loss = tuning.WhisperTuner._loss

    def interrupted(self, batch):
        calls["n"] += self.model.training  # a training step, not a loss on the sentences aside
        if calls["n"] == 2:  # Ctrl-C in the first part's second step
            raise KeyboardInterrupt
        return real_loss(self, batch)

    monkeypatch.setattr(tuning.WhisperTuner, "_loss", interrupted)
    args = ("finetune", "--json", "--epochs", "2", "--encoder-layers", "1")
    code, out, err = cli(*args)
    assert code == 130 and "again to go on" in err and out == "", (code, out, err, calls)
    checkpoint = next((home / "learners").rglob("*.pt"))
    monkeypatch.setattr(tuning.WhisperTuner, "_loss", real_loss)
    resumed = []
    real_load = tuning.WhisperTuner.load

    def spy(self, path, key):
        state = real_load(self, path, key)
        resumed.append(state.step if state else None)
        return state

    monkeypatch.setattr(tuning.WhisperTuner, "load", spy)
    code, out, err = cli(*args)
    assert code == 0, err
    assert resumed[0] == 1  # went on from the checkpoint, not from the start
    assert not checkpoint.exists() and not list((home / "learners").rglob("work"))
    summary = json.loads(out)
    # 22 sentences are too few words for the fixed split: each is held out once
    assert summary["method"] == "cross-validation" and summary["parts"] == FOLDS
    assert summary["sentences"] == len(SENTENCES) == len(summary["held_out"])
    assert len(resumed) == FOLDS + summary["activated"]  # a model per part, then the final one
    low, high = summary["interval"]
    assert low <= summary["change"] <= high
    new, fixed = summary["phantoms_new_fixed"]
    assert summary["activated"] == (high < 0 and not summary["phantoms_worse"])
    assert summary["phantoms_worse"] == (new > fixed and compare_phantoms(
        [True] * fixed + [False] * new, [False] * fixed + [True] * new).chance < 0.2)  # fmt: skip
    for sentence in summary["held_out"]:  # no model wrote its prompt's sentences
        assert not writes_the_prompt(sentence["after"]), sentence
    refs = [h["reference"] for h in summary["held_out"]]
    after = corpus_wer(refs, [h["after"] for h in summary["held_out"]])
    assert after == pytest.approx(summary["wer_after"], abs=1e-4)
    store = Store()
    runs = store.finetunes("default")
    store.close()
    assert len(runs) == 1 and runs[0]["wer_before"] == pytest.approx(
        summary["wer_before"], abs=1e-4
    )
    assert runs[0]["details"]["interval"] == summary["interval"]
    settings = load_settings()
    if summary["activated"]:
        folder = Path(summary["path"])
        assert registry.adapted(settings, "whisper-base") == folder
        asr = registry.create("asr", "whisper-base", settings)  # what talk and enroll load
        assert asr.transcribe(load_audio(scottish[0]).samples)
        code, out, err = cli("finetune", "--rollback")
        assert code == 0 and "shipped whisper-base" in out
        assert registry.adapted(settings, "whisper-base") is None
    else:  # not better beyond noise: not used, and its folder not kept
        assert summary["more_sentences"] is None or summary["more_sentences"] >= 10
        assert not Path(summary["path"]).exists()
        assert registry.adapted(settings, "whisper-base") is None
        code, _, err = cli("finetune", "--rollback")
        assert code == 2 and "nothing to roll back" in err


SPEAKER = Path(__file__).resolve().parents[2] / "shared/data/speechocean762/speakers/0135"


@pytest.mark.skipif(not SPEAKER.exists(), reason="../shared/data is not beside this checkout")
def test_twenty_real_recordings_either_improve_held_out_wer_or_are_refused(cli, home, tmp_path):
    """A real Mandarin-L1 adult's 20 read sentences (speechocean762): every sentence held out
    once; the adapted model is used only if its cross-validated WER is better beyond noise."""
    lines = [x.split("\t") for x in (SPEAKER / "text.tsv").read_text().splitlines()[1:]]
    assert len(lines) == 20
    text = tmp_path / "mine.txt"
    text.write_text("".join(f"{t.strip().capitalize()}\n" for _, _, t in lines))
    wavs = sum((["--input-audio", str(SPEAKER / f"{u}.wav")] for u, _, _ in lines), [])
    code, _, err = cli("enroll", "--passages", str(text), "--json", *wavs)
    assert code == 0, err
    code, out, err = cli("finetune", "--json", "--epochs", "2", "--encoder-layers", "2")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["method"] == "cross-validation" and summary["sentences"] == 20
    held = summary["held_out"]
    refs = [h["reference"] for h in held]
    before = corpus_wer(refs, [h["before"] for h in held])
    after = corpus_wer(refs, [h["after"] for h in held])
    assert (before, after) == pytest.approx((summary["wer_before"], summary["wer_after"]), abs=1e-4)
    for sentence in held:
        assert not writes_the_prompt(sentence["after"]), sentence
    settings = load_settings()
    if summary["activated"]:
        assert after < before and summary["interval"][1] < 0
        assert registry.adapted(settings, "whisper-base") == Path(summary["path"])
    else:
        assert registry.adapted(settings, "whisper-base") is None
        assert not Path(summary["path"]).exists()


def test_finetune_says_why_a_model_is_not_used():
    from im4talkin.cli.finetune import describe, verdict

    noise = {"change": -0.12, "interval": [-0.3, 0.05], "prompt_leaks": [1, 1],
             "more_sentences": 40}  # fmt: skip
    assert describe(noise) == "-12% (90% interval -30% to +5%)"
    assert "Read about 40 more with 'im4talkin enroll'" in verdict(noise)
    copies = noise | {"phantoms_new_fixed": [4, 0], "phantoms_worse": True}
    assert "wrote mistakes you did not make in 4 of your sentences" in verdict(copies)
    older = noise | {"prompt_leaks": [0, 2]}  # a run stored before phantoms were counted
    assert "words of its prompt that were not said in 2 sentences" in verdict(older)
    assert "Read about 40 more" in verdict(noise | {"phantoms_worse": False})
    worse = noise | {"change": 0.1, "more_sentences": None}
    assert "was not better" in verdict(worse)
