"""A learner's history as plain records: turns with their mistakes, readings, fine-tunes,
review cards and answers. Loaded once from the store; reports, XP and reviews read it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from ..errors import ConfigError

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")


def words(text: str) -> list[str]:
    """The words of ``text``, lower case (``don't`` is one word)."""
    return _WORD.findall(text.lower())


def normalise(text: str) -> str:
    """``text`` for comparing: lower case, words and numbers only, single spaces."""
    return " ".join(_TOKEN.findall(text.lower()))


def parse_time(value: str) -> datetime:
    """A stored timestamp (UTC, ``...Z``) as an aware datetime."""
    return datetime.fromisoformat(value)


def local_day(at: datetime) -> date:
    """The learner's calendar day of ``at`` (this machine's time zone)."""
    return at.astimezone().date()


@dataclass(frozen=True)
class Mistake:
    """One correction the tutor made in a turn."""

    kind: str
    original: str
    corrected: str
    explanation: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        """The same mistake again: same kind, same words, same fix (case ignored)."""
        return (self.kind, normalise(self.original), normalise(self.corrected))


@dataclass(frozen=True)
class Turn:
    """One saved learner turn."""

    id: int
    session_id: int
    topic: str
    at: datetime
    text: str
    spoken: bool
    seconds: float
    mistakes: tuple[Mistake, ...]
    spans: tuple[tuple[int, int], ...] = ()
    """Character span of each mistake in ``text`` ((-1, -1) when unknown)."""

    @property
    def word_count(self) -> int:
        """Words as the session summary counts them (whitespace-separated)."""
        return len(self.text.split())


@dataclass
class History:
    """Everything one learner did, oldest first."""

    learner: str
    turns: list[Turn] = field(default_factory=list)
    readings: list[dict[str, Any]] = field(default_factory=list)
    sounds: list[dict[str, Any]] = field(default_factory=list)
    """Sounds said as other sounds (``word, expected, heard, at``), oldest first."""
    finetunes: list[dict[str, Any]] = field(default_factory=list)
    cards: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.turns or self.readings or self.finetunes or self.reviews)


def _turn(row: dict[str, Any]) -> Turn:
    fixes = json.loads(row["corrections"])
    return Turn(
        id=row["id"],
        session_id=row["session_id"],
        topic=row["topic"],
        at=parse_time(row["created_at"]),
        text=row["text"],
        spoken=row["input"] == "audio",
        seconds=float(row["seconds"] or 0.0),
        mistakes=tuple(
            Mistake(f["kind"], f["original"], f["corrected"], f.get("explanation", ""))
            for f in fixes
        ),
        spans=tuple((int(f.get("start", -1)), int(f.get("end", -1))) for f in fixes),
    )


def load_history(store: Any, learner: str) -> History:
    """Read one learner's whole history from ``store`` (a :class:`~im4talkin.store.db.Store`)."""
    readings = store.readings(learner)
    reviews = store.reviews(learner)
    for row in (*readings, *reviews):
        row["at"] = parse_time(row["created_at"])
    finetunes = store.finetunes(learner)
    sounds = store.sound_errors(learner)
    for row in (*finetunes, *sounds):
        row["at"] = parse_time(row["created_at"])
    return History(
        learner=learner,
        turns=[_turn(r) for r in store.history(learner)],
        readings=readings,
        sounds=sounds,
        finetunes=finetunes,
        cards=store.cards(learner),
        reviews=reviews,
    )


def pick_learner(store: Any, name: str, named: bool) -> str:
    """``name`` when it is a learner here, or when it was not asked for by name.

    A learner named on the command line who has no history is a mistake (a typo, most
    likely): ConfigError lists the learners there are. The configured default with no
    history is simply someone new.
    """
    if not named or store.find_learner(name) is not None:
        return name
    known = store.learner_names()
    listed = ", ".join(known) if known else "none yet"
    raise ConfigError(
        f"no learner named '{name}' on this machine (learners: {listed}); "
        f"check the spelling, or start with: im4talkin talk --learner {name}"
    )


def practice_days(history: History) -> set[date]:
    """The local days with any practice: a turn, an enrolment reading or a review."""
    days = {local_day(t.at) for t in history.turns}
    days.update(local_day(r["at"]) for r in history.readings)
    days.update(local_day(r["at"]) for r in history.reviews)
    return days


def streaks(days: set[date], today: date) -> tuple[int, int]:
    """(current, best) runs of consecutive practice days.

    The current streak is still alive on a day not yet practised: it counts back from today,
    or from yesterday when today has no practice yet.
    """
    best = run = 0
    previous = None
    for day in sorted(days):
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        best = max(best, run)
        previous = day
    current = 0
    day = today if today in days else today - timedelta(days=1)
    while day in days:
        current += 1
        day -= timedelta(days=1)
    return current, best
