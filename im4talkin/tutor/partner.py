"""The conversation partner: streams a guarded reply, sentence by sentence."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..llm.base import ChatModel
from ..messages import ChatTurn
from . import guard
from .prompts import fit_history, partner_system_prompt
from .topics import Topic

log = logging.getLogger(__name__)


@dataclass
class ReplyStats:
    """What happened while one reply was written."""

    first_token_s: float = 0.0
    first_sentence_s: float = 0.0
    total_s: float = 0.0
    retries: int = 0
    fallback: bool = False
    problems: list[str] = field(default_factory=list)


class Partner:
    """Keeps the conversation history and writes the partner's turns."""

    def __init__(
        self, model: ChatModel, topic: Topic, level: str, max_tokens: int = 80, seed: int = 0
    ) -> None:
        self.model = model
        self.topic = topic
        self.max_tokens = max_tokens
        self.system = ChatTurn("system", partner_system_prompt(topic, level))
        self.history: list[ChatTurn] = []
        self._rng = random.Random(seed)

    @property
    def replies(self) -> list[str]:
        """Everything the partner has said so far."""
        return [t.content for t in self.history if t.role == "assistant"]

    def open(self) -> str:
        """Choose an opener from the topic file and make it the first turn."""
        opener = self._rng.choice(self.topic.openers)
        self.history.append(ChatTurn("assistant", opener))
        return opener

    def prefill(self) -> None:
        """Evaluate the system prompt and history now, while the learner reads or thinks."""
        self.model.prefill(self._context())

    def _context(self) -> list[ChatTurn]:
        budget = self.model.context_size - self.max_tokens - 16
        return fit_history(self.system, self.history, budget, self.model.count_tokens)

    def reply(self, learner: str, stats: ReplyStats | None = None) -> Iterator[str]:
        """Yield the reply's sentences as they are written and pass the guard.

        A first sentence that fails the guard costs one retry; what still fails becomes
        a question from the topic file. The reply joins the history when it is done.
        """
        stats = stats or ReplyStats()
        asked = ChatTurn("user", learner)
        self.history.append(asked)
        start = time.perf_counter()
        said: list[str] = []
        try:
            for attempt in range(2):
                for sentence in self._sentences(learner, stats, start):
                    if not stats.first_sentence_s:
                        stats.first_sentence_s = time.perf_counter() - start
                    said.append(sentence)
                    yield sentence
                if said:
                    break
                stats.retries = attempt + 1
        except BaseException:  # a server that went away, Ctrl-C: the history stays whole
            if self.history and self.history[-1] is asked:
                self.history.pop()
            raise
        if not said or not guard.is_question(said[-1]):
            question = self._fallback_question(learner)
            stats.fallback = True
            if not stats.first_sentence_s:
                stats.first_sentence_s = time.perf_counter() - start
            said.append(question)
            yield question
        stats.total_s = time.perf_counter() - start
        self.history.append(ChatTurn("assistant", " ".join(said)))

    def _sentences(self, learner: str, stats: ReplyStats, start: float) -> Iterator[str]:
        earlier = list(guard.earlier_sentences(self.replies))
        buffer, count = "", 0
        pieces = self.model.stream(self._context(), self.max_tokens)
        try:
            for piece in pieces:
                if not stats.first_token_s:
                    stats.first_token_s = time.perf_counter() - start
                buffer, leaked = guard.leak_cut(buffer + piece)
                done, buffer = guard.split_sentences(buffer, final=leaked)
                for sentence in done:
                    if not self._ok(sentence, learner, earlier, stats, count):
                        return
                    count += 1
                    yield guard.clean(sentence)
                    if guard.is_question(sentence) or count >= guard.MAX_SENTENCES:
                        return
                if leaked:
                    return
            for sentence in guard.split_sentences(buffer, final=True)[0]:
                if count < guard.MAX_SENTENCES and self._ok(
                    sentence, learner, earlier, stats, count
                ):
                    count += 1
                    yield guard.clean(sentence)
        finally:
            close = getattr(pieces, "close", None)
            if close:
                close()

    @staticmethod
    def _ok(sentence: str, learner: str, earlier: list[str], stats: ReplyStats, n: int) -> bool:
        why = guard.problem(guard.clean(sentence), learner, earlier)
        if why:
            stats.problems.append(why)
            log.info("reply sentence %d dropped (%s): %.60s", n + 1, why, sentence)
        return why is None

    def _fallback_question(self, learner: str = "") -> str:
        """A topic question not asked yet, the closest to what the learner just said."""
        asked = list(guard.earlier_sentences(self.replies))
        fresh = [q for q in self.topic.questions if not any(guard.similar(q, a) for a in asked)]
        pool = fresh or list(self.topic.questions)
        said = guard.content_words(learner)
        best = max(len(said & guard.content_words(q)) for q in pool)
        return self._rng.choice([q for q in pool if len(said & guard.content_words(q)) == best])
