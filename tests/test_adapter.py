"""The role-play LoRA adapter shipped for the bundled Qwen (off by default: judged worse than
the model alone, bench/RESULTS.md): it loads beside the model, it is on for the conversation
and off for the fixed prompt and for corrections, and switching it never leaves the KV cache
holding tokens evaluated the other way."""

import pytest

from im4talkin import registry
from im4talkin.config import load_settings
from im4talkin.llm.adapters import QWEN_ROLEPLAY
from im4talkin.messages import ChatTurn
from im4talkin.tutor.prompts import FEEDBACK_SCHEMA, feedback_messages
from im4talkin.tutor.topics import load_topic


@pytest.fixture(scope="module")
def tuned():
    settings = load_settings()
    settings.llm.adapter = "auto"
    return registry.create("llm", "qwen", settings)


def test_the_adapter_ships_and_auto_picks_it_for_the_bundled_model_only(tuned, qwen):
    assert QWEN_ROLEPLAY.is_file()
    assert tuned.adapter == QWEN_ROLEPLAY.stem
    assert qwen.adapter is None  # the default: off
    settings = load_settings()
    settings.llm.adapter = "auto"
    assert registry._adapter(settings, QWEN_ROLEPLAY, replies=False) is None  # corrections
    settings.llm.adapter = ""
    assert registry._adapter(settings, QWEN_ROLEPLAY, replies=True) is None
    settings.llm.adapter = "auto"
    settings.llm.model_path = "/models/other.gguf"
    assert registry._adapter(settings, QWEN_ROLEPLAY, replies=True) is None


def test_a_missing_adapter_file_is_one_clear_error(tmp_path):
    from im4talkin.errors import ModelError

    settings = load_settings()
    settings.llm.adapter = str(tmp_path / "nothing.gguf")
    with pytest.raises(ModelError, match="LoRA adapter not found"):
        registry.create("llm", "smollm2", settings)


def _fixed(topic):
    from im4talkin.tutor.prompts import example_turns, partner_system_prompt

    return [ChatTurn("system", partner_system_prompt(topic, "B1")), *example_turns(topic)]


def _reply(model, turns) -> str:
    return "".join(model.stream(turns, 40))


def test_switching_the_adapter_keeps_the_conversation_cache_valid(tuned):
    """A correction (adapter off) between two turns must not change the next reply: the
    tokens evaluated with the adapter are dropped when it goes off, and evaluated again."""
    topic = load_topic("restaurant")
    fixed = _fixed(topic)
    opened = [*fixed, ChatTurn("assistant", topic.openers[0])]
    asks = [
        [*opened, ChatTurn("user", "how much is the lemon sorbet?")],
        [*opened, ChatTurn("user", "i am vegetarian. what main course you recommend?")],
    ]
    replies = []
    for talk in asks:
        tuned.prefill(talk[:-1], fixed=len(fixed))
        replies.append(_reply(tuned, talk))
        assert tuned._adapter_on
    tuned.complete_json(feedback_messages("she have two brothers"), FEEDBACK_SCHEMA, 40)
    assert not tuned._adapter_on
    tuned.prefill(asks[-1][:-1], fixed=len(fixed))  # as the partner does before each turn
    assert _reply(tuned, asks[-1]) == replies[-1] and tuned._adapter_on
    head, tuned._head = tuned._head, []  # the same turns without the adapter, for contrast
    try:
        plain = [_reply(tuned, talk) for talk in asks]
        assert not tuned._adapter_on
    finally:
        tuned._head = head
    assert plain != replies, "the adapter changed nothing"
