"""One llama.cpp model for the partner and the correction pass: a correction between two
turns must not cost the partner its KV cache, nor change what it says. On the real default
partner (Qwen2.5-Coder-1.5B, alone as shipped and with its role-play adapter on), turn by
turn as in ``talk``."""

import pytest

from im4talkin import registry
from im4talkin.config import load_settings
from im4talkin.llm.llama import LlamaChat, SharedChat
from im4talkin.tutor.build import build_conversation
from im4talkin.tutor.partner import Partner, ReplyStats
from im4talkin.tutor.prompts import FEEDBACK_SCHEMA, feedback_messages
from im4talkin.tutor.topics import load_topic

TURNS = ("i would like a table for two please", "what do you recommend for a vegetarian?")
SAID = ("yesterday i go to the cinema with my friends",)


@pytest.fixture(scope="module")
def tuned():
    settings = load_settings()
    settings.llm.adapter = "auto"
    return registry.create("llm", "qwen", settings)


@pytest.fixture(params=["alone", "adapter"])
def model(request, qwen):
    return qwen if request.param == "alone" else request.getfixturevalue("tuned")


@pytest.fixture
def evaluated(model, monkeypatch):
    """How many tokens llama.cpp evaluates, call by call."""
    counts: list[int] = []
    real = model._llama.eval

    def spy(tokens):
        counts.append(len(tokens))
        return real(tokens)

    monkeypatch.setattr(model._llama, "eval", spy)
    return counts


def _play(qwen, evaluated, critic=None) -> tuple[list[str], int, list[dict]]:
    """Two turns; with ``critic``, a correction pass between them. Returns the replies, the
    tokens evaluated to get ready for the second turn, and the corrections."""
    qwen._llama.reset()  # both plays start from an empty cache: the same batches evaluated
    partner = Partner(qwen, load_topic("restaurant"), "B1", max_tokens=40, seed=3)
    partner.open()
    partner.prefill()
    first = " ".join(partner.reply(TURNS[0], ReplyStats()))
    answers = []
    if critic is not None:
        for sentence in SAID:
            answers.append(critic.complete_json(feedback_messages(sentence), FEEDBACK_SCHEMA, 120))
    evaluated.clear()
    partner.prefill()
    ready = sum(evaluated)
    second = " ".join(partner.reply(TURNS[1], ReplyStats()))
    return [first, second], ready, answers


def test_corrections_between_turns_keep_the_partners_cache(model, evaluated):
    assert isinstance(model, LlamaChat)
    alone, ready_alone, _ = _play(model, evaluated)
    critic = model.sharing("corrections")
    shared, ready_shared, answers = _play(model, evaluated, critic)
    # the partner got ready for its second turn evaluating only what was new, as without
    # the corrections in between (its prompt is hundreds of tokens: evaluating it again
    # would show here), and said the same
    assert 0 < ready_shared == ready_alone < 150
    assert shared == alone
    assert all(a.get("corrected") for a in answers), answers  # the corrections were written
    # the correction pass keeps its own cache too: its instructions are not evaluated again
    evaluated.clear()
    critic.complete_json(feedback_messages("he don't like coffee"), FEEDBACK_SCHEMA, 120)
    full = model.count_tokens(model._prompt(feedback_messages("he don't like coffee")))
    assert 0 < sum(evaluated) < full / 2, (sum(evaluated), full)


def test_a_session_loads_the_partner_model_once(monkeypatch):
    settings = load_settings()
    settings.llm.name = "smollm2"
    loads = []
    real = registry.REGISTRY[("llm", "smollm2")]
    monkeypatch.setitem(
        registry.REGISTRY, ("llm", "smollm2"), lambda *a, **k: loads.append(k) or real(*a, **k)
    )
    convo = build_conversation(settings, load_topic("travel"))
    assert len(loads) == 1
    critic = convo.feedback.llm
    assert isinstance(critic, SharedChat) and critic.chat is convo.partner.model
    assert critic.adapter is None  # corrections use the model as it is


def test_reading_ahead_leaves_the_reply_only_the_rest_of_the_turn(qwen, monkeypatch):
    """The words recognised while the learner speaks are read before the turn ends; the
    reply then evaluates only what came after them, and a read-ahead that turns out wrong
    is read again from the first different word."""
    batches: list[int] = []
    real = qwen._llama.eval
    monkeypatch.setattr(
        qwen._llama, "eval", lambda tokens: (batches.append(len(tokens)), real(tokens))[1]
    )
    partner = Partner(qwen, load_topic("travel"), "B1", max_tokens=30, seed=3)
    partner.open()
    partner.prefill()
    said = "yesterday i go to the beach with my friends and we swim in the sea"
    whole = qwen.count_tokens(said)

    def first_batch(text: str, ahead: str) -> int:
        partner.prefill(started=ahead)
        batches.clear()
        reply = " ".join(partner.reply(text, ReplyStats()))
        assert reply
        partner.prefill()
        return batches[0]

    # nothing read ahead: the whole turn and the reply's header
    assert first_batch(said, "") >= whole
    # all but the last words read ahead: those words and the header, nothing more
    said = "we went to the old market and i buy a lot of fruits there"
    assert first_batch(said, "we went to the old market and i buy a lot of") <= 10
    # a read-ahead the final transcript does not bear out: read from the difference only
    said = "my sister like the mountains more than the sea"
    n = first_batch(said, "my sister like the museums")
    assert n <= qwen.count_tokens(" mountains more than the sea") + 10
