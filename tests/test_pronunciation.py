"""Pronunciation feedback: CTC scoring, the lexicon, and the real phoneme recogniser on speech
with one word said the way learners say it (espeak-ng phoneme input)."""

from __future__ import annotations

import itertools
import json
import subprocess

import numpy as np
import pytest

from im4talkin import registry
from im4talkin.config import load_settings
from im4talkin.feedback.ctc import log_likelihoods
from im4talkin.feedback.pronunciation import WordSounds, _changes_word
from im4talkin.reading import assess, with_sounds

# Sentences of this file only (not in bench/data): (as written, as said, the word said wrong)
SAID_WRONG = [
    ("The sun is hot today.", "The [[S'Vn]] is hot today.", "sun"),
    ("The road to the village is long.", "The [[l'oUd]] to the village is long.", "road"),
    ("She wants a very small cake.", "She wants a [[w'Eri]] small cake.", "very"),
]


def brute_force(log_probs: np.ndarray, target: list[int], blank: int) -> float:
    """log P(target) by summing every frame path that collapses to it."""
    total = []
    for path in itertools.product(range(log_probs.shape[1]), repeat=len(log_probs)):
        collapsed = [s for i, s in enumerate(path) if s != blank and (i == 0 or s != path[i - 1])]
        if collapsed == target:
            total.append(sum(log_probs[t, s] for t, s in enumerate(path)))
    return float(np.logaddexp.reduce(total)) if total else -np.inf


def test_ctc_likelihoods_equal_the_sum_over_every_path_in_one_batch_of_any_lengths():
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(5, 4))
    log_probs = logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)
    targets = [[1, 2], [1, 1], [3], [2, 3, 1], [2, 2, 2, 2]]
    got = log_likelihoods(log_probs, targets, blank=0)
    want = [brute_force(log_probs, t, 0) for t in targets]
    assert got[:4] == pytest.approx(want[:4], abs=1e-9)
    assert want[4] == -np.inf and got[4] < -1e20  # 4 repeats need 7 frames: there are 5


def test_which_changes_make_another_word():
    assert _changes_word(("θ", "ɪ", "ŋ", "k"), 0, "s")  # think -> sink
    assert _changes_word(("ʃ", "ɪ", "p"), 1, "i")  # ship -> sheep
    assert not _changes_word(("f", "ɑ", "ð", "ɝ"), 1, "æ")  # a vowel accent
    assert not _changes_word(("h", "i", "ɹ"), 1, "ɪ")  # before r, no long/short vowel
    assert not _changes_word(("w", "ɔ", "t", "ɝ"), 2, "d")  # the American flap
    assert _changes_word(("b", "æ", "d"), 2, "t")  # final devoicing: bad -> bat
    assert not _changes_word(("k", "ɑ", "ɹ"), 2, "")  # a silent r is British


@pytest.fixture(scope="module")
def checker():
    return registry.sound_checker(load_settings())


def test_the_lexicon_reads_homographs_from_the_sentence_and_spells_unknown_words(checker):
    lex = checker.lexicon
    assert lex.variants("think") == [("θ", "ɪ", "ŋ", "k")]
    doc = checker.nlp("I live here and we watched a live show")
    assert [t.tag_ for t in doc if t.text == "live"] == ["VBP", "JJ"]
    assert lex.variants("live", "VBP") == [("l", "ɪ", "v")]
    assert lex.variants("live", "JJ") == [("l", "aɪ", "v")]
    assert lex.variants("read", "VBD") == [("ɹ", "ɛ", "d")]
    assert ("d", "ʌ", "z") in lex.variants("does")
    spelled = lex.variants("blorptastic")
    assert len(spelled) == 1 and len(spelled[0]) >= 6
    assert set(spelled[0]) <= set(checker.recognizer.symbols)


def speak(tmp_path, text: str, name: str) -> np.ndarray:
    from im4talkin.audio.io import load_audio

    path = tmp_path / f"{name}.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(path), text], check=True)
    return load_audio(path).samples


@pytest.mark.parametrize("text,said,word", SAID_WRONG)
def test_a_word_said_wrong_is_flagged_and_the_same_sentence_read_right_is_not(
    checker, tmp_path, text, said, word
):
    wrong = _scored(checker.check(text, speak(tmp_path, said, "wrong")))
    right = _scored(checker.check(text, speak(tmp_path, text, "right")))
    assert not wrong[word].ok and wrong[word].note.startswith(f"{word}: ")
    assert wrong[word].score < right[word].score
    assert all(s.ok for w, s in wrong.items() if w != word)
    assert all(s.ok for s in right.values()) and right[word].score >= 70
    assert set(right) == set(wrong) and "the" not in right  # function words are not scored


def _scored(sounds: list[WordSounds | None]) -> dict[str, WordSounds]:
    return {s.word: s for s in sounds if s is not None}


def test_the_note_names_the_sound_heard_and_how_to_make_the_right_one(checker, tmp_path):
    sounds = checker.check("The sun is hot today.", speak(tmp_path, SAID_WRONG[0][1], "sun"))
    sun = next(s for s in sounds if s and s.word == "sun")
    assert sun.expected == ("s", "ʌ", "n") and sun.heard[0] == "ʃ"
    assert sun.note.startswith("sun: the first sound was /ʃ/ - ")
    assert sun.to_json() == {
        "expected": "sʌn",
        "heard": "".join(sun.heard),
        "score": sun.score,
        "ok": False,
        "note": sun.note,
    }


def test_words_not_heard_get_no_sounds_and_flagged_words_are_practised():
    flagged = WordSounds("sun", ("s", "ʌ", "n"), ("ʃ", "ʌ", "n"), (10, 90, 90), 63, False, "x")
    fine = WordSounds("hot", ("h", "ɑ", "t"), ("h", "ɑ", "t"), (99, 99, 99), 99, True)
    reading = assess("The sun is hot today.", "The sun is today")
    out = with_sounds(reading, [None, flagged, None, fine, None])
    by_ref = {w.ref: w for w in out.words}
    assert by_ref["sun"].sounds is flagged and by_ref["hot"].sounds is None  # "hot": missed
    assert out.practise == ["hot", "sun"]
    assert out.to_json()["words"][1]["sounds"]["ok"] is False


def test_enroll_json_carries_sounds_for_each_scored_word(cli, tmp_path):
    text, said, word = SAID_WRONG[2]
    passage = tmp_path / "mine.txt"
    passage.write_text(text + "\n")
    wav = tmp_path / "said.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(wav), said], check=True)
    code, out, err = cli("enroll", "--passages", str(passage), "--input-audio", str(wav), "--json")
    assert code == 0, err
    row = json.loads(out.splitlines()[0])
    sounds = {w["ref"]: w.get("sounds") for w in row["words"] if w["ref"]}
    assert sounds["a"] is None and sounds["she"] is None
    for w in ("wants", "very", "small", "cake"):
        assert set(sounds[w]) >= {"expected", "heard", "score", "ok"}
        assert 0 <= sounds[w]["score"] <= 100
    assert sounds["very"]["ok"] is False and sounds["very"]["expected"] == "vɛɹi"
    assert "very" in row["practise"]


def test_enroll_without_a_phoneme_recogniser_has_no_sounds(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("IM4TALKIN_FEEDBACK_SOUNDS", "")
    passage = tmp_path / "mine.txt"
    passage.write_text("The sun is hot today.\n")
    wav = tmp_path / "said.wav"
    subprocess.run(
        ["espeak-ng", "-v", "en-us", "-w", str(wav), "The sun is hot today."], check=True
    )
    code, out, err = cli("enroll", "--passages", str(passage), "--input-audio", str(wav), "--json")
    assert code == 0, err
    assert all("sounds" not in w for w in json.loads(out.splitlines()[0])["words"])
