"""Does fine-tuning Whisper base's decoder on learner sentences read word for word make it
keep more spoken mistakes (issue 18)? An experiment, not a product path.

Train: real learner writing from ../shared/data/jfleg (``dev.src``, sentences of 6-16 words
that every annotator corrected, so each holds a mistake; never the dev or held-out learner
sets), read by the bundled Piper voice; the decoder is trained to write each one as
written (``WhisperTuner``, encoder frozen, a tenth held out for early stopping). Measure,
with the recogniser as ``talk`` runs it, shipped against tuned: the dev learner sentences
(../shared/data/learner_errors_dev.jsonl) read by espeak-ng in two voices (another engine
than the training voice): mistakes kept word for word and WER; and the first 60 real
Mandarin-L1 recordings of ../shared/data/speechocean762: WER, so that real recognition
does not get worse.

    python bench/verbatim_whisper.py [--train 200] [--lr 3e-5] [--epochs 2]
"""

from __future__ import annotations

import argparse
import random
import re
import tempfile
import time
from pathlib import Path

import jiwer
import numpy as np
import soxr
from _common import ROOT, SPEECHOCEAN, dev_set, speechocean_rows
from mistake_survival import VOICES, kept, span, speak, words

from im4talkin import registry
from im4talkin.audio.io import load_audio, speech_span
from im4talkin.config import load_settings
from im4talkin.finetune.jobs import WhisperJob
from im4talkin.finetune.tuner import Example

DATA = ROOT.parent / "shared" / "data"


def _detokenise(line: str) -> str:
    line = re.sub(r" (n't|'s|'re|'ve|'ll|'d|'m)\b", r"\1", line)
    return re.sub(r" ([,.?!;:])", r"\1", line).strip()


def learner_sentences(n: int) -> list[str]:
    """``n`` JFLEG sentences as written, each changed by all four annotators."""
    folder = DATA / "jfleg"
    src = (folder / "dev.src").read_text().splitlines()
    refs = [(folder / f"dev.ref{i}").read_text().splitlines() for i in range(4)]
    pool = []
    for i, line in enumerate(src):
        text = _detokenise(line)
        if (
            6 <= len(text.split()) <= 16
            and re.fullmatch(r"[A-Za-z ',.?!]+", text)
            and all(_detokenise(r[i]) != text for r in refs)
        ):
            pool.append(text)
    random.Random(0).shuffle(pool)
    return pool[:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", type=int, default=200)
    ap.add_argument("--lr", type=float, default=3e-5)
    ap.add_argument("--epochs", type=int, default=2)
    args = ap.parse_args()
    settings = load_settings()
    voice = registry.create("tts", settings.tts.name, settings)
    texts = learner_sentences(args.train)
    examples = [
        Example(soxr.resample(voice.synthesize(t, steady=True), voice.sample_rate, 16_000), t)
        for t in texts
    ]
    job = WhisperJob(settings, encoder_layers=0, decoder=True, lr=args.lr)
    tuner = job.tuner()
    items = tuner.encode(examples)
    cut = max(4, len(items) // 10)
    start = time.perf_counter()
    state = tuner.train(items[cut:], args.epochs, valid=items[:cut], patience=1)
    print(
        f"trained on {len(items) - cut} JFLEG sentences read by Piper ({len(texts)} with the "
        f"early-stopping tenth), lr {args.lr:g}, {time.perf_counter() - start:.0f} s; "
        f"held-out loss by epoch {[round(v, 3) for v in state.valid]}, kept epoch "
        f"{state.best_epoch}\n"
    )
    folder = Path(tempfile.mkdtemp(prefix="im4talkin-verbatim-"))
    job.export(tuner, folder / "model")
    recognisers = {"shipped": job.recogniser(None), "tuned": job.recogniser(folder / "model")}
    print("| set | recogniser | mistakes kept | WER |\n| --- | --- | --- | --- |")
    items = dev_set()
    for v in VOICES:
        clips = [
            speech_span(load_audio(speak(it["text"], v, folder, n))).samples
            for n, it in enumerate(items)
        ]
        for name, asr in recognisers.items():
            refs, hyps, keep = [], [], 0
            for it, clip in zip(items, clips, strict=True):
                said, heard = words(it["text"]), words(asr.transcribe(clip))
                refs.append(" ".join(said))
                hyps.append(" ".join(heard) or "-")
                if it["error"]:
                    keep += kept(said, heard, span(it["text"], it["error"]))
            mistakes = sum(1 for it in items if it["error"])
            print(
                f"| dev, espeak-ng {v} | {name} | {keep}/{mistakes} | "
                f"{100 * jiwer.wer(refs, hyps):.1f}% |",
                flush=True,
            )
    rows = speechocean_rows()[:60]
    audio = [load_audio(SPEECHOCEAN / "wav" / f"{r[0]}.wav").samples for r in rows]
    for name, asr in recognisers.items():
        refs = [" ".join(words(r[3])) for r in rows]
        hyps = [" ".join(words(asr.transcribe(np.asarray(a)))) or "-" for a in audio]
        print(
            f"| speechocean762, first {len(rows)} | {name} | - | {100 * jiwer.wer(refs, hyps):.1f}% |"
        )


if __name__ == "__main__":
    main()
