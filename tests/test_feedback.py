import json

import pytest

from im4talkin.feedback.engine import FeedbackEngine, merge
from im4talkin.messages import KINDS, Correction

from .conftest import DEV_SET
from .fakes import ScriptedModel


def test_harper_drops_case_punctuation_and_spelling(harper):
    assert harper.check("we went to paris and london") == []
    (c,) = harper.check("she speak english very well")
    assert (c.original, c.corrected, c.kind, c.source) == ("speak", "speaks", "agreement", "harper")


def test_harper_keeps_stdout_clean(harper, capfd):
    harper.check("i am looking forward to meet you")
    assert capfd.readouterr().out == ""


def test_harper_picks_the_same_fix_every_time(harper):
    (c,) = harper.check("we arrived to paris in the evening")
    assert c.corrected == "in"


def test_merge_prefers_rules_then_harper():
    a = Correction("go", "goes", "x", "agreement", "harper", 4, 6)
    b = Correction("go", "went", "y", "tense", "rules", 4, 6)
    c = Correction("beach", "sea", "z", "word choice", "llm", 14, 19)
    assert merge([a, c, b]) == [b, c]


def _engine(nlp, *answers):
    return FeedbackEngine([], nlp, ScriptedModel(json_answers=answers))


def test_llm_case_punctuation_and_content_rewrites_are_dropped(nlp):
    engine = _engine(
        nlp,
        {"corrected": "My parents live in Moscow."},
        {"corrected": "my family lives in moscow"},
        {"corrected": "it is the most expensive ticket"},
    )
    assert engine.from_llm("my parents live in moscow") == []
    assert engine.from_llm("my parents live in moscow") == []
    assert engine.from_llm("it is the most cheapest ticket") == []


def test_llm_grammar_fixes_are_kept_with_kind_and_why(nlp):
    engine = _engine(
        nlp,
        {"corrected": "there were too many cars on the road"},
        {"corrected": "please explain to me the rules"},
    )
    found = engine.from_llm("there was too much cars on the road")
    assert [(c.original, c.corrected, c.kind) for c in found] == [
        ("was", "were", "agreement"),
        ("much", "many", "word choice"),
    ]
    assert all(c.source == "llm" and "were" in found[0].explanation for c in found)
    (c,) = engine.from_llm("please explain me the rules")
    assert (c.original, c.corrected, c.kind, c.start) == ("explain", "explain to", "preposition", 7)


def test_the_real_llm_corrects_a_sentence(qwen, nlp):
    engine = FeedbackEngine([], nlp, qwen)
    found = engine.from_llm("she speak english very well")
    assert [(c.original, c.corrected) for c in found] == [("speak", "speaks")]
    assert engine.from_llm("she speaks english very well") == []


def test_praise_is_specific(nlp):
    engine = FeedbackEngine([], nlp, None, vocabulary=("boarding pass",))
    fb = engine.finish("i lost my boarding pass because i was tired", [])
    assert "No mistakes" in fb.praise and "because" in fb.praise
    fb = engine.finish("i saw a beautiful castle", [])
    assert "saw" in fb.praise


def _dev():
    return [json.loads(line) for line in DEV_SET.read_text().splitlines() if line.strip()]


@pytest.mark.skipif(not DEV_SET.exists(), reason="../shared/data is not beside this checkout")
def test_rules_and_harper_on_the_dev_set(harper, rules, nlp):
    """The fast checkers alone; bench/feedback_quality.py measures the whole stack."""
    engine = FeedbackEngine([harper, rules], nlp)
    caught = false_alarms = 0
    for item in _dev():
        found = engine.fast(item["text"])
        assert all(c.kind in KINDS and c.explanation for c in found)
        if item["error"] is None:
            false_alarms += len(found)
        elif any(item["fix"] in c.corrected for c in found):
            caught += 1
    assert caught >= 20 and false_alarms <= 1


def test_spoken_praise_never_credits_a_verb_form_whisper_may_have_fixed(nlp):
    from im4talkin.feedback.praise import praise_for

    doc = nlp("last summer i visited my uncle in the mountains")
    assert "past tense" in praise_for(doc, [])
    spoken = praise_for(doc, [], spoken=True)
    assert spoken.startswith("I heard no mistakes") and "visited" not in spoken
    assert "because" in praise_for(nlp("i stayed home because it rained"), [], spoken=True)
