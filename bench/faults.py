"""Faults a learner's machine has: kill -9, a full disk, a read-only data dir, two processes
at once, and learner names that are not folder names. Is anything lost or mixed up?

Every command runs as a learner runs it (``python -m im4talkin ...`` in its own process, the
default models, scripted turns and recordings made by espeak-ng), each scenario in its own
data dir. After each run the data dir is checked from the outside, not with the code that
wrote it:

- lost: rows a command printed as saved (``--json``: one line per turn, reading or answer,
  written after its commit) that are not in the database, plus rows whose recording is
  missing or does not decode; a killed command may also have saved the row in progress
  (counted apart, at most one per run);
- mixed: files in one learner's folder that a row of another learner points at, or a row
  that points outside its learner's folder;
- tracebacks: "Traceback" in any output;
- integrity: ``PRAGMA integrity_check`` (and every fine-tune checkpoint and progress file
  loads).

    python bench/faults.py [--kills 50] [--seed 7] [--keep DIR]

As root, the read-only scenario runs the command under ``setpriv`` without the capabilities
that let root ignore file modes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import _common  # noqa: F401  (puts the checkout on sys.path)

from im4talkin.tutor.topics import load_topic

PY = [sys.executable, "-m", "im4talkin"]
TALK = ["talk", "--llm", "smollm2", "--no-speak", "--no-llm-feedback", "--json"]
LEARNER_LINES = [
    "yesterday i go to the market with my sister",
    "she have two brothers and one sister",
    "i am living here since three years",
    "we was very happy to see the sea",
    "my friend don't like coffee very much",
    "i want to buy a new phone but it is expensive",
]
LIMIT = 40_000
"""Bytes any one file may grow to in the disk-full runs: less than one recording, and a
few dozen database pages."""
NAMES = ["Анна", "李明", "bob smith", "bob_smith", "🙂 Sam", "../evil", "Иван"]


class Bench:
    def __init__(self, base: Path, seed: int) -> None:
        self.base = base
        self.rng = random.Random(seed)
        self.models = base / "models"
        self.models.mkdir(parents=True, exist_ok=True)
        self.audio = base / "audio"
        self.audio.mkdir(exist_ok=True)
        self.rows: list[dict] = []
        self.reading = list(load_topic("travel").reading)
        warm = base / "warm"  # the models are assembled once, before any limit applies
        if not warm.exists():
            code, _, err = self.run(warm, TALK + ["--input-audio", str(self.speak("Hello there."))])
            assert code == 0, err
            code, _, err = self.run(warm, ["enroll", "--json", "--count", "1", "--input-audio",
                                           str(self.speak(self.reading[0]))])  # fmt: skip
            assert code == 0, err

    # --- running commands ------------------------------------------------------------

    def env(self, home: Path, **extra: str) -> dict:
        return os.environ | {"IM4TALKIN_HOME": str(home), "IM4TALKIN_MODELS_DIR": str(self.models),
                             "COLUMNS": "120"} | extra  # fmt: skip

    def run(self, home: Path, args: list[str], kill_after: float | None = None, stdin: str = "",
            **popen) -> tuple[int, str, str]:  # fmt: skip
        """Run a command; with ``kill_after``, SIGKILL it then (if it still runs)."""
        proc = subprocess.Popen(
            PY + args, env=popen.pop("env", None) or self.env(home), text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen,
        )  # fmt: skip
        if kill_after is None:
            out, err = proc.communicate(stdin, timeout=1800)
            return proc.returncode, out, err
        if stdin:
            proc.stdin.write(stdin)
            proc.stdin.flush()
        try:
            out, err = proc.communicate(timeout=kill_after)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            out, err = proc.communicate()
        return proc.returncode, out, err

    def speak(self, text: str, voice: str = "en-us") -> Path:
        path = self.audio / f"{voice}-{hashlib.sha1(text.encode()).hexdigest()[:12]}.wav"
        if not path.exists():
            subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True)
        return path

    # --- checking a data dir from the outside ----------------------------------------

    @staticmethod
    def db(home: Path) -> sqlite3.Connection:
        # read-write: a log left by a killed process is recovered, as the next start does
        conn = sqlite3.connect(home / "im4talkin.db")
        conn.row_factory = sqlite3.Row
        return conn

    def counts(self, home: Path) -> Counter:
        if not (home / "im4talkin.db").exists():
            return Counter()
        conn = self.db(home)
        try:
            return Counter({t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                            for t in ("turns", "readings", "reviews", "finetunes")})  # fmt: skip
        except sqlite3.OperationalError as err:  # killed before the schema existed
            if "no such table" not in str(err):
                raise
            return Counter()
        finally:
            conn.close()

    def check(self, home: Path) -> dict:
        """Integrity, broken files and mixed-up files of a data dir."""
        import soundfile as sf

        out = {"integrity": "ok", "broken": 0, "mixed": 0, "litter": 0}
        if not (home / "im4talkin.db").exists():
            return out
        conn = self.db(home)
        out["integrity"] = conn.execute("PRAGMA integrity_check").fetchone()[0]
        try:
            learners = {r["id"]: r["key"] for r in conn.execute("SELECT id, key FROM learners")}
            files = [(r["learner_id"], r["audio"]) for r in conn.execute(
                "SELECT learner_id, audio FROM readings WHERE audio IS NOT NULL")]  # fmt: skip
            files += [(r["learner_id"], r["recording"]) for r in conn.execute(
                "SELECT s.learner_id, t.recording FROM turns t JOIN sessions s"
                " ON s.id = t.session_id WHERE t.recording IS NOT NULL")]  # fmt: skip
            runs = [(r["learner_id"], json.loads(r["details"]).get("path"), r["activated"])
                    for r in conn.execute("SELECT * FROM finetunes")]  # fmt: skip
        except sqlite3.OperationalError:
            return out
        finally:
            conn.close()
        owner: dict[str, int] = {}
        for learner, path in files:
            try:
                sf.info(path)
            except Exception:
                out["broken"] += 1
            folder = home / "learners" / learners[learner]
            if not Path(path).resolve().is_relative_to(folder.resolve()):
                out["mixed"] += 1
            if owner.setdefault(path, learner) != learner:
                out["mixed"] += 1
        for learner, path, active in runs:
            if active and not (path and (Path(path) / "model.bin").is_file()):
                out["broken"] += 1
            folder = home / "learners" / learners[learner]
            if path and not Path(path).resolve().is_relative_to(folder.resolve()):
                out["mixed"] += 1
        for work in home.glob("learners/*/asr/work"):
            for path in work.iterdir():
                out["broken"] += not _loads(path)
        out["litter"] = sum(1 for _ in home.rglob("*.partial"))
        outside = [p for p in self.base.iterdir() if p.name in ("evil", "learners")]
        out["mixed"] += len(outside)  # a name like ../evil wrote outside its data dir
        return out

    def record(self, scenario: str, runs: int, kills: int, lost: int, in_progress: int,
               tracebacks: int, home: Path, note: str = "") -> None:  # fmt: skip
        state = self.check(home)
        row = {"scenario": scenario, "runs": runs, "kills": kills, "lost": lost + state["broken"],
               "in progress": in_progress, "mixed": state["mixed"], "tracebacks": tracebacks,
               "integrity": state["integrity"], "temp files left": state["litter"], "note": note}  # fmt: skip
        self.rows.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)

    # --- scenarios --------------------------------------------------------------------

    def kills(self, name: str, home: Path, n: int, make_args, table: str, window: tuple[float, float],
              stdin: str = "") -> None:  # fmt: skip
        """Runs of a command, each killed at a random moment in ``window`` seconds (if it
        still runs then), until ``n`` were killed (at most ``3 n`` runs). A run that ends
        before its kill narrows the window to 90% of its time, so a faster machine still
        gets its kills."""
        lost = in_progress = tracebacks = killed = runs = 0
        low, high = window
        while killed < n and runs < 3 * n:
            i, runs = runs, runs + 1
            before = self.counts(home)[table]
            t0 = time.perf_counter()
            code, out, err = self.run(home, make_args(i), self.rng.uniform(low, high), stdin)
            if code == -signal.SIGKILL:
                killed += 1
            else:
                high = max(0.1, min(high, 0.9 * (time.perf_counter() - t0)))
                low = min(low, high / 2)
            printed = sum(1 for line in out.splitlines() if line.startswith("{"))
            saved = self.counts(home)[table] - before
            lost += max(0, printed - saved)
            in_progress += max(0, saved - printed)
            tracebacks += "Traceback" in out + err
            code, out, err = self.run(home, ["report", "--json"])  # the next start is clean
            tracebacks += "Traceback" in out + err or code != 0
        self.record(name, runs, killed, lost, in_progress, tracebacks, home)

    def talk_kills(self, n: int) -> Path:
        home = self.base / "talk"
        clips = [self.speak(s) for s in LEARNER_LINES]

        def args(i: int) -> list[str]:
            text = LEARNER_LINES[i % 6]
            return TALK + ["--text", text, "--input-audio", str(clips[(i + 1) % 6]),
                           "--text", LEARNER_LINES[(i + 2) % 6]]  # fmt: skip

        self.kills("talk (typed and spoken turns)", home, n, args, "turns", (2, 40))
        code, out, err = self.run(home, args(0))  # one whole session after the kills
        assert code == 0, err
        return home

    def review_kills(self, home: Path, n: int) -> None:
        def args(i: int) -> list[str]:
            answers = [LEARNER_LINES[(i + k) % 6] for k in range(10)]
            return ["review", "--json", "--typed", *sum((["--text", a] for a in answers), [])]

        self.kills("review (typed answers)", home, n, args, "reviews", (0.2, 1.0))

    def enroll_kills(self, n: int) -> Path:
        home = self.base / "enroll"
        clips = [self.speak(s) for s in self.reading]
        start = {"i": 0}

        def args(i: int) -> list[str]:
            done = self.counts(home)["readings"]
            start["i"] = done
            rest = clips[done : done + 6] or clips[:6]
            return ["enroll", "--json", *sum((["--input-audio", str(c)] for c in rest), [])]

        self.kills("enroll (read sentences)", home, n, args, "readings", (2, 30))
        return home

    def finetune_kills(self, home: Path, n: int) -> None:
        clips = [self.speak(s) for s in self.reading]
        have = self.counts(home)["readings"]
        if have < 20:
            rest = clips[have:20]
            code, _, err = self.run(home, ["enroll", "--json",
                                           *sum((["--input-audio", str(c)] for c in rest), [])])  # fmt: skip
            assert code == 0, err
        args = ["finetune", "--json", "--epochs", "1", "--encoder-layers", "1"]
        self.kills("finetune (20 sentences)", home, n, lambda i: args, "finetunes", (5, 120))

    def disk_full(self) -> None:
        """A file-size limit (``ulimit -f``, :data:`LIMIT`) as a disk that fills up
        mid-enrolment and mid-talk: no recording fits, and the database's write-ahead log
        fills after a few turns. The write that does not fit fails with one line; what was
        saved stays."""
        clips = [self.speak(s) for s in self.reading[:8]]
        for what, args, table in (
            ("enroll", ["enroll", "--json", *sum((["--input-audio", str(c)] for c in clips), [])],
             "readings"),
            ("talk", TALK + sum((["--input-audio", str(c)] for c in clips[:4]), []), "turns"),
        ):  # fmt: skip
            home = self.base / f"full-{what}"
            self.run(home, ["report", "--json"])  # the database exists first
            limit = LIMIT

            def small_disk(limit=limit) -> None:
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write fails, not the process
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

            code, out, err = self.run(home, args, preexec_fn=small_disk)
            printed = sum(1 for line in out.splitlines() if line.startswith("{"))
            saved = self.counts(home)[table]
            one_line = code == 0 or len([x for x in err.splitlines() if x.strip()]) <= 3
            self.record(f"disk full during {what}", 1, 0, max(0, printed - saved),
                        max(0, saved - printed), ("Traceback" in out + err) + (not one_line), home,
                        note=f"exit {code}: {(err.strip().splitlines() or [''])[-1][:120]}")  # fmt: skip

    def read_only(self) -> None:
        """The data dir turns read-only after the first turn of a spoken talk."""
        home = self.base / "read-only"
        clips = [self.speak(s) for s in LEARNER_LINES[:3]]
        self.run(home, ["report", "--json"])
        prefix = []
        if os.geteuid() == 0:  # root writes anywhere: without these capabilities it obeys modes
            prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search",
                      "--inh-caps", "-all"]  # fmt: skip
        proc = subprocess.Popen(
            prefix + PY + TALK + sum((["--input-audio", str(c)] for c in clips), []),
            env=self.env(home), text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        first = proc.stdout.readline()
        for path in [home, *home.rglob("*")]:
            if path.is_dir():
                path.chmod(0o555)
        out, err = proc.communicate(timeout=600)
        out = first + out
        for path in [home, *home.rglob("*")]:
            if path.is_dir():
                path.chmod(0o755)
        printed = sum(1 for line in out.splitlines() if line.startswith("{"))
        saved = self.counts(home)["turns"]
        self.record("data dir read-only mid-talk", 1, 0, max(0, printed - saved),
                    max(0, saved - printed), int("Traceback" in out + err), home,
                    note=f"exit {proc.returncode}; {printed} turns, "
                    f"{err.count('without its recording')} saved without audio")  # fmt: skip

    def together(self) -> None:
        """Two processes at once: talk + report on one learner, enroll + enroll on two."""
        home = self.base / "together"
        self.run(home, ["report", "--json"])
        clips = [self.speak(s) for s in self.reading[:5]]
        other = [self.speak(s, "en-gb-scotland") for s in self.reading[:5]]

        def start(args: list[str]) -> subprocess.Popen:
            return subprocess.Popen(PY + args, env=self.env(home), text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip

        talk = start(TALK + sum((["--text", s] for s in LEARNER_LINES[:3]), []))
        reports = []
        while talk.poll() is None:
            reports.append(self.run(home, ["report", "--json"]))
        out, err = talk.communicate()
        tracebacks = ("Traceback" in out + err) + sum("Traceback" in o + e for _, o, e in reports)
        failed = (talk.returncode != 0) + sum(code != 0 for code, _, _ in reports)
        turns = self.counts(home)["turns"]
        self.record("talk + report at once", 1 + len(reports), 0, max(0, 3 - turns), 0,
                    tracebacks, home, note=f"{len(reports)} reports during the talk, "
                    f"{failed} failed")  # fmt: skip
        a = start(["enroll", "--learner", "Анна", "--json",
                   *sum((["--input-audio", str(c)] for c in clips), [])])  # fmt: skip
        b = start(["enroll", "--learner", "Иван", "--json",
                   *sum((["--input-audio", str(c)] for c in other), [])])  # fmt: skip
        (oa, ea), (ob, eb) = a.communicate(), b.communicate()
        printed = sum(line.startswith("{") for line in (oa + ob).splitlines())
        self.record("enroll + enroll, two learners", 2, 0,
                    max(0, printed - self.counts(home)["readings"]), 0,
                    int("Traceback" in oa + ea + ob + eb), home,
                    note=f"exits {a.returncode}, {b.returncode}")  # fmt: skip

    def names(self) -> None:
        """Learners named in Cyrillic, Chinese, with spaces, an emoji and ``../``."""
        home = self.base / "names"
        clip = self.speak(self.reading[0])
        tracebacks = failed = 0
        for name in NAMES:
            for args in (["enroll", "--learner", name, "--json", "--input-audio", str(clip)],
                         ["report", "--learner", name, "--json"]):  # fmt: skip
                code, out, err = self.run(home, args)
                tracebacks += "Traceback" in out + err
                failed += code != 0
        conn = self.db(home)
        per = [conn.execute("SELECT COUNT(*) FROM readings r JOIN learners l ON l.id = r.learner_id"
                            " WHERE l.name = ?", (n,)).fetchone()[0] for n in NAMES]  # fmt: skip
        conn.close()
        folders = len(list((home / "learners").iterdir()))
        self.record("learner names: " + ", ".join(NAMES), len(NAMES) * 2, 0,
                    sum(1 for c in per if c != 1), 0, tracebacks, home,
                    note=f"{folders} learner folders for {len(NAMES)} learners, {failed} failed")  # fmt: skip


def _loads(path: Path) -> bool:
    try:
        if path.suffix == ".json":
            json.loads(path.read_text())
        elif path.suffix == ".pt":
            import torch

            torch.load(path, weights_only=True)
        return True
    except Exception:
        return path.name.endswith(".partial")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=50, help="kill -9s in all (talk, enroll, "
                    "review, finetune: 30%%, 30%%, 20%%, 20%%)")  # fmt: skip
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", type=Path, help="keep the data dirs here")
    ap.add_argument("--only", default="", help="scenarios to run: kills,full,readonly,"
                    "together,names (default all)")  # fmt: skip
    args = ap.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="im4talkin-faults-"))
    base.mkdir(parents=True, exist_ok=True)
    bench = Bench(base, args.seed)
    only = set(args.only.split(",")) if args.only else {"kills", "full", "readonly", "together",
                                                        "names"}  # fmt: skip
    t0 = time.perf_counter()
    if "kills" in only:
        n = args.kills
        talk = bench.talk_kills(round(n * 0.3))
        bench.review_kills(talk, round(n * 0.2))
        enroll = bench.enroll_kills(round(n * 0.3))
        bench.finetune_kills(enroll, n - 2 * round(n * 0.3) - round(n * 0.2))
    if "full" in only:
        bench.disk_full()
    if "readonly" in only:
        bench.read_only()
    if "together" in only:
        bench.together()
    if "names" in only:
        bench.names()
    print(f"\n{len(bench.rows)} scenarios in {(time.perf_counter() - t0) / 60:.1f} min "
          f"(data dirs in {base})\n")  # fmt: skip
    keys = ["scenario", "runs", "kills", "lost", "in progress", "mixed", "tracebacks", "integrity",
            "temp files left", "note"]  # fmt: skip
    print("| " + " | ".join(keys) + " |")
    print("|" + " --- |" * len(keys))
    for row in bench.rows:
        print("| " + " | ".join(str(row[k]) for k in keys) + " |")
    bad = [r for r in bench.rows if r["lost"] or r["mixed"] or r["tracebacks"]
           or r["integrity"] != "ok" or r["in progress"] > r["runs"]]  # fmt: skip
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
