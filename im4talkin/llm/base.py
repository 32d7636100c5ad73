"""The LLM stage: one Protocol, so the tutor never knows which backend writes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from ..messages import ChatTurn


class ChatModel(Protocol):
    """A chat model that streams replies and can answer in JSON."""

    name: str
    """Short name shown to the learner and stored with the session."""

    def stream(self, turns: Sequence[ChatTurn], max_tokens: int) -> Iterator[str]:
        """Yield the reply to ``turns`` piece by piece as it is written."""
        ...

    def prefill(
        self, turns: Sequence[ChatTurn], fixed: int = 0, *, started: str = "", whole: bool = False
    ) -> None:
        """Process ``turns`` ahead of time so the next reply starts sooner (may do nothing).

        The first ``fixed`` turns never change in this conversation: their evaluated state
        may be kept for later conversations with the same start. ``started``: the start of
        the next user turn, already known (the learner is still speaking it); ``whole``:
        ``turns`` are the prompt of the next reply as they are."""
        ...

    def complete_json(
        self, turns: Sequence[ChatTurn], schema: dict[str, Any], max_tokens: int
    ) -> dict[str, Any]:
        """Answer ``turns`` with one JSON object that follows ``schema``."""
        ...

    def count_tokens(self, text: str) -> int:
        """How many tokens ``text`` takes in this model's context window."""
        ...

    @property
    def context_size(self) -> int:
        """The context window, in tokens."""
        ...
