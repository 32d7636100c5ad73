"""Learner English is never refused, made-up learner forms are corrected, other languages are.

The refusal test runs over every sentence of the dev set, the held-out set and JFLEG's real
learner writing (those two from ../shared are skipped when it is not beside the checkout;
the held-out set ships in bench/data), and the sentences that Harper's English guess used
to refuse.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from im4talkin.feedback import language
from im4talkin.feedback.learner_forms import overregular_plural, overregular_verb
from im4talkin.feedback.rules import LearnerRules, load_nlp

from .conftest import DEV_SET

ROOT = Path(__file__).resolve().parents[1]
HELDOUT = ROOT / "bench" / "data" / "learner_errors_heldout.jsonl"
JFLEG = ROOT.parent / "shared" / "data" / "jfleg" / "dev.src"

ONCE_REFUSED = [
    "yesterday i buyed new shoes",
    "we goed to the cinema on friday",
    "she gave me two good advices",
    "the hotel had no informations for us",
    "i catched the bus at eight",
    "my childs are at school",
    "we bringed our own food",
    "they have many furnitures in the flat",
    "i teached my sister to swim",
    "can you give me some advices",
]
OTHER_LANGUAGES = [
    "Я люблю путешествовать по миру",  # Russian
    "вчера я ходил в кино с друзьями",
    "hola me llamo juan y vivo en madrid",  # Spanish
    "no tengo dinero para el autobus",
    "我喜欢去海边旅行",  # Chinese
    "我们明天早上八点在火车站见面",
]


@pytest.fixture(scope="module")
def rules() -> LearnerRules:
    return LearnerRules(load_nlp())


def _jsonl(path: Path) -> list[str]:
    return [json.loads(line)["text"] for line in path.read_text().splitlines() if line.strip()]


def _refused(sentences: list[str]) -> list[str]:
    return [s for s in sentences if not language.looks_english(s)]


def test_sentences_with_learner_mistakes_are_english():
    assert _refused(ONCE_REFUSED) == []


def test_the_held_out_set_is_never_refused():
    assert _refused(_jsonl(HELDOUT)) == []


@pytest.mark.skipif(not DEV_SET.exists(), reason="../shared/data is not beside this checkout")
def test_the_dev_set_is_never_refused():
    assert _refused(_jsonl(DEV_SET)) == []


@pytest.mark.skipif(not JFLEG.exists(), reason="../shared/data is not beside this checkout")
def test_real_learner_writing_is_never_refused():
    sentences = [line for line in JFLEG.read_text().splitlines() if line.strip()]
    assert len(sentences) == 754
    assert _refused(sentences) == []


@pytest.mark.parametrize("text", OTHER_LANGUAGES)
def test_other_languages_are_refused(text):
    assert not language.looks_english(text)


@pytest.mark.parametrize(
    "text",
    [
        "i love борщ very much",  # one Russian word in an English sentence
        "i live in nizhny novgorod near the volga",  # names
        "hola amigo",  # too short to judge: the partner answers
        "i no understand",
        "pls help me with my homeworks",
        "she don't like it",
    ],
)
def test_mixed_and_short_turns_are_english(text):
    assert language.looks_english(text)


def test_the_identifier_is_asked_only_when_the_words_are_not_english(monkeypatch):
    asked = []
    monkeypatch.setattr(language, "english_chance", lambda t: asked.append(t) or 0.0)
    assert language.looks_english("my childs has many homeworks")
    assert not language.looks_english("ich habe heute keine zeit")
    assert asked == ["ich habe heute keine zeit"]


def _fixed(rules: LearnerRules, text: str) -> str:
    out = text
    for c in sorted(rules.check(text), key=lambda c: c.start, reverse=True):
        out = out[: c.start] + c.corrected + out[c.end :]
    return out


@pytest.mark.parametrize(
    ("text", "corrected"),
    [
        ("yesterday i buyed new shoes", "yesterday i bought new shoes"),
        ("we goed to the cinema on friday", "we went to the cinema on friday"),
        ("i catched the bus at eight", "i caught the bus at eight"),
        ("i thinked about it all night", "i thought about it all night"),
        ("we bringed our own food", "we brought our own food"),
        ("i teached my sister to swim", "i taught my sister to swim"),
        ("she maked a cake for us", "she made a cake for us"),
        ("we runned to the station", "we ran to the station"),
        ("i have goed there twice", "i have gone there twice"),
        ("have you ever eated sushi", "have you ever eaten sushi"),
        ("my bike was stealed last night", "my bike was stolen last night"),
        ("i want to buyed a car", "i want to buy a car"),
        ("she gave me some good advices", "she gave me some good advice"),
        ("the hotel had no informations for us", "the hotel had no information for us"),
        ("we had too many luggages", "we had too much luggage"),
        ("they have many furnitures in the flat", "they have much furniture in the flat"),
        ("i did all my homeworks", "i did all my homework"),
        ("they sell sports equipments", "they sell sports equipment"),
        ("my childs are at school", "my children are at school"),
        ("my childrens are at school", "my children are at school"),
        ("there were many peoples at the party", "there were many people at the party"),
        ("two mans came into the shop", "two men came into the shop"),
        ("my foots hurt after the walk", "my feet hurt after the walk"),
        ("the farmer has ten sheeps", "the farmer has ten sheep"),
    ],
)
def test_made_up_learner_forms_are_corrected(rules, text, corrected):
    assert _fixed(rules, text) == corrected


@pytest.mark.parametrize(
    "text",
    [
        "we needed more time",
        "the bird bred in the garden",
        "he putted the ball into the hole",
        "the peoples of europe have many languages",
        "he mans the front desk at night",
        "she always foots the bill",
        "there are many fishes in this lake",
        "she researches old maps",
        "they learned english at school",
        "we dreamed about the sea",
    ],
)
def test_real_words_that_look_made_up_are_left_alone(rules, text):
    assert rules.check(text) == []


def test_the_finders_work_on_the_word_alone():
    assert overregular_verb("goed") == "go" and overregular_verb("swimmed") == "swim"
    assert overregular_verb("needed") is None and overregular_verb("walked") is None
    assert overregular_plural("childs") == ("child", "children")
    assert overregular_plural("books") is None and overregular_plural("persons") is None
