"""Does reading aloud flag the words a learner says wrong, and leave the others alone?

Each sentence of bench/data/pronunciation_{dev,heldout}.jsonl is spoken by espeak-ng: the
"mispronounced" ones with one word given as phonemes the way learners say it
(``espeak-ng "I [[s'INk]] it will rain"``), the "correct" ones as written. im4talkin's
pronunciation checker (the same one ``enroll`` runs: the phoneme recogniser, the CMU
dictionary and spaCy) scores every word of the sentence. Reported per set and voice:

- target words flagged: the word said wrong is not ``ok`` (a word the checker did not score
  counts as not flagged), and of those, flagged with the sound actually said;
- other words flagged: every other word of both kinds of sentence, as a share of all of them
  and of the words the checker scored (function words are not scored);
- the phoneme pass's time per second of speech, and the scoring's time per sentence.

The target word is found by the data set's ``word`` on word boundaries, never by the checker.
With ``--speechocean``, the 200 real read sentences of ../shared/data/speechocean762 (Mandarin
speakers): Whisper's word error rate against the prompt and the share of words flagged,
adults (18+) and children apart; ``--list-flagged N`` prints N flagged words to listen to.
As a second opinion that shares no model with the check of the sounds, Whisper base's own
word probabilities: how often it doubts the flagged words, against the words not flagged.

    python bench/pronunciation.py [--set dev|heldout|both] [--voices en-us,en-gb]
    python bench/pronunciation.py --speechocean [--list-flagged 20]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import tempfile
import time
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

import jiwer
from _common import ROOT, SPEECHOCEAN, median, speechocean_rows

from im4talkin import registry
from im4talkin.audio.io import load_audio
from im4talkin.config import load_settings
from im4talkin.reading import words_of

DATA = ROOT / "bench" / "data"


def load(name: str) -> list[dict]:
    path = DATA / f"pronunciation_{name}.jsonl"
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def spoken(item: dict) -> str:
    """The text espeak-ng reads: the target word (whole word, once) replaced by its phonemes."""
    if "word" not in item:
        return item["text"]
    pattern = rf"(?<![A-Za-z']){re.escape(item['word'])}(?![A-Za-z'])"
    said, count = re.subn(pattern, f"[[{item['said']}]]", item["text"], count=1, flags=re.I)
    if count != 1:
        raise SystemExit(f"{item['id']}: {item['word']!r} is not a whole word of its text")
    return said


def plain_ipa(text: str) -> str:
    """IPA without stress, length and tie marks, in the recogniser's symbols."""
    text = unicodedata.normalize("NFC", text).replace("ɡ", "g").replace("ɚ", "ɝ")
    text = text.replace("ɜ", "ɝ").replace("r", "ɹ")
    return "".join(c for c in text if c not in "ˈˌː͡ ")


def run_set(checker, items: list[dict], voice: str, folder: Path) -> dict:
    hits = named = targets = 0
    others = others_scored = other_flags = 0
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    listen_rt, score_s, flagged_lines, missed_lines = [], [], [], []
    for item in items:
        wav = folder / f"{voice}-{item['id']}.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(wav), spoken(item)], check=True)
        clip = load_audio(wav)
        started = time.perf_counter()
        checker.recognizer.listen(clip.samples)
        listen_rt.append((time.perf_counter() - started) / clip.seconds)
        started = time.perf_counter()
        sounds = checker.check(item["text"], clip.samples)  # listens again: timed apart above
        score_s.append(time.perf_counter() - started)
        words = words_of(item["text"])
        target = item.get("word", "").lower()
        for word, result in zip(words, sounds, strict=True):
            flagged = result is not None and not result.ok
            if target and word == target:
                targets += 1
                per_kind[item["kind"]][1] += 1
                if flagged:
                    hits += 1
                    per_kind[item["kind"]][0] += 1
                    if plain_ipa("".join(result.heard)) == plain_ipa(item["said_ipa"]):
                        named += 1
                line = (
                    f"{item['id']} {item['change']}: {word} /{item['expected_ipa']}/ said "
                    f"/{item['said_ipa']}/ -> heard /{''.join(result.heard) if result else '-'}/"
                    f" score {result.score if result else '-'}"
                )
                (flagged_lines if flagged else missed_lines).append(
                    line + (f": {result.note}" if flagged else "")
                )
            else:
                others += 1
                others_scored += result is not None
                other_flags += flagged
                if flagged:
                    flagged_lines.append(f"{item['id']} (read right) {word}: {result.note}")
    return {
        "voice": voice,
        "targets": targets,
        "hits": hits,
        "named": named,
        "others": others,
        "others_scored": others_scored,
        "other_flags": other_flags,
        "per_kind": dict(per_kind),
        "listen_rt": median(listen_rt),
        "score_s": median(score_s),
        "flagged": flagged_lines,
        "missed": missed_lines,
    }


def report(name: str, r: dict) -> None:
    pct = lambda a, b: f"{a}/{b} ({100 * a / b:.0f}%)" if b else "-"  # noqa: E731
    print(f"\n### {name}, espeak-ng {r['voice']}\n")
    print("| measure | value |\n| --- | --- |")
    print(f"| target words flagged | {pct(r['hits'], r['targets'])} |")
    print(f"| ... heard as the sound said | {pct(r['named'], r['targets'])} |")
    print(f"| other words flagged (all words) | {pct(r['other_flags'], r['others'])} |")
    print(f"| other words flagged (scored words) | {pct(r['other_flags'], r['others_scored'])} |")
    print(f"| phoneme pass, seconds per second of speech | {r['listen_rt']:.3f} |")
    print(f"| whole check per sentence (s, median) | {r['score_s']:.2f} |")
    kinds = ", ".join(f"{k} {v[0]}/{v[1]}" for k, v in sorted(r["per_kind"].items()))
    print(f"\nBy kind: {kinds}\n")
    print("Flagged:\n" + "\n".join(f"- {line}" for line in r["flagged"]))
    print("\nMissed:\n" + "\n".join(f"- {line}" for line in r["missed"]))


DOUBT_P = 0.5
"""A word Whisper wrote with a probability below this is one it doubts."""


def whisper_heard(asr, text: str, samples) -> list[tuple[str, float]]:
    """For each word of ``words_of(text)``, the word Whisper base wrote in its place (jiwer's
    word alignment; "" where it wrote none) and its probability for it: a second opinion
    that shares no model with the check of the sounds."""
    ref = words_of(text)
    _, words = asr.transcribe_words(samples)
    hyp: list[tuple[str, float]] = [(w, p) for word, p in words for w in words_of(word)]
    heard = [("", 0.0)] * len(ref)
    if not hyp:
        return heard
    out = jiwer.process_words(" ".join(ref), " ".join(w for w, _ in hyp))
    for chunk in out.alignments[0]:
        if chunk.type in ("equal", "substitute"):
            for k in range(chunk.ref_end_idx - chunk.ref_start_idx):
                heard[chunk.ref_start_idx + k] = hyp[chunk.hyp_start_idx + k]
    return heard


def doubts(word: str, said: str, p: float) -> bool:
    """Whisper wrote another word or none (``said``) for ``word``, or wrote it below
    :data:`DOUBT_P`."""
    return said != word or p < DOUBT_P


def speechocean(checker, asr, list_flagged: int) -> None:
    groups: dict[str, dict] = {
        g: {"ref": [], "hyp": [], "words": 0, "scored": 0, "flags": 0, "n": 0}
        for g in ("adults", "children")
    }
    flagged = []
    kinds: Counter = Counter()
    cross: Counter = Counter()
    """(flagged by the sounds, doubted by Whisper) -> scored words."""
    for utt, speaker, age, text in speechocean_rows():
        group = groups["adults" if int(age) >= 18 else "children"]
        clip = load_audio(SPEECHOCEAN / "wav" / f"{utt}.wav")
        group["ref"].append(" ".join(words_of(text)))
        group["hyp"].append(" ".join(words_of(asr.transcribe(clip.samples))) or "-")
        sounds = checker.check(text, clip.samples)
        heard = whisper_heard(asr, text, clip.samples)
        group["n"] += 1
        group["words"] += len(sounds)
        group["scored"] += sum(s is not None for s in sounds)
        for word, s, (said, p) in zip(words_of(text), sounds, heard, strict=True):
            if s is None:
                continue
            cross[(not s.ok, doubts(word, said, p))] += 1
            if not s.ok:
                group["flags"] += 1
                whisper = f"'{said}' p={p:.2f}" if said else "no word"
                flagged.append(
                    f"{utt} (speaker {speaker}, age {age}): {s.note} [Whisper: {whisper}]"
                )
                kinds[s.note.split(" - ")[0].split(": ", 1)[1]] += 1
    print("\n### speechocean762: 200 real read sentences, Mandarin L1\n")
    print("| group | sentences | Whisper base WER | words flagged (all) | flagged (scored) |")
    print("| --- | --- | --- | --- | --- |")
    for name, g in groups.items():
        wer = jiwer.wer(g["ref"], g["hyp"]) if g["ref"] else float("nan")
        print(
            f"| {name} | {g['n']} | {wer:.3f} | {g['flags']}/{g['words']} "
            f"({100 * g['flags'] / max(1, g['words']):.1f}%) | "
            f"{100 * g['flags'] / max(1, g['scored']):.1f}% |"
        )
    print("\nMost frequent:", ", ".join(f"{k} ({n})" for k, n in kinds.most_common(8)))
    print(
        "\nA second opinion, from a recogniser of words (Whisper base, with word "
        "probabilities): a scored word is *doubted* when Whisper wrote another word or none "
        f"there, or gave it a probability below {DOUBT_P}.\n"
    )
    print("| scored words | Whisper doubts | share |\n| --- | --- | --- |")
    for name, flag in (("flagged by the sounds", True), ("not flagged", False)):
        n, d = cross[(flag, True)] + cross[(flag, False)], cross[(flag, True)]
        print(f"| {name} | {d}/{n} | {100 * d / max(1, n):.0f}% |")
    if list_flagged:
        print("\nFlagged words to listen to:")
        step = max(1, len(flagged) // list_flagged)
        for line in flagged[::step][:list_flagged]:
            print(f"- {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=("dev", "heldout", "both"), default="both")
    parser.add_argument("--voices", default="en-us,en-gb")
    parser.add_argument("--speechocean", action="store_true")
    parser.add_argument("--list-flagged", type=int, default=0)
    args = parser.parse_args()
    settings = load_settings()
    checker = registry.sound_checker(settings)
    if checker is None:
        raise SystemExit("feedback.sounds is off: set it to 'hama'")
    if args.speechocean:
        asr = registry.create("asr", "whisper-base", settings)
        speechocean(checker, asr, args.list_flagged)
        return
    names = ("dev", "heldout") if args.set == "both" else (args.set,)
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            for voice in args.voices.split(","):
                report(name, run_set(checker, load(name), voice, Path(tmp)))


if __name__ == "__main__":
    main()
