"""Does fine-tuning on a learner's voice help from small enrolments, and never hurt?

A simulated learner with a voice Whisper base finds hard (espeak-ng ``en-gb-scotland``)
enrols 20, 40, 80 and 178 of the topics' reading sentences through ``im4talkin enroll
--passages --input-audio``, each size in a fresh data dir, then runs ``im4talkin finetune``.
The 48 reading sentences of the fixed held-out fifth (``finetune.runs.held_out``) are never
enrolled and never used to choose settings (bench/finetune_dev.py chose them on others).
Reported per size, for the recogniser the learner ends up with (the adapted one if
``finetune`` activated it, else the shipped one) against the shipped one:

- what ``finetune`` measured and decided (its own held-out sentences or cross-validation);
- WER on the 48 test sentences in the learner's voice and in a second voice never trained
  on (espeak-ng ``en-us``);
- mistakes kept (``bench/mistake_survival.py``'s measure) on the dev and held-out learner
  sentences, both voices;
- phantom mistakes: the test sentences (correct English) whose transcript gets a correction
  from the tutor's rules and Harper that the sentence itself does not; and transcripts with
  a content word of the recogniser's prompt ("apple", "cat"...) that was not said;
- time on the 2 cores.

Then the four real Mandarin-L1 speakers of ../shared/data/speechocean762/speakers each enrol
their 20 sentences and run ``finetune`` (cross-validation: every sentence held out once).

    python bench/finetune_gain.py [--sizes 20,40,80,178] [--speakers all|none] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, dev_set, heldout_set
from mistake_survival import kept, span, speak, words

from im4talkin.asr.whisper import WhisperASR
from im4talkin.audio.io import load_audio, speech_span
from im4talkin.bundled import whisper_base_dir
from im4talkin.config import LEARNER_PROMPT
from im4talkin.finetune.runs import corpus_wer, held_out
from im4talkin.tutor.topics import available, load_topic

LEARNER, OTHER = "en-gb-scotland", "en-us"
SPEAKERS = ROOT.parent / "shared" / "data" / "speechocean762" / "speakers"
PROMPT_WORDS = ("yesterday", "market", "apple", "brother", "coffee", "drink", "tea", "cat",
                "tired")  # fmt: skip
"""The content words of :data:`LEARNER_PROMPT`."""


def cli(cmd: list[str], home: Path) -> str:
    env = os.environ | {"IM4TALKIN_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-m", "im4talkin", *cmd], env=env, capture_output=True, text=True
    )
    if done.returncode:
        sys.exit(f"{' '.join(cmd[:2])} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def enrol_and_finetune(home: Path, sentences: list[str], wavs: list[Path]) -> tuple[dict, dict]:
    home.mkdir(parents=True, exist_ok=True)
    text = home / "sentences.txt"
    text.write_text("\n".join(sentences) + "\n")
    t0 = time.perf_counter()
    cli(["enroll", "--passages", str(text), "--json",
         *sum((["--input-audio", str(w)] for w in wavs), [])], home)  # fmt: skip
    times = {"enrol": time.perf_counter() - t0}
    t0 = time.perf_counter()
    summary = json.loads(cli(["finetune", "--json"], home))
    times["finetune"] = time.perf_counter() - t0
    return summary, times


def prompt_words(reference: str, heard: str) -> bool:
    """A content word of the prompt, on word boundaries, heard but not in the sentence."""
    return any(
        re.search(rf"\b{w}\b", heard.lower()) and not re.search(rf"\b{w}\b", reference.lower())
        for w in PROMPT_WORDS
    )


class Phantoms:
    """Corrections the tutor would make to a transcript of a sentence that had no mistake."""

    def __init__(self) -> None:
        from im4talkin.feedback.harper import HarperChecker
        from im4talkin.feedback.rules import LearnerRules, load_nlp

        self.checkers = [HarperChecker(), LearnerRules(load_nlp())]
        self.cache: dict[str, set] = {}

    def flags(self, text: str) -> set:
        if text not in self.cache:
            self.cache[text] = {
                (c.original.lower(), c.corrected.lower())
                for checker in self.checkers
                for c in checker.check(text)
            }
        return self.cache[text]

    def __call__(self, reference: str, heard: str) -> bool:
        return bool(self.flags(heard) - self.flags(reference))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="20,40,80,178")
    ap.add_argument("--speakers", default="all", help="all, none, or ids: 0036,0135")
    ap.add_argument("--keep", type=Path, help="keep the data dirs and audio here")
    args = ap.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="im4talkin-ft-"))
    audio = base / "speech"
    audio.mkdir(parents=True, exist_ok=True)

    reading = [(t, i, s) for t in available() for i, s in enumerate(load_topic(t).reading)]
    test = [s for t, i, s in reading if held_out(t, i)]
    pool = sorted(
        (s for t, i, s in reading if not held_out(t, i)),
        key=lambda s: hashlib.sha1(f"enrol{s}".encode()).digest(),
    )
    items = dev_set() + heldout_set()
    clip = {}
    for voice in (LEARNER, OTHER):
        for n, s in enumerate(test):
            clip[(voice, "t", n)] = speak(s, voice, audio, f"t{n}")
        for n, item in enumerate(items):
            clip[(voice, "m", n)] = speak(item["text"], voice, audio, f"m{n}")
    wav_pool = [speak(s, LEARNER, audio, f"p{n}") for n, s in enumerate(pool)]
    samples = {k: speech_span(load_audio(p)).samples for k, p in clip.items()}
    phantom = Phantoms()
    mistakes = [n for n, item in enumerate(items) if item["error"]]

    def measure(folder: Path) -> dict:
        asr = WhisperASR(folder, "whisper-base", 2, 5, LEARNER_PROMPT)
        heard = {k: asr.transcribe(x) for k, x in samples.items()}
        out: dict = {}
        for voice in (LEARNER, OTHER):
            hyps = [heard[(voice, "t", n)] for n in range(len(test))]
            out[f"wer {voice}"] = corpus_wer(test, hyps)
            out[f"kept {voice}"] = sum(
                kept(words(items[n]["text"]), words(heard[(voice, "m", n)]),
                     span(items[n]["text"], items[n]["error"]))
                for n in mistakes
            )  # fmt: skip
            correct = [(s, h) for s, h in zip(test, hyps, strict=True)] + [
                (items[n]["text"], heard[(voice, "m", n)])
                for n in range(len(items)) if not items[n]["error"]
            ]  # fmt: skip
            out[f"phantom {voice}"] = sum(phantom(s, h) for s, h in correct)
            out["sentences correct"] = len(correct)
            out[f"prompt {voice}"] = sum(
                prompt_words(r, heard[k])
                for k, r in [((voice, "t", n), s) for n, s in enumerate(test)]
                + [((voice, "m", n), it["text"]) for n, it in enumerate(items)]
            )
        out["transcripts"] = len(test) + len(items)
        return out

    t0 = time.perf_counter()
    shipped = measure(whisper_base_dir())
    print(f"shipped model measured in {time.perf_counter() - t0:.0f} s: {json.dumps(shipped)}",
          flush=True)  # fmt: skip
    rows = []
    for size in [int(x) for x in args.sizes.split(",") if x]:
        summary, times = enrol_and_finetune(base / f"home-{size}", pool[:size], wav_pool[:size])
        print(json.dumps(summary), flush=True)
        now = measure(Path(summary["path"])) if summary["activated"] else shipped
        rows.append((size, summary, times, now))
        print(json.dumps({"size": size, "times": times, "in use": now}), flush=True)

    speakers = []
    if args.speakers != "none":
        ids = sorted(p.name for p in SPEAKERS.iterdir()) if args.speakers == "all" else (
            args.speakers.split(","))  # fmt: skip
        for spk in ids:
            with open(SPEAKERS / spk / "text.tsv", newline="") as f:
                lines = [r for r in csv.reader(f, delimiter="\t") if r and r[0] != "utterance"]
            texts = [r[-1].strip().capitalize() for r in lines]
            wavs = [SPEAKERS / spk / f"{r[0]}.wav" for r in lines]
            summary, times = enrol_and_finetune(base / f"spk-{spk}", texts, wavs)
            print(json.dumps(summary), flush=True)
            speakers.append((spk, lines[0][1], summary, times))

    report(rows, shipped, speakers, len(test), len(mistakes))


def pct(x: float) -> str:
    return f"{x:.1%}"


def report(rows, shipped, speakers, n_test, n_mistakes) -> None:
    print(f"\n## Learner voice ({LEARNER}); {n_test} test sentences never enrolled\n")
    print("| enrolled | finetune measured on | its WER before -> after | change (90% interval) "
          "| its phantoms before -> after | activated | test WER, shipped -> in use "
          "| other voice (en-us) | minutes (enrol + finetune) |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for size, s, times, now in rows:
        how = (f"{s['sentences']} held out" if s["method"] == "split"
               else f"{s['sentences']} by {s['parts']}-fold cross-validation")  # fmt: skip
        low, high = s["interval"]
        print(f"| {size} | {how} | {pct(s['wer_before'])} -> {pct(s['wer_after'])} "
              f"| {s['change']:+.0%} ({low:+.0%} to {high:+.0%}) "
              f"| {' -> '.join(map(str, s.get('phantoms', ['?', '?'])))} "
              f"| {'yes' if s['activated'] else 'no'}"
              f" | {pct(shipped[f'wer {LEARNER}'])} -> {pct(now[f'wer {LEARNER}'])} "
              f"| {pct(shipped[f'wer {OTHER}'])} -> {pct(now[f'wer {OTHER}'])} "
              f"| {times['enrol'] / 60:.1f} + {times['finetune'] / 60:.1f} |")  # fmt: skip
    print(f"\nMistakes kept ({n_mistakes} learner sentences with a mistake) and phantoms "
          f"(of {shipped['sentences correct']} correct sentences per voice, transcripts with a "
          f"correction the sentence does not get; of {shipped['transcripts']} transcripts per "
          "voice, a prompt word not said), shipped and then in use:\n")  # fmt: skip
    print(
        "| enrolled | kept (learner voice) | kept (en-us) | phantom mistakes (learner) "
        "| phantom mistakes (en-us) | prompt words (learner) | prompt words (en-us) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    print("| shipped | " + " | ".join(str(shipped[f"{k} {v}"]) for k in ("kept",) for v in (
        LEARNER, OTHER)) + " | " + " | ".join(str(shipped[f"{k} {v}"]) for k in (
        "phantom", "prompt") for v in (LEARNER, OTHER)) + " |")  # fmt: skip
    for size, _, _, now in rows:
        cells = [now[f"{k} {v}"] for k in ("kept", "phantom", "prompt") for v in (LEARNER, OTHER)]
        print(f"| {size} | " + " | ".join(str(c) for c in cells) + " |")
    if speakers:
        print("\n## Real Mandarin-L1 speakers (speechocean762): finetune on their own sentences\n")
        print(
            "| speaker (age) | sentences | WER before -> after (cross-validated) "
            "| change (90% interval) | activated | more sentences it asks for | minutes |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for spk, age, s, times in speakers:
            low, high = s["interval"]
            print(f"| {spk} ({age}) | {s['sentences']} | {pct(s['wer_before'])} -> "
                  f"{pct(s['wer_after'])} | {s['change']:+.0%} ({low:+.0%} to {high:+.0%}) | "
                  f"{'yes' if s['activated'] else 'no'} | {s['more_sentences'] or '-'} "
                  f"| {(times['enrol'] + times['finetune']) / 60:.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()
