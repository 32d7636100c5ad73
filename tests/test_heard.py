"""The mistakes Whisper smooths over, heard back from the learner's sounds (real phoneme
recogniser on espeak-ng speech; Whisper itself in the end-to-end turn)."""

from __future__ import annotations

import subprocess

import pytest

from im4talkin import registry
from im4talkin.audio.io import load_audio, speech_span
from im4talkin.config import load_settings
from im4talkin.feedback.heard import Heard, HeardBack, slips


@pytest.fixture(scope="module")
def back():
    checker = registry.sound_checker(load_settings())
    return HeardBack(checker.recognizer, checker.lexicon, checker.nlp)


def said(tmp_path, text: str, voice: str = "en-us"):
    path = tmp_path / "said.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True)
    return speech_span(load_audio(path)).samples


def test_the_slips_a_learner_makes_are_made_from_the_transcript(nlp):
    made = {(w, s) for _, _, w, s in slips(nlp("My father drives to work. She has two cats."))}
    assert {("drives", "drive"), ("has", "have"), ("cats", "cat")} <= made
    made = {(w, s) for _, _, w, s in slips(nlp("Yesterday we went to the beach."))}
    assert {("went", "go"), ("the", ""), ("went", "goed")} <= made
    assert ("Yesterday", "") not in made


def test_a_heard_word_is_put_back_in_the_transcript():
    h = Heard(10, 16, "drives", "drive", 3.0)
    assert h.apply("My father drives to work.") == "My father drive to work."
    gone = Heard(8, 11, "the", "", 6.0)
    assert gone.apply("We went the home.") == "We went home."
    assert "'drive'" in h.note() and "'drives'" in h.note()


@pytest.mark.parametrize("voice", ["en-us", "en-gb-scotland"])
def test_the_sounds_say_drive_where_the_transcript_says_drives(back, tmp_path, voice):
    audio = said(tmp_path, "my father drive to work every day", voice)
    text, notes = back.revise("My father drives to work every day.", audio)
    assert text == "My father drive to work every day."
    assert notes == ["your recording says 'drive' where the recogniser wrote 'drives'"]


@pytest.mark.parametrize(
    "spoken,written,want",
    [
        ("she have two brothers", "She has two brothers.", "She have two brothers."),
        ("he go to school by bus", "He goes to school by bus.", "He go to school by bus."),
        ("i have two cat", "I have two cats.", "I have two cat."),
    ],
)
def test_other_smoothed_mistakes_are_heard_back(back, tmp_path, spoken, written, want):
    assert back.revise(written, said(tmp_path, spoken))[0] == want


@pytest.mark.parametrize(
    "text",
    [
        "My father drives to work every day.",
        "She does not like coffee.",
        "My sister likes cats.",
        "Yesterday I saw a good film.",
    ],
)
def test_a_sentence_said_as_written_is_left_alone(back, tmp_path, text):
    assert back.revise(text, said(tmp_path, text)) == (text, [])


class WritesTheTidySentence:
    """Whisper's smoothing, made certain: the recording is real, the transcript is tidy."""

    name = "tidy"

    def transcribe(self, samples):
        return "My father drives to work every day."

    def warm_up(self):
        pass


def test_a_spoken_turn_is_corrected_even_when_the_recogniser_writes_drives(
    spoken_turn, monkeypatch
):
    monkeypatch.setitem(
        registry.REGISTRY, ("asr", "whisper-base"), lambda *a, **k: WritesTheTidySentence()
    )
    turn = spoken_turn("my father drive to work every day")
    assert turn["transcript"] == "My father drive to work every day."
    assert any(c["original"] == "drive" and c["corrected"] == "drives" for c in turn["corrections"])
    assert "your recording says 'drive' where the recogniser wrote 'drives'" in turn["notes"]
    assert turn["timings_ms"]["phonemes"] > 0


def test_a_real_spoken_turn_of_drive_is_corrected(spoken_turn):
    turn = spoken_turn("my father drive to work every day")
    assert any(c["original"] == "drive" and c["corrected"] == "drives" for c in turn["corrections"])
