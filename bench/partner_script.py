"""Partner quality: a scripted 10-turn conversation on every topic with the real model.

Each reply is checked: on topic (shares a content lemma with the topic file, its reading
sentences included, or with the learner's turn), 1-3 sentences, ends with a question, repeats no earlier reply or question,
echoes nothing, corrects nothing. Prints counts and the transcripts (markdown).

    python bench/partner_script.py [--llm qwen] [--turns 10]
"""

from __future__ import annotations

import argparse
import re
import time
from functools import cache

import _common  # noqa: F401  (puts the repo on sys.path)

from im4talkin import registry
from im4talkin.config import load_settings
from im4talkin.feedback.rules import load_nlp
from im4talkin.tutor import guard
from im4talkin.tutor.partner import Partner, ReplyStats
from im4talkin.tutor.topics import Topic, available, load_topic

SCRIPTS = {
    "travel": [
        "yesterday i go to the beach with my friends",
        "we stayed in a small hotel near the sea",
        "i want to visit japan next year",
        "i like trains more than planes",
        "my last trip was to rome in may",
        "i always forget my passport at home",
        "the food in italy was delicious",
        "i prefer to travel with my family",
        "once my flight was delayed for five hours",
        "i would like to see the northern lights",
    ],
    "restaurant": [
        "i would like a glass of water please",
        "what do you recommend for a main course",
        "i am vegetarian so no meat please",
        "can i have the pasta with tomato sauce",
        "the soup was very tasty",
        "i don't like spicy food",
        "we are celebrating my sister birthday",
        "could we have some bread",
        "for dessert i want chocolate cake",
        "can i pay by card please",
    ],
    "job_interview": [
        "the journey was fine thank you",
        "i worked as a sales assistant for three years",
        "my biggest strength is that i am very organised",
        "i want this job because i like helping people",
        "i studied business at university",
        "in my last job i lead a small team",
        "sometimes i work too much",
        "i can start next month",
        "i speak spanish and a little english",
        "i would like to know more about the team",
    ],
    "shopping": [
        "i am looking for a warm jacket",
        "my size is medium",
        "do you have this in blue",
        "it is a bit expensive for me",
        "i need a present for my mother",
        "can i try these shoes on",
        "i usually buy clothes online",
        "is there a discount on this bag",
        "i will take the black one",
        "can i have a receipt please",
    ],
    "hobbies": [
        "i like playing football on weekends",
        "i started to learn guitar last year",
        "i read a lot of books about history",
        "my favourite hobby is cooking",
        "i go swimming two times a week",
        "i want to try painting",
        "i watched a great film yesterday",
        "i collect old coins",
        "my friends and me play board games",
        "i would like to join a running club",
    ],
    "health": [
        "i have a headache since two days",
        "i feel very tired in the morning",
        "i don't sleep well at night",
        "i drink a lot of coffee",
        "my back hurts when i sit for long",
        "i do exercise once a week",
        "i am allergic to penicillin",
        "i eat fast food quite often",
        "should i take some medicine",
        "thank you doctor i will try to rest more",
    ],
}

STOP = set(
    "that this with have what your about would there their they them then than when where "
    "which were been will just like really very much some more most also into from it's i'm "
    "you're that's sounds great nice good wonderful interesting amazing love enjoy think "
    "know tell does did doing make made want feel be do get try sound see say new way thing "
    "lot cool awesome exciting fun sure ever here now usually too so not well yes okay "
    "glad happy hear right any other next day time".split()
)


def content(text: str) -> set[str]:
    """Lemmas of the content words (nouns, verbs, adjectives, adverbs) of ``text``."""
    doc = load_nlp()(text.lower())
    return {
        t.lemma_
        for t in doc
        if t.pos_ in ("NOUN", "PROPN", "VERB", "ADJ", "ADV")
        and len(t.text) > 2
        and t.lemma_ not in STOP
    }


@cache
def topic_lexicon(topic: Topic) -> set[str]:
    """Every content lemma of the topic file: scenario, vocabulary, questions, reading."""
    parts = [topic.title, topic.scenario, *topic.goals, *topic.vocabulary, *topic.questions]
    return content(" ".join([*parts, *topic.openers, *topic.reading]))


def checks(reply: str, learner: str, earlier: list[str], topic: Topic) -> dict[str, bool]:
    sentences = guard.split_sentences(reply, final=True)[0]
    return {
        "on topic": bool(content(reply) & (topic_lexicon(topic) | content(learner))),
        "1-3 sentences": 1 <= len(sentences) <= 3,
        "ends with a question": reply.rstrip().endswith("?"),
        "no repeat": not any(guard.similar(s, e) for s in sentences for e in earlier),
        "no echo": not guard.echoes(reply, learner),
        "no correction": guard.problem(reply, "", []) != "corrects the learner",
    }


def run_topic(model, name: str, turns: int) -> tuple[list[dict], list[str]]:
    topic = load_topic(name)
    partner = Partner(model, topic, "B1", seed=1)
    lines = [f"**{topic.title}**", "", f"- partner: {partner.open()}"]
    partner.prefill()
    rows = []
    for learner in SCRIPTS[name][:turns]:
        earlier = list(guard.earlier_sentences(partner.replies))
        stats = ReplyStats()
        t = time.perf_counter()
        reply = " ".join(partner.reply(learner, stats))
        took = time.perf_counter() - t
        result = checks(reply, learner, earlier, topic)
        rows.append({**result, "fallback": stats.fallback, "retries": stats.retries, "s": took})
        failed = [k for k, ok in result.items() if not ok]
        flags = (" [FAILS: " + ", ".join(failed) + "]") if failed else ""
        flags += " [fallback question]" if stats.fallback else ""
        lines += [f"- learner: {learner}", f"- partner: {reply}{flags}"]
        partner.prefill()
    return rows, lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--llm", default="qwen")
    ap.add_argument("--turns", type=int, default=10)
    args = ap.parse_args()
    model = registry.create("llm", args.llm, load_settings())
    all_rows, transcripts = [], []
    for name in available():
        rows, lines = run_topic(model, name, args.turns)
        all_rows += rows
        transcripts += [*lines, ""]
    keys = [k for k in all_rows[0] if k not in ("fallback", "retries", "s")]
    n = len(all_rows)
    passed = sum(all(r[k] for k in keys) for r in all_rows)
    print(
        f"model: {model.name}; {n} replies; pass every check: {passed}/{n} ({100 * passed / n:.0f}%)"
    )
    print()
    print("| check | pass |")
    print("| --- | --- |")
    for k in keys:
        print(f"| {k} | {sum(r[k] for r in all_rows)}/{n} |")
    fb = sum(r["fallback"] for r in all_rows)
    rt = sum(r["retries"] > 0 for r in all_rows)
    print(f"| (guard: fallback question added) | {fb}/{n} |")
    print(f"| (guard: first sentence retried) | {rt}/{n} |")
    own = [r for r in all_rows if not r["fallback"]]
    own_pass = sum(all(r[k] for k in keys) for r in own)
    print(
        f"\nThe model's own replies (no fallback question): {own_pass}/{len(own)} pass every check."
    )
    print()
    print("\n".join(re.sub(r"\s+$", "", line) for line in transcripts))


if __name__ == "__main__":
    main()
