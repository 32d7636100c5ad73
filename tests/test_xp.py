"""The gamification rules: XP, levels and badges from a history."""

from datetime import UTC, datetime, timedelta

import pytest

from im4talkin.progress import xp
from im4talkin.progress.history import History, Mistake, Turn, streaks
from im4talkin.progress.mistakes import FIXED_AFTER, MASTERED_AFTER

NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)


def _turn(i, text, mistakes=(), days_ago=0):
    at = NOW - timedelta(days=days_ago, minutes=1000 - i)
    return Turn(i, 1, "travel", at, text, False, 0.0, tuple(Mistake(*m) for m in mistakes))


def _history(*turns, readings=0, reviews=()):
    at = NOW - timedelta(hours=1)
    return History(
        "ana",
        turns=list(turns),
        readings=[{"at": at} for _ in range(readings)],
        reviews=[
            {"card_id": c, "correct": ok, "at": at - timedelta(days=d)} for c, ok, d in reviews
        ],
    )


def test_no_xp_for_empty_or_repeated_turns():
    history = _history(
        _turn(1, "I went to Rome."),
        _turn(2, "i went to rome"),  # the same words again
        _turn(3, "  ...  "),
        _turn(4, "I liked it."),
    )
    assert [t.id for t in xp.counted_turns(history.turns)] == [1, 4]
    assert xp.xp_breakdown(history)["turns"] == 2 * xp.TURN_XP


def test_a_fixed_mistake_earns_xp_once_it_stops_recurring():
    go = ("tense", "go", "went")
    turns = [_turn(1, "yesterday i go home", [go]), _turn(2, "then i go out", [go])]
    turns += [_turn(3 + i, f"clean sentence number {i}") for i in range(FIXED_AFTER - 1)]
    assert xp.xp_breakdown(_history(*turns))["fixed"] == 0
    turns.append(_turn(99, "one more clean sentence"))
    assert xp.xp_breakdown(_history(*turns))["fixed"] == xp.FIXED_XP
    assert "first_fix" in xp.badge_ids(_history(*turns), NOW.date())


def test_reviews_and_readings_earn_xp_once_per_card_per_day():
    history = _history(
        readings=3, reviews=[(1, True, 0), (1, True, 0), (1, False, 1), (2, False, 0)]
    )
    parts = xp.xp_breakdown(history)
    assert parts["enrolment"] == 3 * xp.READING_XP
    assert parts["reviews"] == xp.REVIEW_XP + 2 * xp.REVIEW_TRY_XP


@pytest.mark.parametrize(
    "points, level, into, needed",
    [
        (0, 1, 0, 100),
        (99, 1, 99, 100),
        (100, 2, 0, 200),
        (299, 2, 199, 200),
        (300, 3, 0, 300),
        (650, 4, 50, 400),
    ],
)
def test_levels(points, level, into, needed):
    assert xp.level_for(points) == xp.Level(level, into, needed)


def test_badges():
    assert xp.badge_ids(_history(), NOW.date()) == []
    week = [_turn(i, f"sentence {i}", days_ago=i) for i in range(7)]
    assert xp.badge_ids(_history(*week), NOW.date()) == ["first_conversation", "streak_7"]
    hundred = [_turn(i, f"sentence {i}") for i in range(100)]
    assert "turns_100" in xp.badge_ids(_history(*hundred), NOW.date())
    a = ("article", "a apple", "an apple")
    mastered = [_turn(i, f"i ate a apple {i}", [a]) for i in range(3)]
    mastered += [_turn(10 + i, f"clean {i}") for i in range(MASTERED_AFTER)]
    ids = xp.badge_ids(_history(*mastered), NOW.date())
    assert "mastered:article" in ids
    assert xp.badge("mastered:article")["title"] == "Article mastered"


def test_streaks():
    today = NOW.date()
    days = {today - timedelta(days=d) for d in (1, 2, 3, 10, 11, 12, 13, 14)}
    assert streaks(days, today) == (3, 5)  # alive until today ends
    assert streaks(days | {today}, today) == (4, 5)
    assert streaks({today - timedelta(days=2)}, today) == (0, 1)
    assert streaks(set(), today) == (0, 0)


def test_the_line_after_a_session():
    before = xp.progress(_history(), NOW)
    after = xp.progress(_history(*[_turn(i, f"sentence {i}") for i in range(12)]), NOW)
    line = xp.gained_line(before, after)
    assert line.startswith("+120 XP - level 2 (20/200 XP to level 3) - level up!")
    assert line.endswith("new badge: First conversation")


def test_a_recurring_mistake_never_lowers_xp_or_takes_badges_back():
    go = ("tense", "go", "went")
    turns = [_turn(1, "yesterday i go home", [go]), _turn(2, "then i go out", [go])]
    turns += [_turn(3, "i go there too", [go])]  # three tense mistakes: mastery is possible
    turns += [_turn(10 + i, f"clean sentence number {i}") for i in range(MASTERED_AFTER)]
    turns += [_turn(50, "today i go again", [go])]  # it comes back
    turns += [_turn(60 + i, f"another clean one {i}") for i in range(3)]
    shown, last = [], None
    for n in range(1, len(turns) + 1):
        state = xp.progress(_history(*turns[:n]), NOW)
        if last is not None:
            assert state.xp >= last.xp, n
            assert set(last.badges) <= set(state.badges), n
            shown.append(xp.gained_line(last, state))
        last = state
    assert last.breakdown["fixed"] == xp.FIXED_XP
    assert {"first_fix", "mastered:tense"} <= set(last.badges)
    assert not any("+-" in line for line in shown)
    assert xp.gained_line(last, last).startswith("+0 XP")


def test_the_line_shows_the_sign_of_the_change():
    more = xp.progress(_history(*[_turn(i, f"sentence {i}") for i in range(3)]), NOW)
    fewer = xp.progress(_history(_turn(1, "sentence 1")), NOW)
    assert xp.gained_line(more, fewer).startswith("-20 XP")
