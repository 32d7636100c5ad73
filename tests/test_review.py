"""The review drill: cards from past mistakes, answer checks, scheduling over simulated days."""

from datetime import UTC, datetime, timedelta

import pytest

from im4talkin.progress.history import Mistake, Turn, load_history
from im4talkin.progress.review import Drill, fixed_sentence, is_right
from im4talkin.store.db import Store

from .seed import session

START = datetime(2026, 3, 2, 9, tzinfo=UTC)


class Clock:
    """A fixed clock the test moves by hand."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def _turn(text, *fixes, spans=()):
    mistakes = tuple(Mistake(kind, o, c) for o, c, kind in fixes)
    return Turn(1, 1, "travel", START, text, False, 0, mistakes, spans)


def test_the_fixed_sentence():
    turn = _turn("Yesterday I go to a airport.", ("go", "went", "tense"), ("a", "an", "article"))
    assert fixed_sentence(turn) == ("Yesterday I went to an airport.", ["went", "an"])
    # a stored span wins over a word search ("a" first appears inside "have")
    spanned = _turn("I have a apple", ("a", "an", "article"), spans=((7, 8),))
    assert fixed_sentence(spanned) == ("I have an apple", ["an"])
    assert fixed_sentence(_turn("hello there", ("xyz", "abc", "grammar"))) is None
    assert fixed_sentence(_turn("Hello", ("hello", "Hello", "grammar"))) is None


@pytest.mark.parametrize(
    "answer, right",
    [
        ("Yesterday I went to an airport.", True),
        ("yesterday i went to an airport", True),  # case and punctuation never matter
        ("Yesterday, I went to an airport!", True),
        ("yesterday i went to an airport um", True),  # a filler word from the recogniser
        ("Yesterday I go to an airport.", False),  # the mistake is still there
        ("I went to an airport", True),  # one word dropped: within the lenient WER
        ("went an", False),
        ("", False),
    ],
)
def test_answers_are_checked_leniently(answer, right):
    expected = "Yesterday I went to an airport."
    assert is_right(answer, expected, ["went", "an"]) is right


def _seed(store):
    session(
        store,
        "ana",
        "travel",
        START - timedelta(days=3),
        [
            ("yesterday i go to the beach", [("go", "went", "tense")], 0),
            ("she have two cats", [("have", "has", "agreement")], 0),
            ("we had a great time", [], 0),
            ("yesterday i go to the beach", [("go", "went", "tense")], 0),  # same sentence
        ],
    )
    session(store, "bob", "travel", START - timedelta(days=2), [
        ("he want a coffee", [("want", "wants", "agreement")], 0),
    ])  # fmt: skip


def test_cards_are_made_once_per_sentence_and_per_learner(home):
    store = Store()
    _seed(store)
    drill = Drill(store, "ana", Clock(START))
    assert drill.sync(load_history(store, "ana")) == 2
    assert drill.sync(load_history(store, "ana")) == 0  # nothing new
    due = drill.due()
    assert [c["corrected"] for c in due] == ["yesterday i went to the beach", "she has two cats"]
    bob = Drill(store, "bob", Clock(START))
    bob.sync(load_history(store, "bob"))
    assert [c["original"] for c in bob.due()] == ["he want a coffee"]
    assert {c["original"] for c in drill.due()} == {
        "yesterday i go to the beach",
        "she have two cats",
    }


def test_scheduling_over_simulated_days(home):
    store = Store()
    _seed(store)
    clock = Clock(START)
    drill = Drill(store, "ana", clock)
    drill.sync(load_history(store, "ana"))
    beach = next(c for c in drill.due() if "beach" in c["original"])
    intervals = []
    wrong_at = 3
    for day in range(365):
        for step in range(8):  # a drill each morning, checked every quarter of an hour
            clock.now = START + timedelta(days=day, minutes=15 * step)
            for card in drill.due():
                if card["id"] != beach["id"]:
                    continue
                right = len(intervals) != wrong_at
                answer = (
                    "Yesterday I went to the beach." if right else "yesterday i go to the beach"
                )
                out = drill.answer(card, answer)
                assert out.right is right
                intervals.append((right, out.next_due - clock.now))
    gaps = [gap for right, gap in intervals]
    rights = [right for right, gap in intervals]
    assert rights.count(False) == 1
    # right answers push the next review further out each time...
    first_run = gaps[1:wrong_at]
    assert all(b > a for a, b in zip(first_run, first_run[1:], strict=False))
    assert first_run[-1] >= timedelta(days=10)
    # ...a wrong one brings it back within the day...
    assert gaps[wrong_at] < timedelta(days=1)
    # ...and right answers push it out again, further each time
    again = gaps[wrong_at + 1 :]
    assert all(b > a for a, b in zip(again, again[1:], strict=False)) and again[-1] > first_run[-1]
    reviews = store.reviews("ana")
    assert len(reviews) == len(intervals) and [bool(r["correct"]) for r in reviews] == rights
    assert store.reviews("bob") == []
    # the other card was never answered and is overdue; nothing is due for bob yet (no cards)
    assert [c["original"] for c in drill.due()] == ["she have two cats"]


def test_cards_are_made_in_one_transaction_without_waiting(home, monkeypatch):
    store = Store()
    _seed(store)
    history = load_history(store, "ana")
    drill = Drill(store, "ana", Clock(START))
    add, calls = store.add_card, []

    def fail_second(*args):
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return add(*args)

    monkeypatch.setattr(store, "add_card", fail_second)
    with pytest.raises(RuntimeError):
        drill.sync(history)
    assert store.cards("ana") == []  # the first card was rolled back with the second
    monkeypatch.setattr(store, "add_card", add)
    import time

    monkeypatch.setattr(time, "sleep", lambda s: pytest.fail("fsrs slept to make a card id"))
    assert drill.sync(history) == 2
    cards = store.cards("ana")
    assert [c["state"]["card_id"] for c in cards] == [c["turn_id"] for c in cards]


def test_the_next_due_card(home):
    store = Store()
    _seed(store)
    clock = Clock(START)
    drill = Drill(store, "ana", clock)
    assert drill.next_due() is None
    drill.sync(load_history(store, "ana"))
    for card in drill.due():
        drill.answer(card, card["corrected"])
    assert drill.due() == []
    assert drill.next_due() == START + timedelta(minutes=10)


# --- the command -------------------------------------------------------------------------


@pytest.fixture
def no_llm(monkeypatch):
    """A review must never load a language model."""
    from im4talkin import registry

    def refuse(*args, **kwargs):
        raise AssertionError("review loaded a language model")

    for key in [k for k in registry.REGISTRY if k[0] == "llm"]:
        monkeypatch.setitem(registry.REGISTRY, key, refuse)


def _json_lines(out):
    import json

    return [json.loads(line) for line in out.splitlines()]


def test_scripted_typed_review_as_json(cli, no_llm):
    _seed(Store())
    code, out, err = cli(
        "review", "--learner", "ana", "--json",
        "--text", "Yesterday I went to the beach.", "--text", "she have two cats",
    )  # fmt: skip
    assert code == 0, err
    first, second = _json_lines(out)
    assert first["original"] == "yesterday i go to the beach" and first["correct"] is True
    assert first["expected"] == "yesterday i went to the beach" and first["input"] == "text"
    assert second["correct"] is False and second["interval_days"] < 1
    assert set(first) == {
        "card", "kind", "original", "expected", "answer", "input", "correct",
        "next_review", "interval_days",
    }  # fmt: skip
    assert [bool(r["correct"]) for r in Store().reviews("ana")] == [True, False]
    assert Store().reviews("bob") == []


def test_the_rendered_review_and_its_xp(cli, no_llm):
    _seed(Store())
    code, out, _ = cli("review", "--learner", "bob", "--text", "He wants a coffee!")
    assert code == 0
    assert "he want a coffee" in out and "right!" in out and "1 of 1 right." in out
    assert "+5 XP" in out and "new badge: Back to it" in out


def test_more_answers_than_due_sentences(cli, no_llm):
    _seed(Store())
    code, out, err = cli("review", "--learner", "bob", "--json", "--text", "x", "--text", "y")
    assert code == 0 and len(_json_lines(out)) == 1 and "only 1 sentence was due" in err
    # ana has two sentences due: --limit, not the due list, left an answer unused
    code, out, err = cli(
        "review", "--learner", "ana", "--json", "--limit", "1", "--text", "x", "--text", "y"
    )  # fmt: skip
    assert code == 0 and len(_json_lines(out)) == 1
    assert "--limit 1 allows 1 sentence at a time" in err and "were due" not in err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--text", ""], "an empty --text answer"),
        (["--text", "she has two cats", "--text", "  ?! "], "an empty --text answer"),
        (["--json"], "--json needs --text or --input-audio"),
    ],
)
def test_answers_that_are_refused(cli, no_llm, args, message):
    _seed(Store())
    code, out, err = cli("review", "--learner", "ana", *args)
    assert code == 2 and not out
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0]
    assert Store().reviews("ana") == []  # no answer, no XP, no streak day


@pytest.mark.parametrize(
    "days, words", [(1.2, "in 1 day"), (3.4, "in 3 days"), (0.3, "again soon")]
)
def test_when_the_next_review_is(days, words):
    from io import StringIO

    from rich.console import Console

    from im4talkin.cli.review import _show_outcome
    from im4talkin.progress.review import Outcome

    card = {"corrected": "she has two cats"}
    console = Console(file=StringIO(), width=100)
    _show_outcome(console, Outcome(card, "x", "text", True, START + timedelta(days=days), START))
    assert console.file.getvalue().strip().endswith(f"next review {words}")


def test_nothing_to_review(cli, no_llm):
    code, out, _ = cli("review")
    assert code == 0 and "No mistakes to review yet" in out
    _seed(Store())
    cli("review", "--learner", "bob", "--text", "he wants a coffee")
    code, out, _ = cli("review", "--learner", "bob")
    assert code == 0 and "Nothing to review right now" in out


def test_an_unknown_learner(cli, no_llm):
    _seed(Store())
    code, out, err = cli("review", "--learner", "zed", "--text", "hi")
    assert code == 2 and "no learner named 'zed'" in err and "ana, bob" in err and not out


def test_a_spoken_answer_is_heard_by_the_recogniser(cli, no_llm, monkeypatch, speech, whisper_base):
    from im4talkin import registry

    monkeypatch.setitem(registry.REGISTRY, ("asr", "whisper-base"), lambda *a, **k: whisper_base)
    _seed(Store())
    wav = speech("He wants a coffee.")
    code, out, err = cli("review", "--learner", "bob", "--json", "--input-audio", str(wav))
    assert code == 0, err
    (answer,) = _json_lines(out)
    assert answer["input"] == "audio" and answer["correct"] is True, answer
    assert "coffee" in answer["answer"].lower()


def test_the_interactive_drill_typed_in_a_real_process(home):
    import os
    import subprocess
    import sys

    _seed(Store())
    proc = subprocess.run(
        [sys.executable, "-m", "im4talkin", "review", "--learner", "ana"],
        input="/skip\n\nshe has two cats\n/quit\n",
        capture_output=True,
        text=True,
        env={**os.environ, "IM4TALKIN_HOME": str(home), "COLUMNS": "120"},
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "review 1/2" in out and "yesterday i go to the beach" in out  # skipped
    assert "review 2/2" in out and "right!" in out and "1 of 1 right." in out
    assert [r["answer"] for r in Store().reviews("ana")] == ["she has two cats"]
