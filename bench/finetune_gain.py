"""Does fine-tuning on a learner's voice help, without hurting other voices or mistakes?

A simulated learner with a voice Whisper finds hard (espeak-ng ``en-gb-scotland``) enrols
the reading sentences of every topic through ``im4talkin enroll --input-audio`` (150+),
then ``im4talkin finetune`` adapts Whisper base on the CPU. Reported:

- WER on the held-out sentences (never trained on) of the learner's voice, before and after
  (as ``finetune`` measures it);
- WER on the same sentences in a second, unadapted voice (espeak-ng ``en-us``), shipped model
  against the adapted one;
- mistake survival (``bench/mistake_survival.py``'s measure) on the dev set of learner
  sentences, in both voices, shipped against adapted;
- the time each step took.

    python bench/finetune_gain.py [--epochs 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import dev_set, heldout_set
from mistake_survival import kept, span, speak, words

from im4talkin.asr.whisper import WhisperASR
from im4talkin.audio.io import load_audio, speech_span
from im4talkin.config import LEARNER_PROMPT
from im4talkin.finetune.runs import corpus_wer, split
from im4talkin.tutor.topics import available, load_topic

LEARNER, OTHER = "en-gb-scotland", "en-us"


def run(cmd: list[str], env: dict) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "im4talkin", *cmd], env=env, capture_output=True, text=True
    )
    if done.returncode:
        sys.exit(f"{' '.join(cmd[:2])} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def survival(asr: WhisperASR, items: list[dict], clips: dict, voice: str) -> tuple[int, int]:
    mistakes = [i for i in items if i["error"]]
    ok = 0
    for n, item in enumerate(items):
        if not item["error"]:
            continue
        heard = words(asr.transcribe(clips[(voice, n)]))
        ok += kept(words(item["text"]), heard, span(item["text"], item["error"]))
    return ok, len(mistakes)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--keep", type=Path, help="keep the data dir here")
    ap.add_argument(
        "--reuse", action="store_true", help="measure the run already in --keep (no training)"
    )
    args = ap.parse_args()
    home = args.keep or Path(tempfile.mkdtemp(prefix="im4talkin-ft-"))
    env = os.environ | {"IM4TALKIN_HOME": str(home)}
    audio = home / "speech"
    audio.mkdir(parents=True, exist_ok=True)
    times: dict[str, float] = {}

    if args.reuse:
        summary, total = reused(home)
    else:
        summary, total = enrol_and_finetune(args.epochs, env, audio, times)
    measure(summary, total, home, audio, times, summary.get("epochs", args.epochs))


def reused(home: Path) -> tuple[dict, int]:
    from im4talkin.store.db import Store

    os.environ["IM4TALKIN_HOME"] = str(home)
    store = Store()
    run = store.finetunes("default")[-1]
    total = len(store.readings("default"))
    store.close()
    summary = run["details"] | {"wer_before": run["wer_before"], "wer_after": run["wer_after"]}
    return summary, total


def enrol_and_finetune(epochs: int, env: dict, audio: Path, times: dict) -> tuple[dict, int]:
    t0 = time.perf_counter()
    total = 0
    for topic in available():
        sentences = load_topic(topic).reading
        files = [str(speak(s, LEARNER, audio, f"{topic}-{i}")) for i, s in enumerate(sentences)]
        run(
            ["enroll", "--topic", topic, "--json", *sum((["--input-audio", f] for f in files), [])],
            env,
        )
        total += len(files)
    times["enrol"] = time.perf_counter() - t0
    print(f"enrolled {total} sentences in {times['enrol']:.0f} s", flush=True)

    t0 = time.perf_counter()
    summary = json.loads(run(["finetune", "--json", "--epochs", str(epochs)], env))
    times["finetune"] = time.perf_counter() - t0
    print(json.dumps(summary), flush=True)
    return summary, total


def measure(summary: dict, total: int, home: Path, audio: Path, times: dict, epochs: int) -> None:
    # the same held-out sentences in a voice that was not trained on
    from im4talkin.store.db import Store

    os.environ["IM4TALKIN_HOME"] = str(home)
    store = Store()
    _, test = split(store.readings("default"))
    store.close()
    from im4talkin.bundled import whisper_base_dir

    shipped = WhisperASR(whisper_base_dir(), "whisper-base", 2, 5, LEARNER_PROMPT)
    adapted_dir = Path(summary["path"])
    if not adapted_dir.is_dir():
        sys.exit("the adapted model was not better, so it was not kept: see the summary above")
    adapted = WhisperASR(adapted_dir, "whisper-base", 2, 5, LEARNER_PROMPT)
    other = {
        r["id"]: speech_span(load_audio(speak(r["reference"], OTHER, audio, f"o{r['id']}"))).samples
        for r in test
    }
    refs = [r["reference"] for r in test]
    t0 = time.perf_counter()
    other_before = corpus_wer(refs, [shipped.transcribe(other[r["id"]]) for r in test])
    other_after = corpus_wer(refs, [adapted.transcribe(other[r["id"]]) for r in test])
    items = dev_set() + heldout_set()
    clips = {
        (voice, n): speech_span(load_audio(speak(item["text"], voice, audio, f"d{n}"))).samples
        for voice in (LEARNER, OTHER)
        for n, item in enumerate(items)
    }
    kept_rows = {
        (name, voice): survival(asr, items, clips, voice)
        for name, asr in (("shipped", shipped), ("adapted", adapted))
        for voice in (LEARNER, OTHER)
    }
    times["measure"] = time.perf_counter() - t0

    rel = 1 - summary["wer_after"] / summary["wer_before"] if summary["wer_before"] else 0.0
    rel_other = other_after / other_before - 1 if other_before else 0.0
    print(f"\n{total} sentences enrolled ({LEARNER}); {summary['train']} trained on, "
          f"{summary['test']} held out; {epochs} epochs\n")  # fmt: skip
    print("| voice | held-out WER, shipped | adapted | relative change |")
    print("| --- | --- | --- | --- |")
    print(f"| {LEARNER} (the learner) | {summary['wer_before']:.1%} | {summary['wer_after']:.1%} "
          f"| {-rel:+.0%} |")  # fmt: skip
    print(f"| {OTHER} (not adapted) | {other_before:.1%} | {other_after:.1%} | {rel_other:+.0%} |")
    print("\n| voice | mistakes kept, shipped | adapted |")
    print("| --- | --- | --- |")
    for voice in (LEARNER, OTHER):
        s, a = kept_rows[("shipped", voice)], kept_rows[("adapted", voice)]
        print(f"| {voice} | {s[0]}/{s[1]} | {a[0]}/{a[1]} |")
    print("\n| step | seconds |")
    print("| --- | --- |")
    for step, seconds in times.items():
        print(f"| {step} | {seconds:.0f} |")
    print(f"| finetune (inside: training + conversion + both WERs) | {summary['seconds']:.0f} |")


if __name__ == "__main__":
    main()
