"""The reply policy on the real default partner (Qwen2.5-Coder-1.5B): a question is answered
first and from the card, a goodbye gets a goodbye and no question, and what the learner said
earlier is used. One restaurant role-play, played turn by turn as in ``talk``."""

import re

import pytest

from im4talkin.tutor import guard
from im4talkin.tutor.partner import Partner, ReplyStats
from im4talkin.tutor.topics import load_topic

VEGETARIAN = r"\b(risotto|spaghetti|pizza|margherita|minestrone|bruschetta|soup)\b"
MEAT = r"\b(lasagne|salmon|calamari|beef|squid)\b"


@pytest.fixture(scope="module")
def lucia(qwen):
    partner = Partner(qwen, load_topic("restaurant"), "B1", seed=1)
    partner.open()
    partner.prefill()
    return partner


def _say(partner: Partner, text: str) -> tuple[str, ReplyStats]:
    stats = ReplyStats()
    reply = " ".join(partner.reply(text, stats))
    partner.prefill()
    return reply, stats


def test_a_question_is_answered_first_from_the_card(lucia):
    reply, stats = _say(lucia, "how much is the lemon sorbet?")
    first = guard.split_sentences(reply, final=True)[0][0]
    assert not guard.is_question(first) and not stats.fallback, reply
    assert re.search(r"\$\s?5\b|five dollars", reply), reply  # the card: lemon sorbet $5


def test_a_fact_the_learner_gave_is_used_later(lucia):
    _say(lucia, "i am vegetarian, i never eat meat or fish")
    reply, stats = _say(lucia, "what main course do you recommend for me?")
    assert not stats.fallback, reply
    assert re.search(VEGETARIAN, reply, re.I) and not re.search(MEAT, reply, re.I), reply


def test_a_goodbye_gets_a_goodbye_and_no_question(lucia):
    reply, stats = _say(lucia, "thank you for everything, good night")
    assert reply and "?" not in reply and not stats.fallback and lucia.closing, reply
    assert len(guard.split_sentences(reply, final=True)[0]) <= 3
