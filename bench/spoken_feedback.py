"""Are a learner's grammar mistakes corrected when spoken, as they are when typed?

Each learner sentence (one known mistake, or none) is typed, and spoken by espeak-ng in two
voices, trimmed with the Silero VAD and transcribed by Whisper base as ``talk`` does. The
fast feedback (Harper and the learner rules; the LLM pass is left out to keep the run short)
checks the typed sentence, Whisper's transcript ("before"), and the transcript after the
phoneme recogniser's check of the mistakes Whisper smooths over ("after": what ``talk`` does
now). Reported per voice:

- caught from text: a correction whose words include the mistake's and whose corrected
  words include the fix (word boundaries, lower case);
- of those, caught from speech before and after, and the share of the text figure;
- phantoms: correct sentences that get any correction from speech, before and after;
- the changes the phoneme check made, right (towards what was said) and wrong.

    python bench/spoken_feedback.py [--set dev|heldout] [--margins 2,3,4]

``--margins`` runs the phoneme check with each margin (nats) on the same transcripts, for
choosing it on the dev set.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from _common import dev_set, heldout_set

from im4talkin import registry
from im4talkin.audio.io import load_audio, speech_span
from im4talkin.config import load_settings
from im4talkin.feedback import heard as heard_mod
from im4talkin.feedback.engine import FeedbackEngine
from im4talkin.feedback.heard import HeardBack
from im4talkin.feedback.rules import load_nlp
from im4talkin.reading import words_of

VOICES = ("en-us", "en-gb-scotland")


def caught(corrections, error: str, fix: str) -> bool:
    """A correction that covers the mistake's words and puts the fix's words there."""
    want_from, want_to = words_of(error), words_of(fix)
    for c in corrections:
        have_from, have_to = words_of(c.original), words_of(c.corrected)
        if _contains(have_from, want_from) and _contains(have_to, want_to):
            return True
    return False


def _contains(words: list[str], part: list[str]) -> bool:
    n = len(part)
    return any(words[i : i + n] == part for i in range(len(words) - n + 1)) if n else True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", choices=["dev", "heldout"], default="dev")
    ap.add_argument("--margins", default=str(heard_mod.HEARD_MARGIN))
    args = ap.parse_args()
    items = dev_set() if args.set == "dev" else heldout_set()
    settings = load_settings()
    nlp = load_nlp()
    checkers = [registry.create("checker", n, settings) for n in ("harper", "rules")]
    engine = FeedbackEngine(checkers, nlp)
    asr = registry.create("asr", "whisper-base", settings)
    sounds = registry.sound_checker(settings)
    back = HeardBack(sounds.recognizer, sounds.lexicon, nlp)
    folder = Path(tempfile.mkdtemp(prefix="im4talkin-spoken-"))
    typed = {n: engine.fast(it["text"]) for n, it in enumerate(items)}
    text_caught = {
        n for n, it in enumerate(items) if it["error"] and caught(typed[n], it["error"], it["fix"])
    }
    mistakes = sum(1 for it in items if it["error"])
    correct = len(items) - mistakes
    print(
        f"{args.set} set: {len(items)} sentences, {mistakes} with a mistake ({len(text_caught)} "
        f"caught from text), {correct} correct\n"
    )
    print(
        "| voice | margin | caught from speech before | after | share of text, after "
        "| phantoms before | after | checks changed: toward said / away |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    changes_log = []
    for voice in VOICES:
        heard, frames = {}, {}
        for n, it in enumerate(items):
            wav = folder / f"{voice}-{n}.wav"
            subprocess.run(["espeak-ng", "-v", voice, "-w", str(wav), it["text"]], check=True)
            clip = speech_span(load_audio(wav))
            heard[n] = asr.transcribe(clip.samples)
            frames[n] = sounds.recognizer.listen(clip.samples)
        before = {n: engine.fast(heard[n]) for n in heard}
        for margin in (float(m) for m in args.margins.split(",")):
            heard_mod.HEARD_MARGIN = margin
            b_caught = a_caught = b_phantom = a_phantom = good = bad = 0
            for n, it in enumerate(items):
                found = back.compare(heard[n], frames[n])
                revised = heard[n]
                for h in sorted(found, key=lambda h: -h.start):
                    revised = h.apply(revised)
                if found:
                    said = words_of(it["text"])
                    toward = _distance(words_of(revised), said) < _distance(
                        words_of(heard[n]), said
                    )
                    good += toward
                    bad += not toward
                    changes_log.append(
                        f"{voice} m={margin}: said {it['text']!r}, Whisper {heard[n]!r} -> "
                        f"{revised!r} ({'toward' if toward else 'AWAY from'} what was said)"
                    )
                after = engine.fast(revised) if found else before[n]
                if it["error"]:
                    if n in text_caught:
                        b_caught += caught(before[n], it["error"], it["fix"])
                        a_caught += caught(after, it["error"], it["fix"])
                else:
                    b_phantom += bool(before[n])
                    a_phantom += bool(after)
            share = 100 * a_caught / max(1, len(text_caught))
            print(
                f"| {voice} | {margin} | {b_caught}/{len(text_caught)} | {a_caught}/"
                f"{len(text_caught)} | {share:.0f}% | {b_phantom}/{correct} | "
                f"{a_phantom}/{correct} | {good} / {bad} |",
                flush=True,
            )
    print("\nChanges made by the phoneme check:")
    for line in changes_log:
        print(f"- {line}")


def _distance(a: list[str], b: list[str]) -> int:
    import jiwer

    if not b:
        return len(a)
    out = jiwer.process_words(" ".join(b), " ".join(a) or "-")
    return out.substitutions + out.deletions + out.insertions


if __name__ == "__main__":
    main()
