"""Prompts, as pure functions of their inputs (tested without a model)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..messages import ChatTurn
from .topics import Topic

LEVEL_STYLE = {
    "A2": "Use very simple, common words. Keep each sentence under 10 words.",
    "B1": "Use everyday words. Keep each sentence under 15 words.",
    "B2": "Use natural, varied English. Keep each sentence under 20 words.",
}
"""How the partner's words and sentence length follow the learner's level."""


def partner_system_prompt(topic: Topic, level: str) -> str:
    """The partner's instructions: persona, scenario, level, and how a reply is shaped."""
    return (
        f"{topic.persona} {topic.scenario}\n"
        f"You are chatting with an English learner (level {level}). {LEVEL_STYLE[level]}\n"
        "In each reply: react to what the learner just said, sometimes share a short detail "
        f"of your own, then ask one new question about {topic.title.lower()}. "
        "Use at most three short sentences. Never correct or mention the learner's English. "
        "Write only your own spoken words.\n"
        f"Examples of good questions: {' '.join(topic.questions[:3])}"
    )


def fit_history(
    system: ChatTurn,
    history: Sequence[ChatTurn],
    budget: int,
    count_tokens: Callable[[str], int],
) -> list[ChatTurn]:
    """The system prompt plus as many of the latest turns as fit in ``budget`` tokens.

    Old turns are dropped in whole exchanges, oldest first; the newest turn always stays.
    A conversation that fits is returned unchanged, so the KV cache prefix stays valid.
    """
    overhead = 8
    used = count_tokens(system.content) + overhead
    kept: list[ChatTurn] = []
    for turn in reversed(history):
        cost = count_tokens(turn.content) + overhead
        if kept and used + cost > budget:
            break
        kept.append(turn)
        used += cost
    kept.reverse()
    while len(kept) > 1 and kept[0].role != "assistant":
        kept.pop(0)
    return [system, *kept]


FEEDBACK_SYSTEM = (
    "You are an English teacher. Rewrite the learner's sentence with its grammar mistakes "
    "fixed. Change as few words as possible and keep everything else, even capital letters "
    "and punctuation. If the sentence is already correct, return it unchanged."
)

FEEDBACK_SCHEMA: dict = {
    "type": "object",
    "properties": {"corrected": {"type": "string", "maxLength": 400}},
    "required": ["corrected"],
}
"""The JSON the LLM must produce; llama.cpp turns it into a grammar."""

FEEDBACK_EXAMPLES = (
    ("she have two brothers", '{"corrected": "she has two brothers"}'),
    (
        "we went to the market and bought some fruit",
        '{"corrected": "we went to the market and bought some fruit"}',
    ),
)
"""Two shots: a fix and a correct sentence returned unchanged."""


def feedback_messages(sentence: str) -> list[ChatTurn]:
    """The conversation that asks the LLM to correct one learner sentence."""
    turns = [ChatTurn("system", FEEDBACK_SYSTEM)]
    for text, answer in FEEDBACK_EXAMPLES:
        turns += [ChatTurn("user", text), ChatTurn("assistant", answer)]
    turns.append(ChatTurn("user", sentence))
    return turns
