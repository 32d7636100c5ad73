"""Recognition while the learner speaks, on the held-out spoken set: is the transcript kept?

Each learner sentence (bench/data/learner_errors_heldout.jsonl, or the dev set) is spoken
by espeak-ng in two voices and fed to :class:`~im4talkin.asr.live.LiveTranscript` as a
microphone feeds it: a 50 ms block every 50 ms, in real time, drafts running meanwhile.
When the last block is in (the learner's Enter), ``finish`` gives the final transcript.
The same recording is also transcribed as a file (``talk --input-audio``, as before issue
21). Reported per voice, for both: WER and mistakes kept (every word of the mistake aligned
to the same word, as in ``bench/mistake_survival.py``), how many final transcripts are the
file's word for word, and what the drafts did: drafts per clip, words read ahead before
Enter and how many of those the final transcript bears out, and the wait at Enter for a
draft still running.

    python bench/live_asr.py [--set dev|heldout] [--voices en-us,en-gb-scotland]
    python bench/live_asr.py --pauses 0.25,0.35,0.5,1.0

``--pauses``: no live recognition; the file path only, each recording cut after its last
speech (Silero VAD's 32 ms windows) and given that many seconds of silence, as if Enter had
been pressed after that pause. Whisper's transcript depends on how much of the pause it
hears (its own VAD filter keeps up to 0.4 s), so "as from the file" has a spread of its own;
the early final pass hears about 0.25-0.3 s.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import jiwer
from _common import dev_set, heldout_set, median
from mistake_survival import VOICES, kept, span, speak, words
from turn_latency import speak_into

from im4talkin import registry
from im4talkin.asr.live import LiveTranscript
from im4talkin.audio.io import load_audio, speech_span
from im4talkin.config import load_settings


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", choices=["dev", "heldout"], default="heldout")
    ap.add_argument("--voices", default=",".join(VOICES))
    ap.add_argument("--pauses", default="", help="file path only, after these pauses (s)")
    args = ap.parse_args()
    items = dev_set() if args.set == "dev" else heldout_set()
    asr = registry.create("asr", "whisper-base", load_settings())
    asr.warm_up()
    folder = Path(tempfile.mkdtemp(prefix="im4talkin-live-"))
    if args.pauses:
        pauses(args, items, asr, folder)
        return
    mistakes = sum(1 for it in items if it["error"])
    print(
        f"{args.set} set: {len(items)} sentences, {mistakes} with a mistake; voices "
        f"{', '.join(VOICES)} (espeak-ng); Whisper base, fed in real time\n"
    )
    print(
        "| voice | path | WER | mistakes kept | same as the file | drafts/clip "
        "| read ahead (borne out) | wait at Enter, ms median (max) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    changed: list[str] = []
    for voice in args.voices.split(","):
        refs, hyps = {"file": [], "live": []}, {"file": [], "live": []}
        n_kept = {"file": 0, "live": 0}
        same = drafts = ahead = borne = 0
        waits = []
        for n, item in enumerate(items):
            clip = load_audio(speak(item["text"], voice, folder, n))
            live = LiveTranscript(asr, speech_span, read_ahead=lambda text, whole: None)
            speak_into(live, clip)
            heard = {"live": live.finish(clip)}
            heard["file"] = asr.transcribe(speech_span(clip).samples)
            same += heard["live"] == heard["file"]
            if heard["live"] != heard["file"]:
                changed.append(f"{heard['file']!r} -> {heard['live']!r} ({voice})")
            drafts += live.stats.drafts
            ahead += live.stats.ahead
            borne += live.stats.ahead_kept
            waits.append(1000 * live.stats.wait_s)
            said = words(item["text"])
            for path, text in heard.items():
                got = words(text)
                refs[path].append(" ".join(said))
                hyps[path].append(" ".join(got) or "-")
                if item["error"] and kept(said, got, span(item["text"], item["error"])):
                    n_kept[path] += 1
            time.sleep(0.2)  # the learner draws breath; nothing runs between turns
        for path in ("file", "live"):
            wer = jiwer.wer(refs[path], hyps[path])
            extra = (
                f"{same}/{len(items)} | {drafts / len(items):.1f} | {ahead} ({borne}) "
                f"| {median(waits):.0f} ({max(waits):.0f})"
                if path == "live"
                else "- | - | - | -"
            )
            print(
                f"| {voice} | {path} | {100 * wer:.1f}% | {n_kept[path]}/{mistakes} | {extra} |",
                flush=True,
            )
    for line in changed:
        print(f"<!-- file -> live: {line} -->")


def pauses(args, items: list[dict], asr, folder: Path) -> None:
    """The file path's WER and mistakes kept when Enter comes after each pause."""
    import numpy as np

    from im4talkin.asr.live import speech_end
    from im4talkin.audio.io import SAMPLE_RATE, Clip

    values = [float(p) for p in args.pauses.split(",")]
    mistakes = sum(1 for it in items if it["error"])
    print(f"{args.set} set: {len(items)} sentences; the file path after each pause\n")
    print("| voice | pause before Enter, s | WER | mistakes kept |")
    print("| --- | --- | --- | --- |")
    for voice in args.voices.split(","):
        for pause in values:
            refs, hyps, n_kept = [], [], 0
            for n, item in enumerate(items):
                samples = load_audio(speak(item["text"], voice, folder, n)).samples
                end = speech_end(samples)
                silence = np.zeros(int(pause * SAMPLE_RATE), np.float32)
                cut = np.concatenate([samples[:end], silence])
                text = asr.transcribe(speech_span(Clip(cut)).samples)
                said, got = words(item["text"]), words(text)
                refs.append(" ".join(said))
                hyps.append(" ".join(got) or "-")
                if item["error"] and kept(said, got, span(item["text"], item["error"])):
                    n_kept += 1
            wer = jiwer.wer(refs, hyps)
            print(f"| {voice} | {pause:.2f} | {100 * wer:.1f}% | {n_kept}/{mistakes} |", flush=True)


if __name__ == "__main__":
    main()
