"""A scripted chat model for unit tests (beside the tests that run the real models)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from im4talkin.messages import ChatTurn


class ScriptedModel:
    """Replies with queued texts, streamed a few characters at a time."""

    name = "scripted"
    context_size = 2048

    def __init__(self, *replies: str, json_answers: Sequence[dict[str, Any]] = ()) -> None:
        self.replies = list(replies)
        self.json_answers = list(json_answers)
        self.prompts: list[list[ChatTurn]] = []
        self.started: list[str] = []
        """What each prefill was given of a learner turn still being spoken."""

    def enqueue(self, *replies: str) -> None:
        self.replies.extend(replies)

    def stream(self, turns: Sequence[ChatTurn], max_tokens: int) -> Iterator[str]:
        self.prompts.append(list(turns))
        text = self.replies.pop(0) if self.replies else ""
        for i in range(0, len(text), 4):
            yield text[i : i + 4]

    def prefill(
        self, turns: Sequence[ChatTurn], fixed: int = 0, *, started: str = "", whole: bool = False
    ) -> None:
        self.started.append(turns[-1].content if whole else started)

    def complete_json(self, turns, schema, max_tokens) -> dict[str, Any]:
        return self.json_answers.pop(0) if self.json_answers else {"corrections": []}

    def count_tokens(self, text: str) -> int:
        return len(text.split())
