"""The reply policy: answer first, no question after a goodbye, canned lines only after two
failures, the role-play card and examples in the prompt. Scripted model here; the real
default model plays the same policy in test_partner_real.py."""

import pytest

from im4talkin.errors import TopicError
from im4talkin.tutor import guard, policy
from im4talkin.tutor.partner import Partner, ReplyStats
from im4talkin.tutor.prompts import START, example_turns, partner_system_prompt
from im4talkin.tutor.topics import available, load_topic, parse_topic, topics_dir

from .fakes import ScriptedModel

Kind = policy.Kind


@pytest.mark.parametrize(
    "text, kind",
    [
        ("thank you doctor goodbye", Kind.GOODBYE),
        ("perfect, see you on thursday, bye", Kind.GOODBYE),
        ("thanks a lot, have a nice day", Kind.GOODBYE),
        ("can i pay by card? thanks, bye", Kind.GOODBYE),
        ("do i need antibiotics", Kind.QUESTION),
        ("how long it will take?", Kind.QUESTION),
        ("ok i take the risotto. how much is it", Kind.QUESTION),
        ("excuse me, is there egg in the pasta", Kind.QUESTION),
        ("thank you, now it is much better", Kind.STATEMENT),
        ("i took paracetamol but it did not help much", Kind.STATEMENT),
        ("i dont like big hotels", Kind.STATEMENT),
        ("my sister is a doctor", Kind.STATEMENT),
    ],
)
def test_the_kind_of_turn(text, kind):
    assert policy.kind_of(text) is kind


def test_what_breaks_the_policy():
    assert policy.problem("Have a great day?", Kind.GOODBYE, 1) == "asks after a goodbye"
    assert policy.problem("Goodbye!", Kind.GOODBYE, 0) is None
    assert policy.problem("What symptoms do you have?", Kind.QUESTION, 0)
    assert policy.problem("That's a great question.", Kind.QUESTION, 0)
    assert policy.problem("What else can I get you?", Kind.QUESTION, 1) is None
    assert policy.problem("What else?", Kind.STATEMENT, 0) is None


def _partner(*replies, topic="restaurant"):
    model = ScriptedModel(*replies)
    p = Partner(model, load_topic(topic), "B1", seed=1)
    p.open()
    return p, model


def test_a_question_is_answered_before_anything_else():
    p, model = _partner("Do you mean the sorbet?", "The sorbet is $5. With a coffee?")
    stats = ReplyStats()
    out = list(p.reply("how much is the lemon sorbet?", stats))
    assert out == ["The sorbet is $5.", "With a coffee?"]
    assert stats.retries == 1 and "does not answer the question first" in stats.problems
    assert not stats.fallback


def test_no_question_after_a_goodbye_and_the_session_may_end():
    p, _ = _partner("Thank you for coming! Would you like dessert next time? Bye.")
    stats = ReplyStats()
    out = list(p.reply("thank you for everything, good night", stats))
    assert out == ["Thank you for coming!"] and p.closing and not stats.fallback
    p2, _ = _partner("Would you like dessert?", "What else?")
    assert list(p2.reply("bye bye", ReplyStats())) == [policy.FAREWELL]


def test_the_note_reaches_the_model_but_never_the_history():
    p, model = _partner("The risotto takes about 20 minutes.")
    list(p.reply("how long it will take?"))
    last = model.prompts[-1][-1]
    assert last.role == "user" and last.content.startswith("how long it will take?")
    assert policy.note(Kind.QUESTION, 0) in last.content
    assert p.history[-2].content == "how long it will take?"


def test_the_examples_sit_between_the_system_prompt_and_the_conversation():
    p, model = _partner("Sure.")
    list(p.reply("a table for one please"))
    prompt = model.prompts[-1]
    topic = load_topic("restaurant")
    assert prompt[0].role == "system"
    assert prompt[1].content == topic.roleplay.examples[0][0]
    shots = 2 * len(topic.roleplay.examples)
    assert prompt[shots + 1].content == START and prompt[shots + 2].role == "assistant"
    assert prompt[shots + 2].content in topic.openers


def test_every_shipped_topic_is_a_role_play_with_a_card():
    for name in available():
        topic = load_topic(name)
        play = topic.roleplay
        assert play and play.goal and len(play.stages) >= 3 and len(play.card) >= 5
        assert len(play.examples) >= 3
        byes = [b for a, b in play.examples if policy.kind_of(a) is Kind.GOODBYE]
        assert byes and not any(guard.is_question(s) for s in guard.split_sentences(byes[0])[0])
        text = partner_system_prompt(topic, "A2")
        assert all(fact in text for fact in play.card) and play.goal in text
        assert "under 10 words" in text and "answer it first" in text
        turns = example_turns(topic)
        assert len(turns) == 2 * len(play.examples) + 1 and turns[-1].content == START


def test_a_bad_roleplay_table_names_the_file_and_line(tmp_path):
    src = (topics_dir() / "travel.toml").read_text().split("[roleplay]")[0]
    bad = tmp_path / "bad.toml"
    bad.write_text(src + '[roleplay]\ngoal = "g"\nstages = ["a"]\ncard = []\n')
    with pytest.raises(TopicError, match=rf"bad.toml:{src.count(chr(10)) + 1}: roleplay 'card'"):
        parse_topic(bad)
    bad.write_text(src + '[roleplay]\ngoal = "g"\nstages = ["a"]\ncard = ["c"]\nexamples = [1]\n')
    with pytest.raises(TopicError, match="needs 'learner' and 'partner'"):
        parse_topic(bad)
    free = tmp_path / "free.toml"
    free.write_text(src)
    assert parse_topic(free).roleplay is None
