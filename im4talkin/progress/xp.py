"""Gamification rules in one place: XP, levels and badges, all computed from the history.

Nothing is stored: the same history always gives the same XP, so a rule change applies
to the past too, and there is nothing to farm. Nothing is taken back either: a mistake
once fixed keeps its XP and badge when it comes back, and a mastered kind its badge. No
XP for an empty turn or for a turn that repeats an earlier one of the learner (same words,
case and punctuation ignored), and a review earns XP once per card per day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from .history import (
    History,
    Turn,
    load_history,
    local_day,
    normalise,
    practice_days,
    streaks,
)
from .mistakes import mastered_kinds, mistake_stats

TURN_XP = 10
"""A conversation turn with words in it, said for the first time."""
FIXED_XP = 25
"""A corrected mistake that stopped coming back (see :mod:`.mistakes`)."""
READING_XP = 5
"""A sentence read aloud at enrolment."""
REVIEW_XP = 5
"""A review answered right (once per card per day)."""
REVIEW_TRY_XP = 2
"""A review answered wrong: the effort counts too (once per card per day)."""
LEVEL_STEP = 100
"""Level n needs ``LEVEL_STEP * n`` more XP to reach level n + 1."""

BADGES = {
    "first_conversation": ("First conversation", "your first turn with a partner"),
    "first_enrolment": ("Voice enrolled", "read sentences aloud for your voice profile"),
    "first_review": ("Back to it", "reviewed one of your past mistakes"),
    "first_fix": ("Fixed it", "a mistake you used to make has not come back"),
    "streak_7": ("7-day streak", "practised seven days in a row"),
    "turns_100": ("100 turns", "a hundred turns of conversation"),
}
"""Badge id -> (title, what earned it). ``mastered:KIND`` badges are added per kind."""


def counted_turns(turns: Sequence[Turn]) -> list[Turn]:
    """The turns that earn XP: with words in them, and not a repeat of an earlier turn."""
    seen: set[str] = set()
    out = []
    for turn in turns:
        text = normalise(turn.text)
        if text and text not in seen:
            out.append(turn)
        seen.add(text)
    return out


def counted_reviews(reviews: Sequence[dict]) -> list[dict]:
    """The review answers that earn XP: the first one of each card on each day."""
    seen: set[tuple[int, object]] = set()
    out = []
    for review in reviews:
        key = (review["card_id"], local_day(review["at"]))
        if key not in seen:
            seen.add(key)
            out.append(review)
    return out


def _fixed_count(history: History) -> int:
    """Mistakes that were fixed at some point, whether or not they came back since."""
    return sum(s.ever_fixed for s in mistake_stats(history.turns).values())


def xp_breakdown(history: History) -> dict[str, int]:
    """XP earned from each kind of practice."""
    reviews = counted_reviews(history.reviews)
    right = sum(1 for r in reviews if r["correct"])
    return {
        "turns": TURN_XP * len(counted_turns(history.turns)),
        "fixed": FIXED_XP * _fixed_count(history),
        "enrolment": READING_XP * len(history.readings),
        "reviews": REVIEW_XP * right + REVIEW_TRY_XP * (len(reviews) - right),
    }


@dataclass(frozen=True)
class Level:
    """Where ``xp`` puts a learner."""

    level: int
    into: int
    """XP earned since this level began."""
    needed: int
    """XP this level takes in all, to reach the next."""


def level_for(xp: int) -> Level:
    """Level 1 from 0 XP, level 2 from 100, level 3 from 300, level 4 from 600, ..."""
    level, floor = 1, 0
    while xp >= floor + LEVEL_STEP * level:
        floor += LEVEL_STEP * level
        level += 1
    return Level(level, xp - floor, LEVEL_STEP * level)


def badge_ids(history: History, today) -> list[str]:
    """The badges ``history`` has earned, in the order of :data:`BADGES`, then mastered kinds."""
    turns = counted_turns(history.turns)
    _, best = streaks(practice_days(history), today)
    earned = {
        "first_conversation": bool(turns),
        "first_enrolment": bool(history.readings),
        "first_review": bool(history.reviews),
        "first_fix": _fixed_count(history) > 0,
        "streak_7": best >= 7,
        "turns_100": len(turns) >= 100,
    }
    ids = [b for b in BADGES if earned[b]]
    return ids + [f"mastered:{kind}" for kind in mastered_kinds(history.turns)]


def badge(badge_id: str) -> dict[str, str]:
    """A badge's id, title and what earned it."""
    if badge_id.startswith("mastered:"):
        kind = badge_id.partition(":")[2]
        return {
            "id": badge_id,
            "title": f"{kind.capitalize()} mastered",
            "description": f"no {kind} mistakes for a long while",
        }
    title, why = BADGES[badge_id]
    return {"id": badge_id, "title": title, "description": why}


@dataclass(frozen=True)
class Progress:
    """A learner's XP, level and badges at one moment."""

    xp: int
    level: Level
    badges: list[str] = field(default_factory=list)
    breakdown: dict[str, int] = field(default_factory=dict)


def progress(history: History, now: datetime | None = None) -> Progress:
    """XP, level and badges of ``history`` as of ``now``."""
    today = local_day(now or datetime.now().astimezone())
    parts = xp_breakdown(history)
    xp = sum(parts.values())
    return Progress(xp, level_for(xp), badge_ids(history, today), parts)


def snapshot(store, learner: str) -> Progress:
    """The progress of ``learner`` in ``store`` now: call before and after a session."""
    return progress(load_history(store, learner))


def gained_line(before: Progress, after: Progress) -> str:
    """One line for the end of a session: XP gained, the level, any new badges."""
    lv = after.level
    line = (
        f"{after.xp - before.xp:+d} XP - level {lv.level} ({lv.into}/{lv.needed} XP to level "
        f"{lv.level + 1})"
    )
    if lv.level > before.level.level:
        line += " - level up!"
    new = [badge(b)["title"] for b in after.badges if b not in before.badges]
    if new:
        line += " - new badge" + "s" * (len(new) > 1) + ": " + ", ".join(new)
    return line
