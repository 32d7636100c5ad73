"""``review --sounds``: minimal-pair drills of the learner's own sound slips, answered with
real recordings (espeak-ng) scored by the real phoneme recogniser."""

from __future__ import annotations

import json
import subprocess

import pytest

from im4talkin.phonemes.lexicon import Lexicon
from im4talkin.progress.sound_drill import sound_items
from im4talkin.store.db import Store


@pytest.fixture(scope="module")
def lexicon():
    return Lexicon()


def test_the_most_frequent_slip_comes_first_with_the_learners_own_words(lexicon):
    errors = [
        {"word": "card", "expected": "d", "heard": ""},
        {"word": "think", "expected": "θ", "heard": "s"},
        {"word": "very", "expected": "v", "heard": "w"},
        {"word": "thank", "expected": "θ", "heard": "s"},
    ]
    items = sound_items(errors, lexicon, limit=7)
    assert [(i.word, i.partner) for i in items[:3]] == [
        ("thank", "sank"),  # the learner's own words first, the latest first
        ("think", "sink"),
        ("thin", "sin"),  # then everyday words that make a real minimal pair
    ]
    assert (items[3].word, items[3].partner) == ("card", "car")  # a final sound left out
    assert len(items) == 7 and all(i.expected in ("θ", "d", "v") for i in items)


def test_partners_are_everyday_words_spelled_like_the_word(lexicon):
    assert lexicon.partner("fill", "ɪ", "i") == "feel"  # not "feil"
    assert lexicon.partner("vine", "v", "w") == "wine"
    assert lexicon.partner("three", "θ", "s") == ""  # "sree" is no word


def say(tmp_path, name: str, text: str) -> str:
    path = tmp_path / f"{name}.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(path), text], check=True)
    return str(path)


def test_a_drill_scores_each_word_and_keeps_a_slip_said_again(cli, tmp_path):
    store = Store()
    store.add_sound_errors(store.learner_id("default"), [("think", "θ", "s")])
    store.close()
    right, wrong = say(tmp_path, "right", "think"), say(tmp_path, "wrong", "[[s'aNk]]")
    code, out, err = cli(
        "review", "--sounds", "--input-audio", right, "--input-audio", wrong, "--json"
    )
    assert code == 0, err
    first, second = (json.loads(line) for line in out.splitlines())
    assert (first["word"], first["not"], first["right"]) == ("think", "sink", True)
    assert (second["word"], second["not"], second["right"]) == ("thank", "sank", False)
    assert second["note"].startswith("thank: the first sound was /s/")
    store = Store()
    assert [(e["word"], e["expected"], e["heard"]) for e in store.sound_errors("default")] == [
        ("think", "θ", "s"),
        ("thank", "θ", "s"),
    ]
    store.close()


def test_with_no_slips_yet_the_drill_says_what_to_do_first(cli, tmp_path):
    code, out, err = cli("review", "--sounds", "--input-audio", say(tmp_path, "x", "think"))
    assert code == 0 and "No sounds to practise yet" in out


def test_typed_answers_are_refused_in_one_line(cli):
    code, out, err = cli("review", "--sounds", "--text", "think")
    assert code != 0 and "--input-audio" in err and "Traceback" not in err
