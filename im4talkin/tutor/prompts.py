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


def partner_name(topic: Topic) -> str:
    """The partner's name from the persona line ("You are Sam, ..." -> "Sam")."""
    name = topic.persona.removeprefix("You are ").split(",")[0].strip()
    return name if 0 < len(name) <= 30 else "Partner"


_POLICY = (
    "How you reply:\n"
    "- Reply to exactly what the learner just said. If they ask something, answer it first.\n"
    "- Remember what the learner told you (what they eat, their budget, their plans, their "
    "problems) and use it.\n"
    "- Then you may ask one short question that follows on from what they said or moves the "
    "scene to its next step.\n"
    "- When the learner says goodbye, say goodbye and ask nothing.\n"
    "- At most three short sentences. Never correct or mention the learner's English. Write "
    "only your own spoken words."
)


def partner_system_prompt(topic: Topic, level: str) -> str:
    """The partner's instructions: role, scene, card of facts, level, the reply policy and
    example exchanges (a free chat when the topic has no role-play)."""
    play = topic.roleplay
    head = f"{topic.persona} {topic.scenario}\n"
    if play is None:
        return (
            f"{head}You are chatting with an English learner (level {level}). "
            f"{LEVEL_STYLE[level]}\n{_POLICY}\n"
            f"Examples of good questions: {' '.join(topic.questions[:3])}"
        )
    card = "\n".join(f"- {fact}" for fact in play.card)
    return (
        f"{head}This is a role-play with an English learner (level {level}). "
        f"{LEVEL_STYLE[level]}\n"
        f"The learner's goal: {play.goal}\n"
        f"The scene, step by step: {'; '.join(play.stages)}.\n"
        "Your card: the only facts you know. Never contradict them and never make up other "
        "facts (prices, times, places, rules); if asked something the card does not say, "
        "say you will check.\n"
        f"{card}\n{_POLICY}\n"
        "The first exchanges below are examples of good replies; the role-play starts after "
        "them."
    )


START = "(The role-play starts now.)"
"""The learner's side of the turn between the examples and the partner's opener."""


def example_turns(topic: Topic) -> list[ChatTurn]:
    """The role-play's example exchanges as chat turns, closed by a turn that starts the
    scene (so the partner's opener follows a learner turn); none for a free chat."""
    if topic.roleplay is None or not topic.roleplay.examples:
        return []
    turns = []
    for said, reply in topic.roleplay.examples:
        turns += [ChatTurn("user", said), ChatTurn("assistant", reply)]
    return [*turns, ChatTurn("user", START)]


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
