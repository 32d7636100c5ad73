"""Feedback quality on the dev set: mistakes caught and false corrections, per source.

A mistake counts as caught when a correction overlaps the wrong words and the corrected
sentence contains the expected fix. Every correction on a correct sentence is a false alarm.

    python bench/feedback_quality.py [--llm qwen|smollm2] [--set dev|heldout]

``dev`` is ../shared/data/learner_errors_dev.jsonl; ``heldout`` is
bench/data/learner_errors_heldout.jsonl (60 mistakes, 20 correct sentences), written
apart from the rules without looking at them or at the dev set.
"""

from __future__ import annotations

import argparse
import time

from _common import dev_set, heldout_set

from im4talkin import registry
from im4talkin.config import load_settings
from im4talkin.feedback.engine import FeedbackEngine, merge
from im4talkin.feedback.rules import load_nlp


def caught(item: dict, corrections) -> bool:
    text, error, fix = item["text"], item["error"], item["fix"]
    start = text.find(error)
    end = start + len(error)
    for c in corrections:
        if c.start < end and start < c.end:
            fixed = text[: c.start] + c.corrected + text[c.end :]
            if fix in fixed:
                return True
    return False


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--llm", default="qwen")
    ap.add_argument("--set", choices=("dev", "heldout"), default="dev")
    args = ap.parse_args()
    settings = load_settings()
    harper = registry.create("checker", "harper", settings)
    rules = registry.create("checker", "rules", settings)
    llm = registry.create("llm", args.llm, settings, n_ctx=1024)
    engine = FeedbackEngine([], load_nlp(), llm)
    sources = {"harper": harper.check, "rules": rules.check, "llm": engine.from_llm}
    found: dict[str, list] = {name: [] for name in sources}
    took = {name: 0.0 for name in sources}
    items = dev_set() if args.set == "dev" else heldout_set()
    for item in items:
        for name, check in sources.items():
            t = time.perf_counter()
            found[name].append(check(item["text"]))
            took[name] += time.perf_counter() - t
    found["combined"] = [merge(h + r + m) for h, r, m in zip(*found.values(), strict=True)]
    wrong = [i for i, x in enumerate(items) if x["error"]]
    right = [i for i, x in enumerate(items) if not x["error"]]
    print(
        f"| source | caught (of {len(wrong)}) | false corrections (on {len(right)} correct) | ms/sentence |"
    )
    print("| --- | --- | --- | --- |")
    for name, per in found.items():
        hits = sum(caught(items[i], per[i]) for i in wrong)
        false = sum(len(per[i]) for i in right)
        ms = 1000 * (sum(took.values()) if name == "combined" else took[name]) / len(items)
        print(f"| {name} | {hits} ({100 * hits / len(wrong):.0f}%) | {false} | {ms:.0f} |")
    print("\nMissed by the combined stack:")
    for i in wrong:
        if not caught(items[i], found["combined"][i]):
            print(f"- {items[i]['text']!r} ({items[i]['error']} -> {items[i]['fix']})")
    print("\nCorrections on correct sentences:")
    for i in right:
        for c in found["combined"][i]:
            print(f"- {items[i]['text']!r}: {c.original} -> {c.corrected} ({c.source})")


if __name__ == "__main__":
    main()
