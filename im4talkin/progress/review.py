"""The review drill over a learner's own past mistakes.

Each turn with corrections becomes one card: the sentence as said, and the same sentence
with the corrections applied. Cards are scheduled by FSRS (the ``fsrs`` package): a right
answer pushes the next review out (days, then weeks), a wrong one brings it back in minutes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .history import History, Turn, normalise

LENIENT_WER = 0.25
"""An answer with every fix in it may differ from the expected sentence by this much WER
(a recogniser slip, a dropped filler word) and still count as right."""


def fixed_sentence(turn: Turn) -> tuple[str, list[str]] | None:
    """The turn's sentence with every correction applied, and the corrected words.

    A correction is placed by its stored span, else by the first whole-word match of its
    words; overlapping ones after the first are skipped. None when nothing can be applied.
    """
    text = turn.text
    spans = turn.spans or tuple((-1, -1) for _ in turn.mistakes)
    edits = []
    for mistake, (start, end) in zip(turn.mistakes, spans, strict=False):
        if not (0 <= start < end <= len(text) and text[start:end] == mistake.original):
            if not mistake.original.strip():
                continue
            pattern = rf"(?<!\w){re.escape(mistake.original)}(?!\w)"
            found = re.search(pattern, text, re.IGNORECASE)
            if not found:
                continue
            start, end = found.span()
        edits.append((start, end, mistake.corrected))
    kept: list[tuple[int, int, str]] = []
    for edit in sorted(edits):
        if not kept or edit[0] >= kept[-1][1]:
            kept.append(edit)
    fixed = text
    for start, end, corrected in reversed(kept):
        fixed = fixed[:start] + corrected + fixed[end:]
    fixed = " ".join(fixed.split())
    if not kept or normalise(fixed) == normalise(text):
        return None
    return fixed, [c for _, _, c in kept]


def is_right(answer: str, expected: str, fixes: list[str]) -> bool:
    """Whether ``answer`` says ``expected``: case and punctuation never matter; every fix
    must be in it, and the rest may differ by :data:`LENIENT_WER`."""
    said, want = normalise(answer), normalise(expected)
    if not said:
        return False
    if said == want:
        return True
    padded = f" {said} "
    if not all(f" {normalise(f)} " in padded for f in fixes if normalise(f)):
        return False
    import jiwer

    return jiwer.wer(want, said) <= LENIENT_WER


def new_cards(history: History) -> list[tuple[Turn, str, list[str]]]:
    """The cards :meth:`Drill.sync` would make: (turn, fixed sentence, fixes) for each turn
    with corrections after the newest carded one, one per sentence not carded yet."""
    newest = max((c["turn_id"] or 0 for c in history.cards), default=0)
    carded = {c["original"] for c in history.cards}
    out = []
    for turn in history.turns:
        if turn.id <= newest or not turn.mistakes or turn.text in carded:
            continue
        fixed = fixed_sentence(turn)
        if fixed is not None:
            carded.add(turn.text)
            out.append((turn, *fixed))
    return out


class Scheduler:
    """FSRS with fuzzing off, so the same answers on the same days give the same dates."""

    def __init__(self) -> None:
        from fsrs import Scheduler as Fsrs

        self._fsrs = Fsrs(enable_fuzzing=False)

    def new(self, due: datetime, card_id: int) -> dict[str, Any]:
        """The state of a card that has never been reviewed, due at ``due``.

        ``card_id`` is given: without one, fsrs makes one from the clock and sleeps 1 ms.
        """
        from fsrs import Card

        return Card(card_id=card_id, due=due.astimezone(UTC)).to_dict()

    def grade(self, state: dict[str, Any], right: bool, now: datetime) -> tuple[dict, datetime]:
        """The card's state and due time after an answer at ``now``."""
        from fsrs import Card, Rating

        rating = Rating.Good if right else Rating.Again
        card, _log = self._fsrs.review_card(Card.from_dict(state), rating, now.astimezone(UTC))
        return card.to_dict(), card.due


@dataclass(frozen=True)
class Outcome:
    """One answered card."""

    card: dict[str, Any]
    answer: str
    input: str
    right: bool
    next_due: datetime
    now: datetime

    def public(self) -> dict[str, Any]:
        """The object ``review --json`` prints."""
        return {
            "card": self.card["id"],
            "kind": self.card["kind"],
            "original": self.card["original"],
            "expected": self.card["corrected"],
            "answer": self.answer,
            "input": self.input,
            "correct": self.right,
            "next_review": self.next_due.astimezone(UTC).isoformat(timespec="seconds"),
            "interval_days": round((self.next_due - self.now).total_seconds() / 86400, 2),
        }


class Drill:
    """Reviews of one learner's cards; ``clock`` gives the current time (tests fix it)."""

    def __init__(
        self,
        store: Any,
        learner: str,
        clock: Callable[[], datetime] | None = None,
        scheduler: Scheduler | None = None,
    ) -> None:
        self.store = store
        self.learner = learner
        self.clock = clock or (lambda: datetime.now(UTC))
        self.scheduler = scheduler or Scheduler()

    def sync(self, history: History) -> int:
        """Make cards from turns with corrections not carded yet, in one transaction;
        return how many."""
        made = 0
        conn = self.store.conn
        with conn:  # commits at the end, rolls back on an error
            conn.execute("BEGIN")
            for turn, sentence, fixes in new_cards(history):
                state = self.scheduler.new(turn.at, turn.id)
                kind = turn.mistakes[0].kind
                card = self.store.add_card(
                    self.learner, turn.id, turn.text, sentence, fixes, kind, state, turn.at, turn.at
                )
                made += card is not None
        return made

    def due(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The cards due now, most overdue first."""
        cards = self.store.cards(self.learner, due_by=self.clock())
        return cards[:limit] if limit else cards

    def answer(self, card: dict[str, Any], answer: str, input: str = "text") -> Outcome:
        """Check ``answer`` to ``card``, reschedule the card and save both."""
        now = self.clock()
        right = is_right(answer, card["corrected"], card["fixes"])
        state, due = self.scheduler.grade(card["state"], right, now)
        rating = 3 if right else 1
        self.store.record_review(card["id"], answer, input, right, rating, state, due, at=now)
        return Outcome(card, answer, input, right, due, now)

    def next_due(self) -> datetime | None:
        """When the next card falls due (None when there are no cards)."""
        cards = self.store.cards(self.learner)
        if not cards:
            return None
        return datetime.fromisoformat(cards[0]["due"])
