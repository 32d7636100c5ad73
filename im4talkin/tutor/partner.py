"""The conversation partner: streams a reply that follows the reply policy, sentence by
sentence, each sentence checked by the guard before the learner sees it."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from ..llm.base import ChatModel
from ..messages import ChatTurn
from . import guard, policy
from .prompts import example_turns, fit_history, partner_system_prompt
from .topics import Topic

log = logging.getLogger(__name__)


@dataclass
class ReplyStats:
    """What happened while one reply was written."""

    first_token_s: float = 0.0
    first_chunk_s: float = 0.0
    """The first piece given to the voice: a first clause, or a whole sentence."""
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
        self.preamble = example_turns(topic)
        """The role-play's example exchanges, as turns between the system prompt and the
        conversation (a small model follows shown turns far better than described ones)."""
        self._fit_prompt(topic, level)
        self.history: list[ChatTurn] = []
        self._worker: threading.Thread | None = None
        self.closing = False
        """Whether the learner's last turn was a goodbye (the session may offer to end)."""
        self._rng = random.Random(seed)
        self._prefilled = False
        self._tuned = bool(getattr(model, "adapter", None))
        """A model tuned for role-plays (a LoRA adapter) learnt the policy from dialogues
        without notes: its first try gets none, as in training."""

    def _fit_prompt(self, topic: Topic, level: str) -> None:
        """Keep the fixed prompt to half the context or less: a small context (a small model,
        a low ``n_ctx``) loses the examples first, then the card (a free chat)."""
        count = self.model.count_tokens
        room = (self.model.context_size - self.max_tokens) // 2
        shots = sum(count(t.content) + 8 for t in self.preamble)
        if shots and count(self.system.content) + 8 + shots > room:
            self.preamble, shots = [], 0
            log.warning(
                "a %d-token context is too small for the whole '%s' role-play; the partner "
                "plays it with less (raise llm.n_ctx)",
                self.model.context_size,
                topic.name,
            )
        if topic.roleplay and count(self.system.content) + 8 > room:
            free = replace(topic, roleplay=None)
            self.system = ChatTurn("system", partner_system_prompt(free, level))
        self._preamble_tokens = shots

    @property
    def replies(self) -> list[str]:
        """Everything the partner has said so far."""
        return [t.content for t in self.history if t.role == "assistant"]

    def open(self) -> str:
        """Choose an opener from the topic file and make it the first turn."""
        opener = self._rng.choice(self.topic.openers)
        self.history.append(ChatTurn("assistant", opener))
        return opener

    def forget_last(self) -> None:
        """Drop the last exchange (the learner's turn and the reply) from the history: it
        could not be saved, so the conversation goes on as if it had not happened."""
        if self.history and self.history[-1].role == "assistant":
            self.history.pop()
        if self.history and self.history[-1].role == "user":
            self.history.pop()

    def prefill(self, started: str = "", whole: bool = False) -> None:
        """Evaluate the system prompt and history now, while the learner reads or thinks.

        ``started``: the learner's turn as far as it is known (the words recognised while
        they speak), evaluated too, so the reply reads only the rest; ``whole``: that is
        the whole turn, probably, so the prompt is evaluated as the reply will have it.
        """
        fixed = 1 + len(self.preamble)
        if not started:
            self.model.prefill(self._context(), fixed=fixed)
        elif whole:
            turns = self._context(self._note(policy.kind_of(started), 0), ChatTurn("user", started))
            self.model.prefill(turns, fixed=fixed, whole=True)
        else:
            *turns, last = self._context(pending=ChatTurn("user", started))
            self.model.prefill(turns, fixed=fixed, started=last.content)
        self._prefilled = True

    def _note(self, kind: policy.Kind, attempt: int) -> str:
        return "" if self._tuned and attempt == 0 else policy.note(kind, attempt)

    def prefill_in_background(self) -> None:
        """:meth:`prefill` on this partner's one worker thread (not a second one while it
        runs); :meth:`close` waits for it. A failure only costs the time it would save."""
        if self._worker is not None and self._worker.is_alive():
            return

        def work() -> None:
            try:
                self.prefill()
            except Exception as err:  # the next reply evaluates the prompt itself
                log.warning("prefill failed: %s", err)

        self._worker = threading.Thread(target=work, name="prefill", daemon=True)
        self._worker.start()

    def close(self, timeout: float = 120.0) -> None:
        """Wait for a prefill under way, so the model is never freed while it is in use."""
        if self._worker is not None:
            self._worker.join(timeout)
            self._worker = None

    def _context(self, note: str = "", pending: ChatTurn | None = None) -> list[ChatTurn]:
        """The prompt: system, history (and ``pending``, a turn not in it yet), and ``note``
        added to the learner's last turn only (the history keeps the learner's own words,
        so the cached prefix stays valid)."""
        budget = self.model.context_size - self.max_tokens - 16 - self._preamble_tokens
        history = [*self.history, pending] if pending else self.history
        system, *kept = fit_history(self.system, history, budget, self.model.count_tokens)
        if note and kept and kept[-1].role == "user":
            kept[-1] = ChatTurn("user", f"{kept[-1].content}\n\n{note}")
        return [system, *self.preamble, *kept]

    def reply(self, learner: str, stats: ReplyStats | None = None) -> Iterator[str]:
        """Yield the reply's sentences as they are written and pass the guard and the policy
        (the first one's first clause on its own, when it can go ahead).

        A question is answered first; a goodbye gets a goodbye and no question. A first
        sentence that fails costs one retry with a stricter note; only when that fails too
        does a canned line stand in (a topic question, or a goodbye), and ``stats.fallback``
        says so. The reply joins the history when it is done.
        """
        stats = stats or ReplyStats()
        kind = policy.kind_of(learner)
        self.closing = kind is policy.Kind.GOODBYE
        asked = ChatTurn("user", learner)
        self.history.append(asked)
        start = time.perf_counter()
        said: list[str] = []
        try:
            for attempt in range(2):
                for piece, ends in self._sentences(learner, kind, attempt, stats, start):
                    if not stats.first_chunk_s:
                        stats.first_chunk_s = time.perf_counter() - start
                    if ends and not stats.first_sentence_s:
                        stats.first_sentence_s = time.perf_counter() - start
                    said.append(piece)
                    yield piece
                if said:
                    break
                stats.retries = attempt + 1
        except BaseException:  # a server that went away, Ctrl-C: the history stays whole
            if self.history and self.history[-1] is asked:
                self.history.pop()
            raise
        if not said:
            line = policy.FAREWELL if self.closing else self._fallback_question(learner)
            stats.fallback = True
            stats.first_sentence_s = stats.first_chunk_s = time.perf_counter() - start
            said.append(line)
            yield line
        stats.total_s = time.perf_counter() - start
        if not stats.first_sentence_s:  # a first clause said, then its sentence dropped
            stats.first_sentence_s = stats.first_chunk_s
        text = " ".join(said)
        if text.endswith(","):
            text = text[:-1] + "."
        self.history.append(ChatTurn("assistant", text))

    def _sentences(
        self, learner: str, kind: policy.Kind, attempt: int, stats: ReplyStats, start: float
    ) -> Iterator[tuple[str, bool]]:
        """The reply's pieces to say, each with whether it ends a sentence: whole sentences,
        and the first sentence's first clause as soon as it is written
        (:func:`guard.first_clause`), so the voice can start sooner."""
        earlier = list(guard.earlier_sentences(self.replies))
        buffer, count = "", 0
        if not self._prefilled:  # the fixed turns first: a model's adapter starts after them
            self.model.prefill(self._context()[:-1], fixed=1 + len(self.preamble))
            self._prefilled = True
        pieces = self.model.stream(self._context(self._note(kind, attempt)), self.max_tokens)
        head = ""
        """The first clause of the sentence being written, said already (the rest of the
        sentence is checked with it)."""
        early = kind is policy.Kind.STATEMENT
        """Only a reply to a statement may start before its first sentence is whole: the
        policy's checks for answers and goodbyes need the whole sentence."""
        try:
            for piece in pieces:
                if not stats.first_token_s:
                    stats.first_token_s = time.perf_counter() - start
                buffer, leaked = guard.leak_cut(buffer + piece)
                done, buffer = guard.split_sentences(buffer, final=leaked)
                for sentence in done:
                    whole, head = f"{head} {sentence}".strip(), ""
                    if not self._ok(whole, learner, kind, earlier, stats, count):
                        return
                    count += 1
                    yield guard.clean(sentence), True
                    if guard.is_question(sentence) or count >= guard.MAX_SENTENCES:
                        return
                if leaked:
                    return
                cut = guard.first_clause(buffer) if early and count == 0 and not head else None
                if cut:
                    clause, buffer = cut
                    if not self._ok(clause, learner, kind, earlier, stats, count):
                        return
                    head = guard.clean(clause)
                    yield head, False
            for sentence in guard.split_sentences(buffer, final=True)[0]:
                whole, head = f"{head} {sentence}".strip(), ""
                if count < guard.MAX_SENTENCES and self._ok(
                    whole, learner, kind, earlier, stats, count
                ):
                    count += 1
                    yield guard.clean(sentence), True
                else:
                    return
        finally:
            close = getattr(pieces, "close", None)
            if close:
                close()

    @staticmethod
    def _ok(
        sentence: str,
        learner: str,
        kind: policy.Kind,
        earlier: list[str],
        stats: ReplyStats,
        n: int,
    ) -> bool:
        text = guard.clean(sentence)
        why = guard.problem(text, learner, earlier) or policy.problem(text, kind, n)
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
