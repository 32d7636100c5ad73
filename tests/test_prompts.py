from im4talkin.messages import ChatTurn
from im4talkin.tutor.prompts import (
    FEEDBACK_SCHEMA,
    feedback_messages,
    fit_history,
    partner_system_prompt,
)
from im4talkin.tutor.topics import load_topic


def test_the_system_prompt_carries_persona_level_and_rules():
    topic = load_topic("restaurant")
    text = partner_system_prompt(topic, "A2")
    assert topic.persona in text and "level A2" in text and "under 10 words" in text
    assert "Never correct" in text and "answer it first" in text and "ask nothing" in text
    assert "under 20 words" in partner_system_prompt(topic, "B2")
    free = topic.__class__(**{**topic.__dict__, "roleplay": None})
    chat = partner_system_prompt(free, "B1")
    assert "card" not in chat and topic.questions[0] in chat and "answer it first" in chat


def test_fit_history_keeps_everything_that_fits():
    system = ChatTurn("system", "s " * 10)
    history = [ChatTurn("assistant" if i % 2 == 0 else "user", "w " * 10) for i in range(5)]
    assert fit_history(system, history, 10_000, lambda t: len(t.split())) == [system, *history]


def test_fit_history_drops_old_turns_first_and_keeps_the_newest():
    system = ChatTurn("system", "s " * 10)
    history = [ChatTurn("assistant" if i % 2 == 0 else "user", f"t{i} " * 10) for i in range(21)]
    kept = fit_history(system, history, 100, lambda t: len(t.split()))
    assert kept[0] == system and kept[-1] == history[-1]
    assert kept[1].role == "assistant" and len(kept) < len(history)
    assert sum(len(t.content.split()) + 8 for t in kept) <= 100


def test_feedback_messages_end_with_the_sentence():
    turns = feedback_messages("he go home")
    assert turns[0].role == "system" and turns[-1] == ChatTurn("user", "he go home")
    assert FEEDBACK_SCHEMA["required"] == ["corrected"]
