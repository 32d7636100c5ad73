"""The learner-error rules: each rule catches its mistake and stays silent on good English."""

from __future__ import annotations

import subprocess
import sys

import pytest

from im4talkin.feedback.rules import LearnerRules, load_nlp, vowel_sound
from im4talkin.messages import KINDS


@pytest.fixture(scope="module")
def checker() -> LearnerRules:
    return LearnerRules(load_nlp())


def _one(checker: LearnerRules, text: str, original: str):
    """The correction whose span is ``original``; fails when there is none."""
    found = checker.check(text)
    for c in found:
        assert text[c.start : c.end] == c.original
    hits = [c for c in found if c.original == original]
    assert hits, f"no correction of {original!r} in {text!r}: {found}"
    return hits[0]


# (sentence, wrong words, replacement, kind)
MISTAKES = [
    # 1. past time + present verb
    ("yesterday i go to the beach with my friends", "go", "went", "tense"),
    ("Yesterday I go to the beach with my friends.", "go", "went", "tense"),
    ("last week i visit my grandmother", "visit", "visited", "tense"),
    ("last month my sister buy a new car", "buy", "bought", "tense"),
    ("two days ago i meet my old friend", "meet", "met", "tense"),
    ("three years ago we live in a small flat", "live", "lived", "tense"),
    ("in 2019 i live in rome", "live", "lived", "tense"),
    ("yesterday i am very tired", "am", "was", "tense"),
    ("yesterday we are at home", "are", "were", "tense"),
    ("last night she watch a film", "watch", "watched", "tense"),
    ("what do you do yesterday", "do", "did", "tense"),
    ("yesterday my friends and i play tennis", "play", "played", "tense"),
    ("Yesterday we go to the zoo and see the lions.", "see", "saw", "tense"),
    ("Last Week I Visit Paris.", "Visit", "Visited", "tense"),
    # 2. present perfect + finished time
    ("i have seen that film yesterday", "have seen", "saw", "tense"),
    ("she has visited paris last year", "has visited", "visited", "tense"),
    ("i have finished my homework last night", "have finished", "finished", "tense"),
    ("i've met him two days ago", "i've met", "i met", "tense"),
    ("i haven't seen him yesterday", "haven't seen", "didn't see", "tense"),
    ("the house has been built last year", "has been", "was", "tense"),
    ("i have been to london last summer", "have been", "went", "tense"),
    # 3. subject-verb agreement
    ("she speak english", "speak", "speaks", "agreement"),
    ("She Speak English.", "Speak", "Speaks", "agreement"),
    ("he go to work every day", "go", "goes", "agreement"),
    ("my brother play football every weekend", "play", "plays", "agreement"),
    ("it rain a lot here", "rain", "rains", "agreement"),
    ("My brother live in London.", "live", "lives", "agreement"),
    ("the man who live here is kind", "live", "lives", "agreement"),
    ("my parents lives in moscow", "lives", "live", "agreement"),
    ("the children plays outside", "plays", "play", "agreement"),
    ("i likes pizza", "likes", "like", "agreement"),
    ("he have two cats", "have", "has", "agreement"),
    ("my sister have a cat", "have", "has", "agreement"),
    ("she don't like fish", "do", "does", "agreement"),
    ("they doesn't like coffee", "does", "do", "agreement"),
    ("they is from canada", "is", "are", "agreement"),
    ("i is happy", "is", "am", "agreement"),
    ("we was at home", "was", "were", "agreement"),
    ("you was right", "was", "were", "agreement"),
    ("where is my keys", "is", "are", "agreement"),
    # 4. there is / there are
    ("there is three bags on the table", "is", "are", "agreement"),
    ("there was many people at the party", "was", "were", "agreement"),
    ("there was two cars in the street", "was", "were", "agreement"),
    ("there is many problems in my city", "is", "are", "agreement"),
    ("there are a book on the table", "are", "is", "agreement"),
    ("is there any apples", "is", "are", "agreement"),
    # 5. do + inflected verb
    ("she doesn't knows the way", "knows", "know", "verb form"),
    ("She Doesn't Knows.", "Knows", "Know", "verb form"),
    ("did you went to the party", "went", "go", "verb form"),
    ("he didn't came", "came", "come", "verb form"),
    ("does it works", "works", "work", "verb form"),
    ("did she called you", "called", "call", "verb form"),
    # 6. modal + to
    ("you should to book a table", "should to", "should", "verb form"),
    ("we must to go now", "must to", "must", "verb form"),
    ("i can to swim", "can to", "can", "verb form"),
    ("he will to help us", "will to", "will", "verb form"),
    ("you shouldn't to worry", "shouldn't to", "shouldn't", "verb form"),
    ("we can't to wait", "can't to", "can't", "verb form"),
    # 7. if + will
    ("if it will rain we will stay inside", "will rain", "rains", "tense"),
    ("if she will come i will be happy", "will come", "comes", "tense"),
    ("if he will call i will tell you", "will call", "calls", "tense"),
    ("if it won't rain we'll go to the park", "won't rain", "doesn't rain", "tense"),
    ("if it'll rain we will stay home", "it'll rain", "it rains", "tense"),
    # 8. verb + preposition / object
    ("please explain me the rules", "explain me", "explain to me", "preposition"),
    ("can you explain me how it works", "explain me", "explain to me", "preposition"),
    ("describe me your house", "describe me", "describe to me", "preposition"),
    ("he said me the answer", "said me", "told me", "word choice"),
    ("we arrived to paris in the evening", "arrived to", "arrived in", "preposition"),
    ("when did you arrive to london", "arrive to", "arrive in", "preposition"),
    ("they arrived to the station late", "arrived to", "arrived at", "preposition"),
    ("let's go to home", "to home", "home", "preposition"),
    ("i came to home late", "to home", "home", "preposition"),
    ("we got to home at midnight", "to home", "home", "preposition"),
    ("we discussed about the plan", "discussed about", "discussed", "preposition"),
    ("let's discuss about it", "discuss about", "discuss", "preposition"),
    ("she told that she was tired", "told that", "said that", "word choice"),
    ("he got married with anna", "married with", "married to", "preposition"),
    # 9. be + agree / depend
    ("i am agree that trains are faster", "am agree", "agree", "verb form"),
    ("she is agree with me", "is agree", "agrees", "verb form"),
    ("we were agree", "were agree", "agreed", "verb form"),
    ("he isn't agree", "isn't agree", "doesn't agree", "verb form"),
    ("i'm not agree", "i'm not agree", "i do not agree", "verb form"),
    ("it is depend on the weather", "is depend", "depends", "verb form"),
    # 10. -ing / -ed feelings
    ("i was very interesting in the tour", "interesting", "interested", "word choice"),
    ("she was interesting in art", "interesting", "interested", "word choice"),
    ("we were exciting about the trip", "exciting", "excited", "word choice"),
    ("i was surprising by the news", "surprising", "surprised", "word choice"),
    ("we were confusing about the rules", "confusing", "confused", "word choice"),
    ("i feel tiring", "tiring", "tired", "word choice"),
    ("she felt boring", "boring", "bored", "word choice"),
    # 11. much / many and uncountable plurals
    ("there was too much cars on the road", "much", "many", "countability"),
    ("how much people came", "much", "many", "countability"),
    ("i have too much friends", "much", "many", "countability"),
    ("i don't have many money", "many", "much", "countability"),
    ("there is too many traffic", "many", "much", "countability"),
    ("can you give me some advices", "advices", "advice", "countability"),
    ("i need some informations", "informations", "information", "countability"),
    ("we bought new furnitures", "furnitures", "furniture", "countability"),
    # 12. double comparatives
    ("this road is more shorter", "more shorter", "shorter", "comparison"),
    ("it is the most cheapest ticket", "most cheapest", "cheapest", "comparison"),
    ("my english is more better now", "more better", "better", "comparison"),
    ("this is the most biggest house", "most biggest", "biggest", "comparison"),
    # 13. a / an
    ("he is an good guide", "an", "a", "article"),
    ("i ate a apple", "a", "an", "article"),
    ("she is a honest woman", "a", "an", "article"),
    ("we waited a hour", "a", "an", "article"),
    ("it was a interesting film", "a", "an", "article"),
    ("he is an university student", "an", "a", "article"),
    ("it was an useful lesson", "an", "a", "article"),
    # 14. since + duration
    ("i know him since ten years", "since", "for", "preposition"),
    ("we have lived here since many years", "since", "for", "preposition"),
    ("i have waited since two hours", "since", "for", "preposition"),
    # 15. look forward to + verb
    ("i am looking forward to meet you", "meet", "meeting", "verb form"),
    ("we look forward to see you", "see", "seeing", "verb form"),
    ("i look forward to hear from you", "hear", "hearing", "verb form"),
    # 16. irregular verbs made regular
    ("i teached my sister to swim", "teached", "taught", "verb form"),
    ("he buyed a new car", "buyed", "bought", "verb form"),
    ("we goed to the park", "goed", "went", "verb form"),
    ("i thinked about it", "thinked", "thought", "verb form"),
    ("he runned very fast", "runned", "ran", "verb form"),
]


@pytest.mark.parametrize(("text", "original", "corrected", "kind"), MISTAKES)
def test_rule_catches_the_mistake(checker, text, original, corrected, kind):
    c = _one(checker, text, original)
    assert (c.corrected, c.kind, c.source) == (corrected, kind, "rules")


CORRECT = [
    # from the brief
    "last week i visited my grandmother",
    "she speaks english very well",
    "they are from canada",
    "can you give me some advice",
    "he didn't come to the party",
    "i am looking forward to meeting you",
    "it is the cheapest ticket",
    "my parents live in moscow",
    "i have lived here since 2010",
    "you should book a table",
    "if it rains we will stay inside",
    "i have to go home",
    "there are three bags on the table",
    "the news is good",
    "my family lives in rome",
    "everyone likes pizza",
    "the people who live here are kind",
    "physics is hard",
    "i used to swim every day",
    "he told me that he was tired",
    "i was interested in the tour",
    "the tour was interesting",
    "an hour ago we arrived in paris",
    "a university in london",
    "yesterday was a good day",
    "last year my brother got married",
    # past time
    "Yesterday I went to the beach with my friends.",
    "Last year, I visited my grandparents in Spain.",
    "I remember last summer very well.",
    "yesterday is history",
    "i don't remember what happened last week",
    "i think he left yesterday",
    "he says he saw her yesterday",
    "since last year i have lived in berlin",
    "i have been here since yesterday",
    "i haven't seen him since last week",
    "she put the book on the table yesterday",
    "he read a book last night",
    "what did you do yesterday",
    "last week's meeting is cancelled",
    "the last time i saw him he was sad",
    "the film i saw yesterday is great",
    "tomorrow we go to the beach",
    "next week i will visit my grandmother",
    "every day i go to work by bus",
    "this morning i have a meeting",
    "in 2030 we will live on mars",
    "i was born in 1990",
    "the law in 2019 says that",
    "two years ago i moved to london",
    "We didn't go out yesterday because it was cold.",
    "i know what you did last summer",
    # present perfect
    "i've seen that film",
    "have you ever been to paris",
    "i have just finished my homework",
    "i had finished my work before he came",
    "she has already finished her homework",
    "he has worked here since 2015",
    # agreement
    "the children are playing in the park",
    "the students who passed the exam were happy",
    "the man who lives next to us has a dog",
    "my sister and i live together",
    "she and her sister live in rome",
    "one of my friends is a doctor",
    "a lot of people are here",
    "a number of people have complained",
    "the police have arrived",
    "the staff are friendly",
    "ten dollars is enough",
    "sheep eat grass",
    "god bless you",
    "he need not worry",
    "let him go",
    "i suggest that he go home",
    "it is important that she be on time",
    "I saw the dog run",
    "we heard her sing",
    "if i were you i would go",
    "i wish i were taller",
    "she read the letter and cried",
    "it cost a lot of money",
    "where does he live",
    "who lives here",
    "nothing is impossible",
    "these shoes are new",
    "My parents don't speak English.",
    "The people in my city are friendly.",
    "My sister and her husband live in Madrid.",
    # there is / there are
    "there is a lot of traffic in the morning",
    "there is a lot of people here",
    "there are a lot of cars",
    "there is a table and two chairs",
    "there is no milk in the fridge",
    "there are no buses after midnight",
    "is there a pharmacy near here",
    "are there any good restaurants here",
    "There are many reasons for this.",
    # do-support and modals
    "does she know the way",
    "did you go to the party",
    "What time does the train leave?",
    "i ought to call my mother",
    "we have to leave now",
    "you don't have to come",
    "i'm used to getting up early",
    "he would like to come",
    "you must be tired",
    "i would rather stay at home tonight",
    # conditionals
    "if i have time i will call you",
    "unless it rains we will go to the beach",
    "i don't know if he will come",
    "i wonder if it will rain tomorrow",
    "i don't know whether she will come",
    "what will you do if you win",
    "if you will excuse me i must go",
    "If it rains tomorrow, we will stay at home.",
    # verb patterns
    "he explained the rules to me",
    "Can you explain this to me?",
    "can you describe him",
    "he explained that he was late",
    "tell me about your trip",
    "she told him that she was leaving",
    "she said that she was tired",
    "i was told that the shop was closed",
    "we discussed the plan",
    "we talked about the plan",
    "they arrived at the station",
    "we arrived home late",
    "let's go home",
    "i went to my home",
    "she is married to a doctor",
    "she is married with two children",
    "he is married with three kids",
    # be + agree
    "i agree with you",
    "it depends on the weather",
    "we agreed on a plan",
    "the results are dependent on the weather",
    # feelings
    "i was bored",
    "he is boring",
    "you are interesting",
    "the film was boring",
    "i feel tired",
    "we were excited about the trip",
    "i am tired of waiting",
    "i am worrying about you",
    "he is interesting in many ways",
    "i find the rules confusing",
    "she was amazing in the film",
    "it sounds interesting",
    # countability
    "how much money do you have",
    "how many people came",
    "there was too much traffic",
    "she gave me a lot of information",
    "he gave me some good advice",
    "my luggage is heavy",
    "thank you very much",
    "it is much more expensive",
    # comparison
    "she is more beautiful than her sister",
    "this road is shorter",
    "it is the most beautiful city",
    "there are more older people in cities",
    "most people like music",
    # articles
    "he is a european citizen",
    "she is an honest woman",
    "i bought a one-way ticket",
    "she has a uniform",
    "it was a useful lesson",
    "an apple a day keeps the doctor away",
    "this is an unusual day",
    "a unanimous decision",
    "an hiv test",
    "a usb cable",
    "she is an fbi agent",
    "he is an MBA student",
    # since / for
    "i have known him for ten years",
    "i have had this car since last summer",
    "we have been friends since school",
    "since it was late we went home",
    "i know him since 2015",
    # look forward to
    "i look forward to it",
    "i look forward to your reply",
    "we look forward to hearing from you",
    "i'm interested to learn english",
    # regular and irregular verbs
    "she taught me to swim",
    "he learned english at school",
    "they leaped over the fence",
    "the shoes fitted well",
    "the sun shined brightly",
    "he lied to me",
    # plain sentences
    "my name is anna and i am twenty years old",
    "we have a dog called max",
    "learning english is hard",
    "it takes two hours to get there",
    "i will call you when i get home",
    "he said he would come",
    "the train leaves at nine",
    "I'm not sure what you mean.",
    "",
    # longer written sentences
    "When I was a child, I lived in a small village near the mountains.",
    "My grandmother, who is eighty years old, still works in her garden every day.",
    "The museum, which was built in 1890, is closed on Mondays.",
    "If I had known about the party, I would have come.",
    "They've lived in this house since they got married.",
    "Neither my brother nor my sister speaks French.",
    "Everyone in my class has a smartphone.",
    "There were so many people that we couldn't find a seat.",
    "He has been married to Maria for ten years.",
    "I was confused by the instructions.",
    "My boss was annoyed by the delay.",
    "This is a more difficult question than the last one.",
    "She gave me some useful advice about my CV.",
    "an X-ray machine",
    # more agreement and there-be traps
    "there are only a handful of people",
    "there are a couple of problems",
    "there is a man and two women",
    "there's two of them",
    "the number of tourists is growing",
    "the rest of the students are here",
    "the united states is a big country",
    "my glasses are dirty",
    "fish live in water",
    "mathematics is my favourite subject",
    "the best thing is the people",
    "what i need is friends",
    "she is agreeable",
    "i am agreeing with you",
    "we have many more options",
    "if it will help",
]


@pytest.mark.parametrize("text", CORRECT)
def test_no_false_alarm(checker, text):
    assert checker.check(text) == []


def test_corrections_are_well_formed(checker):
    text = "yesterday i go to the beach and there is three bags and she speak english"
    found = checker.check(text)
    assert [c.start for c in found] == sorted(c.start for c in found)
    for a, b in zip(found, found[1:], strict=False):
        assert a.end <= b.start
    for c in found:
        assert text[c.start : c.end] == c.original
        assert c.kind in KINDS and c.source == "rules"
        assert c.explanation and "\n" not in c.explanation and len(c.explanation) < 120


def test_overlapping_hits_keep_one(checker):
    # the past-time rule and the agreement rule both look at "go": only the tense fix stays
    (c,) = checker.check("yesterday he go to school")
    assert (c.original, c.corrected, c.kind) == ("go", "went", "tense")


def test_several_mistakes_in_one_sentence(checker):
    found = checker.check("there was too much cars on the road")
    assert [(c.original, c.corrected) for c in found] == [("was", "were"), ("much", "many")]


def test_explanation_names_the_fix(checker):
    c = _one(checker, "last week i visit my grandmother", "visit")
    assert "last week" in c.explanation and "visited" in c.explanation


def test_load_nlp_is_cached():
    assert load_nlp() is load_nlp()


def test_import_is_cheap():
    code = "import sys, im4talkin.feedback.rules; print('spacy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("word", "vowel"),
    [
        ("apple", True),
        ("hour", True),
        ("honest", True),
        ("umbrella", True),
        ("unusual", True),
        ("good", False),
        ("university", False),
        ("useful", False),
        ("one", False),
        ("year", False),
        ("hotel", None),
        ("fbi", None),
        ("FBI", None),
    ],
)
def test_vowel_sound(word, vowel):
    assert vowel_sound(word) is vowel
