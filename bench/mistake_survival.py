"""Does the learner's mistake survive speech recognition?

Each learner sentence (one known mistake, or none) is spoken by espeak-ng in two voices and
transcribed by each Whisper model with each decoding setting. Reported per model, setting
and voice: word error rate against what was said, how many mistakes survive word for word
(every word of the mistake aligned as a hit), how many the recogniser "fixed" itself (the
expected correction heard instead), how many correct sentences came back unchanged, and
the median recognition time per clip on this machine.

    python bench/mistake_survival.py [--set dev|heldout] [--models whisper-base,whisper-tiny]

The ``prompt`` setting (im4talkin's default, ``asr.initial_prompt``) primes Whisper with
learner English; none of its sentences or mistakes is in either set.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
import time
from pathlib import Path

import jiwer
from _common import dev_set, heldout_set, median

from im4talkin import registry
from im4talkin.asr.whisper import VERBATIM
from im4talkin.audio.io import load_audio, speech_span
from im4talkin.config import LEARNER_PROMPT, load_settings

VOICES = ("en-us", "en-gb-scotland")
SETTINGS = {
    # faster-whisper's own defaults: temperature fallback, conditioning on earlier text
    "library defaults": dict(beam_size=5, vad_filter=False),
    # verbatim-leaning decoding (asr/whisper.py), without and with the learner prompt
    "verbatim beam 5": dict(VERBATIM, beam_size=5),
    "verbatim beam 1": dict(VERBATIM, beam_size=1),
    # what im4talkin runs with whisper-base: asr.initial_prompt = "auto"
    "verbatim beam 5 + prompt": dict(VERBATIM, beam_size=5, initial_prompt=LEARNER_PROMPT),
}


def words(text: str) -> list[str]:
    """Lower case, punctuation dropped (apostrophes inside words kept)."""
    return [
        w.strip("'")
        for w in re.findall(r"[a-z0-9']+", text.lower().replace("\u2019", "'"))
        if w.strip("'")
    ]


def span(text: str, phrase: str) -> range:
    """Word indices of ``phrase``'s first whole-word occurrence in ``text``."""
    match = re.search(rf"(?<![a-z']){re.escape(phrase)}(?![a-z'])", text)
    start = match.start() if match else text.find(phrase)
    first = len(words(text[:start]))
    return range(first, first + len(words(phrase)))


def kept(said: list[str], heard: list[str], where: range) -> bool:
    """Every word of the mistake aligned to the same word in the transcript."""
    hits = set()
    for chunk in jiwer.process_words(" ".join(said), " ".join(heard) or "-").alignments[0]:
        if chunk.type == "equal":
            hits.update(range(chunk.ref_start_idx, chunk.ref_end_idx))
    return all(i in hits for i in where)


def speak(text: str, voice: str, folder: Path, n: int) -> Path:
    path = folder / f"{voice}-{n}.wav"
    if not path.exists():
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True)
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", choices=["dev", "heldout"], default="dev")
    ap.add_argument("--models", default="whisper-base,whisper-tiny")
    ap.add_argument("--settings", default=",".join(SETTINGS))
    args = ap.parse_args()
    items = dev_set() if args.set == "dev" else heldout_set()
    settings = load_settings()
    folder = Path(tempfile.mkdtemp(prefix="im4talkin-speech-"))
    clips = {
        (voice, n): speech_span(load_audio(speak(item["text"], voice, folder, n))).samples
        for voice in VOICES
        for n, item in enumerate(items)
    }
    mistakes = sum(1 for it in items if it["error"])
    print(
        f"{args.set} set: {len(items)} sentences, {mistakes} with a mistake, "
        f"{len(items) - mistakes} correct; voices {', '.join(VOICES)} (espeak-ng)\n"
    )
    print(
        "| model | setting | voice | WER | mistakes kept | fixed by ASR | correct unchanged | ms/clip |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for model_name in args.models.split(","):
        asr = registry.create("asr", model_name, settings)
        asr.warm_up()
        for setting in args.settings.split(","):
            options = SETTINGS[setting]
            for voice in VOICES:
                refs, hyps, times = [], [], []
                n_kept = n_fixed = n_same = 0
                losses = []
                for n, item in enumerate(items):
                    start = time.perf_counter()
                    segments, _ = asr.model.transcribe(clips[(voice, n)], language="en", **options)
                    heard = " ".join(s.text.strip() for s in segments)
                    times.append(time.perf_counter() - start)
                    said, got = words(item["text"]), words(heard)
                    refs.append(" ".join(said))
                    hyps.append(" ".join(got) or "-")
                    if item["error"]:
                        if kept(said, got, span(item["text"], item["error"])):
                            n_kept += 1
                        else:
                            fixed = item["text"].replace(item["error"], item["fix"], 1)
                            if words(fixed) == got:
                                n_fixed += 1
                            losses.append(f"{item['error']!r} -> {heard.strip()!r}")
                    elif said == got:
                        n_same += 1
                wer = jiwer.wer(refs, hyps)
                print(
                    f"| {asr.name} | {setting} | {voice} | {100 * wer:.1f}% | {n_kept}/{mistakes} "
                    f"| {n_fixed} | {n_same}/{len(items) - mistakes} | {1000 * median(times):.0f} |",
                    flush=True,
                )
                if args.set == "dev" and setting == "verbatim beam 5" and losses:
                    for line in losses:
                        print(f"<!-- lost ({asr.name}, {voice}): {line} -->")


if __name__ == "__main__":
    main()
