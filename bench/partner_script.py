"""Partner quality: role-play scripts played with the real model, every reply judged by reading.

Each script (``bench/data/roleplay_heldout.jsonl``, written before the prompts were tuned;
``--dev`` plays the tuning set instead) is a learner's side of one role-play: questions,
facts to remember, a problem, and a goodbye as the last turn. The partner plays it through
the same ``Partner`` (prompt, reply policy, guard, retry, fallback) that ``talk`` uses.

The headline is the share of replies judged **good** by a person, read from
``bench/data/roleplay_judged.jsonl`` (keyed by topic, learner turn and the exact reply, so
a reply that changed is *unjudged* until it is read again; ``--dump-unjudged FILE`` writes
those out to fill in). Good = responds to what was just said (answers a question asked, uses
facts given earlier), consistent with the role and the card, no invented or wrong fact,
a natural follow-up or none when closing, at most three short sentences. A reply that
needed a canned fallback question counts as bad whatever it says.

The machine-made rates are computed here, apart from the product's own checks: canned
fallbacks, learner questions whose reply starts with an answer (a first sentence that is
not itself a question or a "good question" deflection), questions asked after the
learner's goodbye, and sentences per reply.

    python bench/partner_script.py [--llm qwen] [--level B1] [--dev] [--dump-unjudged F]
                                   [--adapter auto|none|FILE]

The partner plays as configured (``llm.adapter``, off by default); ``--adapter auto`` plays
it with the role-play LoRA adapter shipped for the bundled Qwen, ``--adapter none`` without.

``--free`` plays free chat instead: the 14 statements of ``bench/turn_latency.py`` (what a
learner tells the travel agent about their trips) as one conversation, and counts the
replies that are a bare reaction (four words or fewer and no question, "That's true!"), the
replies that ask something, and the sentences the guard dropped as repeats.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

import _common  # noqa: F401  (puts the repo on sys.path)
from _common import median

from im4talkin import registry
from im4talkin.config import load_settings
from im4talkin.tutor.partner import Partner, ReplyStats
from im4talkin.tutor.topics import load_topic

DATA = Path(__file__).parent / "data"
JUDGED = DATA / "roleplay_judged.jsonl"

_QUESTION_START = re.compile(
    r"^(what|where|when|who|whom|which|why|how|is|are|am|was|were|do|does|did|can|could|"
    r"will|would|shall|should|may|have|has)\b",
    re.IGNORECASE,
)
_DEFLECT = re.compile(
    r"^(that'?s|it'?s|what|such) an? (good|great|important|interesting|excellent) question",
    re.IGNORECASE,
)


def sentences(text: str) -> list[str]:
    """The reply cut at sentence ends (this bench's own splitter)."""
    return [s for s in re.split(r"(?<=[.!?])[\"')]*\s+", text.strip()) if s.strip()]


def asks(learner: str) -> bool:
    """Whether a learner turn contains a question (a '?' or a clause that opens like one)."""
    clauses = re.split(r"[,.!?]\s*", learner.strip())
    return "?" in learner or any(_QUESTION_START.match(c) for c in clauses if c)


def answered_first(reply: str) -> bool:
    """The reply opens with a statement, not a question back or a 'good question' filler."""
    first = sentences(reply)[0] if sentences(reply) else ""
    return bool(first) and not first.rstrip().endswith("?") and not _DEFLECT.match(first)


def load_scripts(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def load_judged(path: Path = JUDGED) -> dict[tuple[str, str, str], dict]:
    if not path.is_file():
        return {}
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {(r["topic"], r["learner"], r["reply"]): r for r in rows}


def play(model, script: dict, level: str) -> tuple[str, list[dict]]:
    """One role-play: the opener, then each learner turn and the partner's reply."""
    partner = Partner(model, load_topic(script["topic"]), level, seed=1)
    opener = partner.open()
    partner.prefill()
    rows = []
    for i, learner in enumerate(script["turns"]):
        stats = ReplyStats()
        t = time.perf_counter()
        reply = " ".join(partner.reply(learner, stats))
        rows.append(
            {
                "topic": script["topic"],
                "turn": i + 1,
                "learner": learner,
                "reply": reply,
                "fallback": stats.fallback,
                "retries": stats.retries,
                "first_sentence_s": stats.first_sentence_s,
                "s": time.perf_counter() - t,
                "goodbye": i == len(script["turns"]) - 1,
            }
        )
        partner.prefill()
    return opener, rows


REPEATS = ("repeats an earlier sentence", "same question pattern")
"""The guard's reasons for dropping a sentence said before (``tutor/guard.py``)."""


def free_chat(model, level: str) -> None:
    """``--free``: one travel conversation of statements; bare reactions and dropped repeats."""
    from turn_latency import LINES, SPOKEN

    partner = Partner(model, load_topic("travel"), level, seed=1)
    print(f"- partner: {partner.open()}")
    partner.prefill()
    bare = asked = dropped = 0
    for line in LINES + SPOKEN:
        stats = ReplyStats()
        reply = " ".join(partner.reply(line, stats))
        partner.prefill()
        is_bare = len(re.findall(r"[A-Za-z0-9']+", reply)) <= 4 and "?" not in reply
        bare += is_bare
        asked += "?" in reply
        drops = [p for p in stats.problems if p in REPEATS]
        dropped += len(drops)
        mark = (" [bare]" if is_bare else "") + "".join(f" [dropped: {p}]" for p in drops)
        print(f"- learner: {line}\n- partner: {reply}{mark}")
    n = len(LINES + SPOKEN)
    print(
        f"\nmodel: {model.name}; free chat, travel, level {level}; {n} replies: bare "
        f"reactions {bare}/{n}, asking something {asked}/{n}; sentences dropped as "
        f"repeats: {dropped}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--llm", default="qwen")
    ap.add_argument("--level", default="B1", choices=["A2", "B1", "B2"])
    ap.add_argument("--dev", action="store_true", help="play the tuning scripts instead")
    ap.add_argument("--topics", nargs="*", help="only these topics")
    ap.add_argument("--dump-unjudged", type=Path, help="write replies not yet judged here")
    ap.add_argument("--adapter", help="auto (the shipped one), none, or a GGUF path")
    ap.add_argument("--free", action="store_true", help="free chat: bare reactions, repeats")
    args = ap.parse_args()
    scripts = load_scripts(DATA / ("roleplay_dev.jsonl" if args.dev else "roleplay_heldout.jsonl"))
    if args.topics:
        scripts = [s for s in scripts if s["topic"] in args.topics]
    settings = load_settings()
    if args.adapter:
        settings.llm.adapter = "" if args.adapter == "none" else args.adapter
    model = registry.create("llm", args.llm, settings)
    adapter = getattr(model, "adapter", None)
    if args.free:
        free_chat(model, args.level)
        return
    judged = load_judged()
    rows, transcripts = [], []
    for script in scripts:
        opener, played = play(model, script, args.level)
        transcripts += [f"**{script['topic']}**", "", f"- partner: {opener}"]
        for r in played:
            verdict = judged.get((r["topic"], r["learner"], r["reply"]))
            r["good"] = None if verdict is None else bool(verdict["good"]) and not r["fallback"]
            r["why"] = verdict.get("why", "") if verdict else ""
            mark = (
                " [unjudged]"
                if r["good"] is None
                else " [good]"
                if r["good"]
                else f" [BAD: {r['why'] or 'canned fallback'}]"
            )
            mark += " [canned fallback]" if r["fallback"] else ""
            transcripts += [f"- learner: {r['learner']}", f"- partner: {r['reply']}{mark}"]
        transcripts.append("")
        rows += played
    n = len(rows)
    seen = [r for r in rows if r["good"] is not None]
    good = sum(bool(r["good"]) for r in seen)
    normal = [r for r in rows if not r["goodbye"]]
    questions = [r for r in rows if asks(r["learner"]) and not r["goodbye"]]
    byes = [r for r in rows if r["goodbye"]]
    counts = [len(sentences(r["reply"])) for r in rows]
    print(
        f"model: {model.name}; adapter: {adapter or 'none'}; level {args.level}; "
        f"{len(scripts)} role-plays, {n} replies; "
        f"judged good (plain model, canned fallbacks count as bad): {good}/{n} "
        f"({100 * good / n:.0f}%); unjudged: {n - len(seen)}"
    )
    print()
    print("| machine-made rate | value |")
    print("| --- | --- |")
    print(
        f"| canned fallback questions, normal turns | {sum(r['fallback'] for r in normal)}/{len(normal)} |"
    )
    print(
        f"| replies retried (first sentence refused) | {sum(r['retries'] > 0 for r in rows)}/{n} |"
    )
    first = sum(answered_first(r["reply"]) for r in questions)
    print(f"| learner questions answered first | {first}/{len(questions)} |")
    after = sum("?" in r["reply"] for r in byes)
    print(f"| questions after the learner's goodbye | {after}/{len(byes)} |")
    print(f"| sentences per reply, median (max) | {median(counts):.0f} ({max(counts)}) |")
    print(f"| replies over three sentences | {sum(c > 3 for c in counts)}/{n} |")
    took = [r["first_sentence_s"] for r in rows if r["first_sentence_s"]]
    print(f"| first sentence, median s (max) | {median(took):.2f} ({max(took):.2f}) |")
    bad = [r for r in seen if not r["good"]]
    if bad:
        print("\nBad replies:\n")
        for r in bad:
            print(
                f'- {r["topic"]} {r["turn"]}: "{r["learner"]}" -> "{r["reply"]}": '
                f"{r['why'] or 'canned fallback'}"
            )
    print()
    print("\n".join(re.sub(r"\s+$", "", line) for line in transcripts))
    if args.dump_unjudged:
        todo = [r for r in rows if r["good"] is None]
        with args.dump_unjudged.open("w") as f:
            for r in todo:
                keep = {k: r[k] for k in ("topic", "turn", "learner", "reply")}
                f.write(json.dumps({**keep, "good": None, "why": ""}) + "\n")
        print(f"\n{len(todo)} unjudged replies written to {args.dump_unjudged}")


if __name__ == "__main__":
    main()
