import pytest

from im4talkin.tutor import guard
from im4talkin.tutor.partner import Partner, ReplyStats
from im4talkin.tutor.topics import load_topic

from .fakes import ScriptedModel


def test_split_sentences_waits_for_the_end_of_a_sentence():
    done, rest = guard.split_sentences("That sounds fun! Where did you")
    assert done == ["That sounds fun!"] and rest.strip() == "Where did you"
    done, rest = guard.split_sentences("I met Dr. Smith there. Nice?", final=True)
    assert done == ["I met Dr. Smith there.", "Nice?"] and rest == ""


@pytest.mark.parametrize(
    "text, cut",
    [
        ("Great! <|im_end|>user: hi", "Great! "),
        ("Nice trip.\nUser: tell me more", "Nice trip.\n"),
        ("Sure. ### Instruction", "Sure. "),
    ],
)
def test_role_leaks_are_cut(text, cut):
    assert guard.leak_cut(text) == (cut, True)


@pytest.mark.parametrize(
    "sentence, why",
    [
        ("", "empty"),
        ("You should say 'went' instead of 'go'.", "corrects the learner"),
        ("Yesterday i go to the beach with my friends?", "echoes the learner"),
        ("Where would you like to travel next?", "repeats an earlier sentence"),
        ("word " * 40, "runaway"),
        ("What would you like to do next?", "generic question"),
        ("Sure, why not?", "generic question"),
    ],
)
def test_problems_are_named(sentence, why):
    learner = "yesterday i go to the beach with my friends"
    assert guard.problem(sentence, learner, ["Where would you like to travel next?"]) == why


def test_a_question_in_the_same_mould_as_a_recent_one_is_refused():
    earlier = ["Have you ever been to Rome before?", "Nice!"]
    assert (
        guard.problem("Have you ever lost your passport?", "", earlier) == "same question pattern"
    )
    assert guard.problem("Which city did you like most?", "", earlier) is None
    older = ["Have you ever been to Rome?", "Where did you stay?", "What did you eat?"]
    assert guard.problem("Have you ever lost your passport?", "", older) is None


def test_a_natural_reaction_passes():
    learner = "yesterday i go to the beach with my friends"
    assert guard.problem("The beach sounds lovely!", learner, []) is None
    assert guard.problem("Which beach did you like most?", learner, []) is None
    assert guard.clean("Sam: The beach sounds lovely!") == "The beach sounds lovely!"


def _partner(*replies):
    return Partner(ScriptedModel(*replies), load_topic("travel"), "B1", seed=1)


def test_reply_streams_sentences_and_stops_after_the_question():
    p = _partner("Wow, that sounds great! Which beach was it? I love beaches too.")
    p.open()
    out = list(p.reply("i went to the beach"))
    assert out == ["Wow, that sounds great!", "Which beach was it?"]
    assert p.history[-1].content == "Wow, that sounds great! Which beach was it?"


def test_a_bad_first_answer_is_retried_once():
    p = _partner("You should say 'went', not 'go'.", "Nice! Who did you go with?")
    p.open()
    stats = ReplyStats()
    assert list(p.reply("i go to the beach", stats)) == ["Nice!", "Who did you go with?"]
    assert stats.retries == 1 and "corrects the learner" in stats.problems


def test_two_bad_answers_fall_back_to_a_topic_question():
    p = _partner("<|im_start|>user", "")
    p.open()
    stats = ReplyStats()
    out = list(p.reply("i like trains", stats))
    assert len(out) == 1 and out[0] in p.topic.questions and stats.fallback


def test_a_reply_without_a_question_is_left_as_the_model_wrote_it():
    p = _partner("That sounds lovely.")
    p.open()
    stats = ReplyStats()
    assert list(p.reply("i visited rome", stats)) == ["That sounds lovely."]
    assert not stats.fallback and stats.retries == 0


def test_the_fallback_question_is_the_closest_to_what_was_said():
    p = _partner("", "")
    p.open()
    out = list(p.reply("i always buy souvenirs for my family"))
    assert "souvenirs" in out[0]


def test_fallback_never_repeats_an_asked_question():
    topic = load_topic("travel")
    p = Partner(ScriptedModel(*[""] * 40), topic, "B1", seed=3)
    p.open()
    asked = [list(p.reply(f"answer number {i}"))[-1] for i in range(len(topic.questions))]
    assert len(set(asked)) == len(asked)


@pytest.mark.parametrize(
    "buffer, cut",
    [
        ("That sounds lovely, what", ("That sounds lovely,", " what")),
        ("That sounds lovely,", None),  # the comma may yet be part of a number or a word
        ("Oh, that", None),  # too short to say on its own
        (
            "I have never been to Japan but I would ",
            ("I have never been to Japan", " but I would "),
        ),
        ("one two three four five six seven eight", None),  # "eight" may go on
        (
            "one two three four five six seven eight nine",
            ("one two three four five six seven eight", " nine"),
        ),
    ],
)
def test_a_first_clause_is_cut_at_a_comma_or_after_a_few_whole_words(buffer, cut):
    assert guard.first_clause(buffer) == cut


def test_the_first_clause_of_a_reply_goes_ahead_of_its_sentence():
    p = _partner("That sounds lovely, what did you see there? I love Rome.")
    p.open()
    stats = ReplyStats()
    out = list(p.reply("i visited rome last spring", stats))
    assert out == ["That sounds lovely,", "what did you see there?"]
    assert p.history[-1].content == "That sounds lovely, what did you see there?"
    assert 0 < stats.first_chunk_s <= stats.first_sentence_s


def test_an_answer_to_a_question_waits_for_its_whole_first_sentence():
    p = _partner("It costs five euros, which is quite cheap.")
    p.open()
    assert list(p.reply("how much is the museum ticket?")) == [
        "It costs five euros, which is quite cheap."
    ]


def test_a_sentence_dropped_after_its_clause_was_said_ends_the_reply_there():
    p = _partner("That sounds lovely, but you should say went.", "Nice! Who went with you?")
    p.open()
    stats = ReplyStats()
    assert list(p.reply("i go to rome last spring", stats)) == ["That sounds lovely,"]
    assert stats.problems == ["corrects the learner"] and stats.retries == 0
    assert p.history[-1].content == "That sounds lovely."
