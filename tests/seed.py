"""Seeding learner histories through the real store, for the progress tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from im4talkin.messages import Correction, Feedback, TurnResult
from im4talkin.store.db import SessionInfo, Store

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
