"""Seeding learner histories through the real store, for the progress tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from im4talkin.messages import Correction, Feedback, TurnResult
from im4talkin.progress.history import load_history
from im4talkin.progress.review import Drill
from im4talkin.store.db import SessionInfo, Store
from im4talkin.tutor.topics import load_topic

Fix = tuple[str, str, str]
"""(original words, corrected words, kind)"""


def result(n: int, text: str, fixes: list[Fix] = (), topic: str = "travel", spoken=False):
    """A finished turn with corrections placed at the first match of their words."""
    corrections = []
    for original, corrected, kind in fixes:
        start = text.find(original)
        end = start + len(original) if start >= 0 else -1
        corrections.append(
            Correction(original, corrected, f"Use '{corrected}'.", kind, "rules", start, end)
        )
    feedback = Feedback(tuple(corrections), "Nice!")
    return TurnResult(n, topic, "audio" if spoken else "text", text, feedback, "Really?")


def session(
    store: Store,
    learner: str,
    topic: str,
    at: datetime,
    turns: list[tuple[str, list[Fix], float]],
) -> int:
    """A session started at ``at`` with one turn a minute: (text, fixes, seconds spoken)."""
    sid = store.start_session(learner, SessionInfo(topic, "B1", "embedded", "qwen"), "Hi?", at=at)
    for n, (text, fixes, seconds) in enumerate(turns, start=1):
        turn = result(n, text, fixes, topic, spoken=seconds > 0)
        store.save_turn(sid, turn, seconds=seconds, at=at + timedelta(minutes=n))
    store.end_session(sid, at=at + timedelta(minutes=len(turns) + 1))
    return sid


GO = ("go", "went", "tense")
HAVE = ("have", "has", "agreement")
ON = ("on", "in", "preposition")
A_OLD = ("a old", "an old", "article")
DONT = ("don't", "doesn't", "agreement")

_WHO = ["my sister", "my friend", "our guide", "my cousin", "the waiter", "my boss"]
_DID = ["booked a hotel", "ordered a dessert", "lost the passport", "found a good menu",
        "packed the luggage", "asked for the bill", "checked the flight"]  # fmt: skip
_WHEN = ["this morning", "last night", "on monday", "after lunch", "before the delay"]


def clean(n: int) -> str:
    """The n-th of many different correct sentences."""
    return f"{_WHO[n % 6]} {_DID[n // 6 % 7]} {_WHEN[n // 42 % 5]}"


def wrong(fix: Fix, n: int) -> tuple[str, list[Fix], float]:
    """A sentence with one known mistake (the n-th variant of it); odd ones are spoken."""
    place = ["the beach", "the museum", "the market", "the station", "the park"][n % 5]
    text = {
        GO: f"yesterday i go to {place}",
        HAVE: f"she have a house near {place}",
        ON: f"i am interested on {place}",
        A_OLD: f"we visited a old church near {place}",
        DONT: f"he don't like {place}",
    }[fix]
    return text, [fix], 3.0 if n % 2 else 0.0


PLAN = {
    # learner: [(days ago, topic, [(text, fixes, seconds spoken)])]
    "ana": [
        *[
            (
                d,
                "travel",
                [
                    wrong(GO, d),
                    wrong(HAVE, d),
                    wrong(ON, d),
                    (clean(d), [], 4.5),
                    (clean(d + 50), [], 0),
                ],
            )  # fmt: skip
            for d in (27, 26, 25)
        ],
        *[
            (
                d,
                "restaurant",
                [wrong(HAVE, d), wrong(A_OLD, d), (clean(d), [], 3.0), (clean(d + 50), [], 6.0)],
            )  # fmt: skip
            for d in (20, 19)
        ],
        *[
            (
                d,
                "travel" if d % 2 else "restaurant",
                [
                    wrong(ON if d > 10 else A_OLD, d),
                    (clean(d), [], 5.0),
                    (clean(d + 50), [], 0),
                    (clean(d + 100), [], 2.5),
                ],
            )  # fmt: skip
            for d in range(13, 6, -1)
        ],
        (2, "travel", [(clean(2), [], 0), (clean(52), [], 3.5), (clean(102), [], 0)]),
        (1, "travel", [(clean(2), [], 0), (clean(151), [], 4.0)]),  # clean(2) said again
        (0, "restaurant", [(clean(200), [], 0), wrong(DONT, 0)]),
    ],
    "bob": [
        (3, "travel", [wrong(HAVE, 3), (clean(3), [], 2.0)]),
        (1, "shopping", [wrong(HAVE, 1), wrong(GO, 1)]),
    ],
    "cleo": [(40, "health", [(clean(7), [], 0)])],
}
"""A few weeks of sessions of three learners, with mistakes that stop and some that stay."""


def day_at(days_ago: int, hour: int = 10) -> datetime:
    """``hour`` o'clock local time, ``days_ago`` days before today, as an aware datetime."""
    day = datetime.now().astimezone().date() - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, hour).astimezone()


def seed_plan(store: Store, plan: dict = PLAN) -> None:
    """Save every session of ``plan`` through the store, each at 10:00 local time."""
    for learner, sessions in plan.items():
        for days_ago, topic, turns in sessions:
            session(store, learner, topic, day_at(days_ago), turns)


READINGS = [  # (days ago, sentence, score, seconds): sentences 0 and 1 are read again later
    *[(20, i, s, 4.0) for i, s in enumerate((60, 65, 70, 62, 68))],
    (9, 0, 80, 3.5),
    (9, 1, 85, 3.0),
]
BOB_READINGS = [(3, 0, 99, 9.0)]
REVIEWS = [(2, 0, True), (2, 1, False), (2, 2, True), (1, 1, True)]
"""(days ago, card index among those due then, answered right?)"""


def seed_full(store: Store) -> None:
    """:data:`PLAN`, enrolment readings, two fine-tunes and a few reviews of ana's mistakes."""
    seed_plan(store)
    travel = load_topic("travel").reading
    for days_ago, i, score, seconds in READINGS:
        store.add_reading("ana", "travel", i, travel[i], travel[i].lower(), 0.1, score, seconds,
                          at=day_at(days_ago))  # fmt: skip
    for days_ago, i, score, seconds in BOB_READINGS:
        store.add_reading("bob", "travel", i, travel[i], travel[i], 0.0, score, seconds,
                          at=day_at(days_ago))  # fmt: skip
    store.add_finetune("ana", "embedded", "whisper-base", 0.22, 0.15, True, at=day_at(15))
    store.add_finetune("ana", "embedded", "whisper-base", 0.21, 0.12, True,
                       {"epochs": [3], "change": -0.4286, "interval": [-0.6, -0.25],
                        "sentences": 40}, at=day_at(5))  # fmt: skip
    clock_now = [day_at(2, 12)]
    drill = Drill(store, "ana", lambda: clock_now[0])
    drill.sync(load_history(store, "ana"))
    missed = []  # the card answered wrong on the first day comes back the next
    for days_ago in (2, 1):
        clock_now[0] = day_at(days_ago, 12)
        due = drill.due()
        for _, index, right in [r for r in REVIEWS if r[0] == days_ago]:
            card = due[index] if days_ago == 2 else next(c for c in due if c["id"] in missed)
            drill.answer(card, card["corrected"] if right else card["original"])
            if not right:
                missed.append(card["id"])
