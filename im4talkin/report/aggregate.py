"""The figures of ``im4talkin report``, from one learner's history, as a JSON-ready dict.

``--since`` selects the turns, readings, fine-tunes and reviews counted; ``--topic`` the
turns and the readings of that topic's passage. A session counts when it has a turn in the
window. Streaks, XP, level and badges are always over the whole history (a level does not
drop because the window is short), and so is "new words this week": a word is new when the
learner first used it, in any topic, in the last seven days.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from ..errors import ConfigError, TopicError
from ..progress.history import History, Turn, local_day, practice_days, streaks, words
from ..progress.mistakes import fixed_mistakes, kind_counts, mistake_stats, top_mistakes
from ..progress.review import new_cards
from ..progress.xp import badge, progress
from ..tutor.topics import load_topic

FIRST_STEPS = (
    "No practice yet - welcome! Start a conversation with 'im4talkin talk --topic travel' "
    "(see 'im4talkin topics'); your progress, mistakes to review and badges appear here."
)
TOP_MISTAKES = 10
TOP_SOUNDS = 8
NEW_WORDS_SHOWN = 30


def parse_since(value: str | None, now: datetime) -> datetime | None:
    """``--since``: a date (``2026-11-01``, from local midnight) or ``7d`` / ``4w`` ago."""
    if value is None or not value.strip():
        return None
    text = value.strip().lower()
    relative = re.fullmatch(r"(\d+)\s*([dw])", text)
    try:
        if relative:
            n = int(relative.group(1)) * (7 if relative.group(2) == "w" else 1)
            start = local_day(now) - timedelta(days=n)
            return datetime.combine(start, time()).astimezone()
        return datetime.combine(date.fromisoformat(text), time()).astimezone()
    except (OverflowError, ValueError):  # not a date, or too far back for the calendar
        raise ConfigError(
            f"cannot read --since '{value}': give a date like 2026-11-01, or 7d / 4w for "
            "the last 7 days / 4 weeks"
        ) from None


def _rate(mistakes: int, n_words: int) -> float:
    return round(100 * mistakes / n_words, 2) if n_words else 0.0


def _practice(turns: Sequence[Turn], readings: list[dict], history: History, now: datetime):
    current, best = streaks(practice_days(history), local_day(now))
    daily: dict[date, list[float]] = defaultdict(lambda: [0, 0.0])
    for t in turns:
        daily[local_day(t.at)][0] += 1
        daily[local_day(t.at)][1] += t.seconds
    spoken = [t for t in turns if t.spoken]
    return {
        "sessions": len({t.session_id for t in turns}),
        "turns": len(turns),
        "spoken_turns": len(spoken),
        "minutes_spoken": round(sum(t.seconds for t in turns) / 60, 1),
        "words": sum(t.word_count for t in turns),
        "words_spoken": sum(t.word_count for t in spoken),
        "enrolment_minutes": round(sum(r["seconds"] for r in readings) / 60, 1),
        "days_practised": len({local_day(t.at) for t in turns}),
        "streak_days": current,
        "best_streak_days": best,
        "daily": [
            {"date": d.isoformat(), "turns": int(n), "minutes": round(s / 60, 1)}
            for d, (n, s) in sorted(daily.items())
        ],
    }


def _accuracy(turns: Sequence[Turn]) -> dict[str, Any]:
    weeks: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for t in turns:
        day = local_day(t.at)
        week = weeks[day - timedelta(days=day.weekday())]
        week[0] += t.word_count
        week[1] += len(t.mistakes)
    n_words = sum(t.word_count for t in turns)
    n_mistakes = sum(len(t.mistakes) for t in turns)
    stats = mistake_stats(turns)
    return {
        "mistakes": n_mistakes,
        "per_100_words": _rate(n_mistakes, n_words),
        "by_week": [
            {"week": w.isoformat(), "words": nw, "mistakes": nm, "per_100_words": _rate(nm, nw)}
            for w, (nw, nm) in sorted(weeks.items())
        ],
        "by_kind": kind_counts(turns),
        "top": top_mistakes(stats, TOP_MISTAKES),
        "fixed": fixed_mistakes(stats),
    }


def _speech(readings: list[dict], finetunes: list[dict]) -> dict[str, Any]:
    days: dict[date, list[float]] = defaultdict(list)
    for r in readings:
        days[local_day(r["at"])].append(r["score"])
    runs = [
        {
            "date": local_day(f["at"]).isoformat(),
            "profile": f["profile"],
            "asr_model": f["asr_model"],
            "wer_before": f["wer_before"],
            "wer_after": f["wer_after"],
            "activated": f["activated"],
            # how sure the measure is (runs before the paired test have none)
            "change": f["details"].get("change"),
            "interval": f["details"].get("interval"),
            "sentences": f["details"].get("sentences"),
            "more_sentences": f["details"].get("more_sentences"),
        }
        for f in finetunes
    ]
    active = [r for r in runs if r["activated"]] or runs
    scores = [r["score"] for r in readings]
    return {
        "readings": len(readings),
        "reading_score": round(sum(scores) / len(scores), 1) if scores else None,
        "reading_trend": [
            {"date": d.isoformat(), "score": round(sum(s) / len(s), 1), "sentences": len(s)}
            for d, s in sorted(days.items())
        ],
        "finetunes": runs,
        "wer_before": active[-1]["wer_before"] if active else None,
        "wer_after": active[-1]["wer_after"] if active else None,
        "wer_change": active[-1]["change"] if active else None,
        "wer_interval": active[-1]["interval"] if active else None,
        "wer_sentences": active[-1]["sentences"] if active else None,
    }


def _sounds(errors: list[dict], now: datetime) -> list[dict[str, Any]]:
    """The sounds said as other sounds most often: how often, this week and the week
    before, each week, and the words."""
    this_week = local_day(now) - timedelta(days=local_day(now).weekday())
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for e in errors:
        groups[(e["expected"], e["heard"])].append(e)
    out = []
    for (expected, heard), rows in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        weeks: dict[date, int] = defaultdict(int)
        for r in rows:
            day = local_day(r["at"])
            weeks[day - timedelta(days=day.weekday())] += 1
        words = [w for w, _ in Counter(r["word"] for r in rows).most_common(5)]
        out.append(
            {
                "expected": expected,
                "heard": heard,
                "count": len(rows),
                "this_week": weeks.get(this_week, 0),
                "last_week": weeks.get(this_week - timedelta(days=7), 0),
                "by_week": [{"week": w.isoformat(), "count": n} for w, n in sorted(weeks.items())],
                "words": words,
            }
        )
    return out[:TOP_SOUNDS]


def _topic_coverage(turns: Sequence[Turn]) -> list[dict[str, Any]]:
    said: dict[str, list[str]] = defaultdict(list)
    for t in turns:
        said[t.topic].append(t.text.lower())
    out = []
    for name, texts in sorted(said.items()):
        try:
            vocabulary = load_topic(name).vocabulary
        except TopicError:  # a topic file removed since: nothing to compare with
            continue
        text = "\n".join(texts)
        covered = [v for v in vocabulary if re.search(rf"\b{re.escape(v.lower())}\b", text)]
        out.append(
            {"topic": name, "covered": len(covered), "total": len(vocabulary), "words": covered}
        )
    return out


def _vocabulary(turns: Sequence[Turn], history: History, now: datetime) -> dict[str, Any]:
    first_use: dict[str, datetime] = {}
    for t in history.turns:
        for w in words(t.text):
            first_use.setdefault(w, t.at)
    week_ago = now - timedelta(days=7)
    new = sorted(w for w, at in first_use.items() if at >= week_ago)
    return {
        "distinct_words": len({w for t in turns for w in words(t.text)}),
        "new_this_week": len(new),
        "new_words": new[:NEW_WORDS_SHOWN],
        "topics": _topic_coverage(turns),
    }


def _review(history: History, reviews: list[dict], now: datetime) -> dict[str, Any]:
    """Cards made so far, and those the next review makes first (due from their turn on)."""
    due = [c for c in history.cards if datetime.fromisoformat(c["due"]) <= now]
    coming = new_cards(history)
    return {
        "cards": len(history.cards) + len(coming),
        "due": len(due) + sum(1 for turn, _, _ in coming if turn.at <= now),
        "reviews": len(reviews),
        "right": sum(1 for r in reviews if r["correct"]),
    }


def build_report(
    history: History,
    now: datetime | None = None,
    since: datetime | None = None,
    topic: str | None = None,
) -> dict[str, Any]:
    """Every figure of the report for ``history``, as of ``now``, in the selected window."""
    now = now or datetime.now().astimezone()

    def kept(at: datetime, about: str | None = None) -> bool:
        return (since is None or at >= since) and (topic is None or about in (None, topic))

    turns = [t for t in history.turns if kept(t.at, t.topic)]
    readings = [r for r in history.readings if kept(r["at"], r["passage"])]
    finetunes = [f for f in history.finetunes if kept(f["at"])]
    reviews = [r for r in history.reviews if kept(r["at"])]
    sounds = [s for s in history.sounds if kept(s["at"])]
    practice = _practice(turns, readings, history, now)
    accuracy = _accuracy(turns)
    state = progress(history, now)
    level = state.level
    return {
        "learner": history.learner,
        "since": since.isoformat() if since else None,
        "topic": topic,
        "generated_at": now.isoformat(timespec="seconds"),
        "first_steps": FIRST_STEPS if history.empty else None,
        "sessions": practice["sessions"],
        "turns": practice["turns"],
        "minutes_spoken": practice["minutes_spoken"],
        "mistakes": accuracy["mistakes"],
        "streak_days": practice["streak_days"],
        "xp": state.xp,
        "level": level.level,
        "practice": practice,
        "accuracy": accuracy,
        "speech": _speech(readings, finetunes) | {"sounds": _sounds(sounds, now)},
        "vocabulary": _vocabulary(turns, history, now),
        "gamification": {
            "xp": state.xp,
            "level": level.level,
            "xp_into_level": level.into,
            "xp_for_next_level": level.needed,
            "xp_by_source": state.breakdown,
            "badges": [badge(b) for b in state.badges],
        },
        "review": _review(history, reviews, now),
    }
