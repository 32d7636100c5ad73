"""Feedback on one learner sentence: Harper, learner-error rules and the LLM, merged."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol

from ..llm.base import ChatModel
from ..messages import Correction, Feedback
from ..tutor.prompts import FEEDBACK_SCHEMA, feedback_messages
from .classify import corrections_from_rewrite
from .praise import praise_for

PRIORITY = {"rules": 0, "harper": 1, "llm": 2}
"""On overlapping spans the more specific source wins."""


class Checker(Protocol):
    """Anything that finds corrections in a sentence."""

    def check(self, text: str) -> list[Correction]: ...


def merge(corrections: Sequence[Correction]) -> list[Correction]:
    """Keep one correction per stretch of text, preferring rules, then Harper, then the LLM."""
    kept: list[Correction] = []
    for c in sorted(corrections, key=lambda c: (PRIORITY.get(c.source, 9), c.start)):
        if not any(c.start < k.end and k.start < c.end for k in kept):
            kept.append(c)
    return sorted(kept, key=lambda c: c.start)


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


class FeedbackEngine:
    """Runs the checkers; the LLM pass is separate so it can run after the reply."""

    def __init__(
        self,
        checkers: Sequence[Checker],
        nlp: Any,
        llm: ChatModel | None = None,
        vocabulary: Sequence[str] = (),
        llm_max_tokens: int = 120,
    ) -> None:
        self.checkers = list(checkers)
        self.nlp = nlp
        self.llm = llm
        self.vocabulary = tuple(vocabulary)
        self.llm_max_tokens = llm_max_tokens

    def fast(self, text: str) -> list[Correction]:
        """Corrections from Harper and the rules (tens of milliseconds)."""
        found: list[Correction] = []
        for checker in self.checkers:
            found += checker.check(text)
        return merge(found)

    def from_llm(self, text: str) -> list[Correction]:
        """The LLM rewrites the sentence; its grammar edits (by ERRANT) become corrections."""
        if self.llm is None:
            return []
        answer = self.llm.complete_json(
            feedback_messages(text), FEEDBACK_SCHEMA, self.llm_max_tokens
        )
        rewrite = str(answer.get("corrected", "")).strip()
        if not rewrite or _norm(rewrite) == _norm(text):
            return []
        return corrections_from_rewrite(self.nlp, text, rewrite)

    def finish(
        self, text: str, corrections: Sequence[Correction], spoken: bool = False
    ) -> Feedback:
        """Merge everything found and add praise (``spoken``: ``text`` is a transcript)."""
        merged = merge(corrections)
        praise = praise_for(self.nlp(text), merged, self.vocabulary, spoken)
        return Feedback(tuple(merged), praise)
