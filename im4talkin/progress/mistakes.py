"""Which mistakes recur, which stopped ("fixed"), and which kinds a learner has mastered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .history import Mistake, Turn

FIXED_AFTER = 10
"""A mistake counts as fixed after this many later turns without it..."""
FIXED_MIN_COUNT = 2
"""...when it was made at least this often (it was a habit, not a slip)."""
MASTERED_AFTER = 20
"""A kind is mastered after this many turns in a row without a mistake of that kind..."""
MASTERED_MIN_COUNT = 3
"""...when the learner made at least this many mistakes of that kind before."""


@dataclass
class MistakeStats:
    """One mistake (by :attr:`Mistake.key`) across a run of turns."""

    latest: Mistake
    count: int
    last_index: int
    """Index of the last turn that had it."""
    turns_since: int = 0
    """Turns after the last one that had it."""
    fixed_before: bool = False
    """It was fixed once, then came back."""

    @property
    def fixed(self) -> bool:
        return self.count >= FIXED_MIN_COUNT and self.turns_since >= FIXED_AFTER

    @property
    def ever_fixed(self) -> bool:
        """Fixed now or at some earlier point: what XP and badges count, so they never drop."""
        return self.fixed or self.fixed_before

    def public(self) -> dict:
        m = self.latest
        return {
            "kind": m.kind,
            "original": m.original,
            "corrected": m.corrected,
            "explanation": m.explanation,
            "count": self.count,
            "turns_since": self.turns_since,
        }


def mistake_stats(turns: Sequence[Turn]) -> dict[tuple[str, str, str], MistakeStats]:
    """Every distinct mistake in ``turns`` (oldest first), counted once per turn."""
    stats: dict[tuple[str, str, str], MistakeStats] = {}
    for i, turn in enumerate(turns):
        for key, mistake in {m.key: m for m in turn.mistakes}.items():
            seen = stats.get(key)
            if seen is None:
                stats[key] = MistakeStats(mistake, 1, i)
            else:
                if seen.count >= FIXED_MIN_COUNT and i - 1 - seen.last_index >= FIXED_AFTER:
                    seen.fixed_before = True
                seen.latest, seen.count, seen.last_index = mistake, seen.count + 1, i
    for seen in stats.values():
        seen.turns_since = len(turns) - 1 - seen.last_index
    return stats


def top_mistakes(stats: dict[tuple[str, str, str], MistakeStats], n: int = 10) -> list[dict]:
    """The ``n`` most frequent mistakes (ties: the most recent first)."""
    ranked = sorted(stats.values(), key=lambda s: (-s.count, -s.last_index))
    return [s.public() for s in ranked[:n]]


def fixed_mistakes(stats: dict[tuple[str, str, str], MistakeStats]) -> list[dict]:
    """Mistakes made at least twice that have not come back for :data:`FIXED_AFTER` turns."""
    done = sorted((s for s in stats.values() if s.fixed), key=lambda s: (-s.count, s.last_index))
    return [s.public() for s in done]


def mastered_kinds(turns: Sequence[Turn]) -> list[str]:
    """Kinds that, after enough past mistakes, went :data:`MASTERED_AFTER` turns without
    one, now or at any earlier point (a badge once earned is kept)."""
    count: dict[str, int] = {}
    last: dict[str, int] = {}
    mastered: set[str] = set()

    def check(kind: str, index: int) -> None:
        if count[kind] >= MASTERED_MIN_COUNT and index - 1 - last[kind] >= MASTERED_AFTER:
            mastered.add(kind)

    for i, turn in enumerate(turns):
        for kind in {m.kind for m in turn.mistakes}:
            if kind in count:
                check(kind, i)
            count[kind] = count.get(kind, 0) + 1
            last[kind] = i
    for kind in count:
        check(kind, len(turns))
    return sorted(mastered)


def kind_counts(turns: Sequence[Turn]) -> dict[str, int]:
    """Mistakes per kind (every correction counts), most frequent first."""
    count: dict[str, int] = {}
    for turn in turns:
        for m in turn.mistakes:
            count[m.kind] = count.get(m.kind, 0) + 1
    return dict(sorted(count.items(), key=lambda kv: (-kv[1], kv[0])))
