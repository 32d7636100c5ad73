"""The turn loop: learner text -> feedback -> the partner's reply -> LLM feedback."""

from __future__ import annotations

import time
from collections.abc import Callable

from ..errors import InputError
from ..feedback.engine import FeedbackEngine
from ..messages import TurnResult, TurnTimings
from .partner import Partner, ReplyStats

MAX_CHARS = 400
"""Longest learner turn accepted: a few sentences, what a learner says in one breath."""

SentenceSink = Callable[[str], None]


def check_input(text: str, is_english: Callable[[str], bool] | None = None) -> str:
    """The learner's text, tidied; InputError when the tutor cannot use it."""
    text = " ".join(text.split())
    if not any(c.isalpha() for c in text):
        raise InputError("nothing to check: type a sentence in English (or /quit to stop)")
    if len(text) > MAX_CHARS:
        raise InputError(
            f"that turn has {len(text)} characters; keep one turn under {MAX_CHARS} "
            "(a few sentences) and send the rest in the next turn"
        )
    letters = [c for c in text if c.isalpha()]
    latin = sum(c.isascii() for c in letters) / len(letters)
    if latin < 0.8 or (is_english is not None and len(text.split()) >= 3 and not is_english(text)):
        raise InputError("that does not look like English: try saying it in English")
    return text


class Conversation:
    """One conversation on one topic: keeps the turn count and runs each turn's stages."""

    def __init__(
        self,
        partner: Partner,
        feedback: FeedbackEngine,
        is_english: Callable[[str], bool] | None = None,
        llm_feedback: bool = True,
    ) -> None:
        self.partner = partner
        self.feedback = feedback
        self.is_english = is_english
        self.llm_feedback = llm_feedback
        self.turn_count = 0

    @property
    def topic(self) -> str:
        return self.partner.topic.name

    def open(self) -> str:
        """The partner's opening line."""
        return self.partner.open()

    def turn(
        self, text: str, on_sentence: SentenceSink | None = None, source: str = "text"
    ) -> TurnResult:
        """Run one turn; ``on_sentence`` receives each reply sentence as soon as it exists."""
        start = time.perf_counter()
        text = check_input(text, self.is_english)
        fast = self.feedback.fast(text)
        fast_s = time.perf_counter() - start
        stats = ReplyStats()
        sentences = []
        for sentence in self.partner.reply(text, stats):
            sentences.append(sentence)
            if on_sentence:
                on_sentence(sentence)
        late_start = time.perf_counter()
        late = self.feedback.from_llm(text) if self.llm_feedback else []
        result = self.feedback.finish(text, [*fast, *late])
        now = time.perf_counter()
        self.turn_count += 1
        timings = TurnTimings(
            feedback_fast=1000 * fast_s,
            feedback_llm=1000 * (now - late_start),
            llm_first_token=1000 * (fast_s + stats.first_token_s),
            llm_first_sentence=1000 * (fast_s + stats.first_sentence_s),
            llm_total=1000 * stats.total_s,
            turn_total=1000 * (now - start),
        )
        return TurnResult(
            turn=self.turn_count,
            topic=self.topic,
            input=source,
            transcript=text,
            feedback=result,
            reply=" ".join(sentences),
            timings=timings,
        )
