"""How fast ``im4talkin report`` is on a long history: 10,000 turns of one learner.

Seeds a temporary data dir through the real store (sessions over 200 days, mistakes in
about 40% of turns, a third spoken, an enrolment, a fine-tune, review cards for every
corrected sentence, plus a second learner), then times the report in process (history
load + figures, and the Rich rendering) and as a subprocess (``report --json``, Python
start-up included). Usage: ``python bench/report_speed.py [--turns 10000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _common import ROOT, median

from im4talkin.messages import Correction, Feedback, TurnResult

MISTAKES = [
    ("go", "went", "tense", "yesterday i go to the {0}"),
    ("have", "has", "agreement", "she have a friend at the {0}"),
    ("on", "in", "preposition", "i am interested on the {0}"),
    ("a", "an", "article", "it was a old {0}"),
    ("more better", "better", "comparison", "this {0} is more better"),
    ("say", "tell", "word choice", "can you say me about the {0}"),
]
PLACES = "beach museum market station park hotel airport castle cafe river".split()
CLEAN = [
    "i booked a {0} for two nights",
    "we walked to the {0} after lunch",
    "my passport was in my bag near the {0}",
    "the flight was late so we visited the {0}",
]


def _turn(rng: random.Random, n: int, topic: str) -> TurnResult:
    place = f"{rng.choice(PLACES)} {rng.randrange(1000)}"
    if rng.random() < 0.4:
        original, corrected, kind, template = rng.choice(MISTAKES)
        text = template.format(place)
        start = text.find(f" {original} ") + 1
        fix = Correction(original, corrected, "why", kind, "rules", start, start + len(original))
        feedback = Feedback((fix,), "Good!")
    else:
        text, feedback = rng.choice(CLEAN).format(place), Feedback((), "Good!")
    return TurnResult(n, topic, "text", text, feedback, "And then?")


def seed(home: Path, turns: int) -> None:
    """``turns`` turns for ana and a fifth of that for bob, through the store."""
    os.environ["IM4TALKIN_HOME"] = str(home)
    from im4talkin.progress.history import load_history
    from im4talkin.progress.review import Drill
    from im4talkin.store.db import SessionInfo, Store

    rng = random.Random(11)
    store = Store()
    start = datetime.now(UTC) - timedelta(days=200)
    store.conn.execute("BEGIN")
    for learner, count in (("ana", turns), ("bob", turns // 5)):
        done = 0
        while done < count:
            at = start + timedelta(days=rng.randrange(200), hours=rng.randrange(8, 20))
            topic = rng.choice(["travel", "restaurant", "shopping"])
            sid = store.start_session(learner, SessionInfo(topic, "B1", "bench", "qwen"), "Hi", at)
            for n in range(1, min(20, count - done) + 1):
                seconds = rng.uniform(2, 8) if rng.random() < 0.33 else 0.0
                when = at + timedelta(minutes=n)
                store.save_turn(sid, _turn(rng, n, topic), seconds=seconds, at=when)
                done += 1
            store.end_session(sid, at + timedelta(minutes=21))
        for i in range(30):
            at = start + timedelta(days=i // 10)
            store.add_reading(
                learner, "travel", i, "ref", "ref", 0.1, rng.uniform(50, 95), 4, at=at
            )
        store.add_finetune(learner, "bench", "whisper-base", 0.2, 0.12, True, at=start)
    store.conn.execute("COMMIT")
    Drill(store, "ana").sync(load_history(store, "ana"))  # one transaction of its own
    store.close()


def in_process() -> tuple[float, float]:
    """Seconds for the figures (history load included) and for the Rich rendering."""
    from rich.console import Console

    from im4talkin.progress.history import load_history
    from im4talkin.report.aggregate import build_report
    from im4talkin.report.terminal import render
    from im4talkin.store.db import Store

    t0 = time.perf_counter()
    store = Store()
    data = build_report(load_history(store, "ana"))
    json.dumps(data)
    store.close()
    t1 = time.perf_counter()
    render(Console(file=io.StringIO(), width=100), data)
    return t1 - t0, time.perf_counter() - t1


def subprocess_run(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "im4talkin", "report", "--learner", "ana", *args],
        check=True,
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "100"},
    )
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        seed(Path(tmp), args.turns)
        print(f"seeded {args.turns} turns in {time.perf_counter() - t0:.1f} s")
        runs = [in_process() for _ in range(args.repeat)]
        figures, rich = median([r[0] for r in runs]), median([r[1] for r in runs])
        json_s = median([subprocess_run(["--json"]) for _ in range(args.repeat)])
        html = Path(tmp) / "r.html"
        html_s = median([subprocess_run(["--html", str(html)]) for _ in range(args.repeat)])
    print(f"in process: figures {figures:.2f} s, Rich rendering {rich:.2f} s")
    print(f"subprocess: report --json {json_s:.2f} s, report --html (and Rich) {html_s:.2f} s")


if __name__ == "__main__":
    main()
