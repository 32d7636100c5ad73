"""Latency of typed turns on the real stack, per stage, median of several turns.

Turns run as in an interactive session: the opener is shown and the prompt prefilled while
the learner types (not timed), then Enter starts the clock. Stages: fast feedback (Harper +
rules), the reply's first token, first sentence and whole reply, and the LLM corrections
that run after the reply. Each n_threads setting runs in a fresh process.

    python bench/turn_latency.py [--llm qwen] [--threads 1 2] [--turns 6]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

from _common import median

LINES = [
    "yesterday i go to the beach with my friends",
    "we stayed in a small hotel near the sea",
    "i want to visit japan next year because i love sushi",
    "my last trip was to rome and it was wonderful",
    "once my flight was delay for five hours",
    "i would like to see the northern lights one day",
    "i prefer trains because you can see the countryside",
]


def one_setting(llm: str, threads: int, turns: int) -> dict:
    from im4talkin.config import load_settings, override
    from im4talkin.tutor.build import build_conversation
    from im4talkin.tutor.topics import load_topic

    settings = override(load_settings(), llm__name=llm, llm__n_threads=threads)
    convo = build_conversation(settings, load_topic("travel"))
    convo.open()
    convo.partner.prefill()
    rows = []
    for line in LINES[:turns]:
        result = convo.turn(line)
        rows.append(result.timings.public() | {"reply_words": len(result.reply.split())})
        convo.partner.prefill()
    return {"threads": threads, "turns": rows}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--llm", default="qwen")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--turns", type=int, default=6)
    ap.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(one_setting(args.llm, args.child, args.turns)))
        return
    print(f"model: {args.llm}; {args.turns} typed turns per setting; median ms (min-max)\n")
    cols = [
        "feedback_fast",
        "llm_first_token",
        "llm_first_sentence",
        "llm_total",
        "feedback_llm",
        "turn_total",
    ]
    print("| n_threads | " + " | ".join(cols) + " |")
    print("| --- |" + " --- |" * len(cols))
    for threads in args.threads:
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--llm",
                args.llm,
                "--turns",
                str(args.turns),
                "--child",
                str(threads),
            ],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "IM4TALKIN_LOG": "ERROR"},
        )
        data = json.loads(out.stdout.strip().splitlines()[-1])
        rows = data["turns"]
        cells = []
        for col in cols:
            vals = [float(r[col]) for r in rows]
            cells.append(f"{median(vals):.0f} ({min(vals):.0f}-{max(vals):.0f})")
        print(f"| {threads} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
