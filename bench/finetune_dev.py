"""How to train on a small enrolment: the dev runs that chose finetune's settings.

The voice is bench/finetune_gain.py's (espeak-ng ``en-gb-scotland``) reading the topics'
reading sentences. The sentences bench/finetune_gain.py measures on (the fixed held-out
fifth) are never used here: from the rest, ``--enrol`` sentences are trained on (with the
early-stopping split finetune uses) and ``--dev`` others measure each setting, shipped
against adapted, with the recogniser as ``talk`` runs it.

    python bench/finetune_dev.py --enrol 40 --dev 40 --setting enc2:lr3e-5:dec ...
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from pathlib import Path

from _common import ROOT  # noqa: F401  (puts the repo on sys.path)
from mistake_survival import speak

from im4talkin.audio.io import load_audio, speech_span
from im4talkin.config import load_settings
from im4talkin.finetune.adapt import Run
from im4talkin.finetune.jobs import WhisperJob
from im4talkin.finetune.runs import held_out, paired_gain, prompt_leaks, sentence_errors
from im4talkin.tutor.topics import available, load_topic

VOICE = "en-gb-scotland"


def pool() -> list[dict]:
    """Reading sentences outside bench/finetune_gain.py's test fifth, in a fixed order."""
    rows = [
        {"passage": t, "sentence": i, "reference": s}
        for t in available()
        for i, s in enumerate(load_topic(t).reading)
        if not held_out(t, i)
    ]
    rows.sort(key=lambda r: hashlib.sha1(f"dev{r['passage']}{r['sentence']}".encode()).digest())
    for n, r in enumerate(rows):
        r["id"] = n
    return rows


def setting(text: str) -> dict:
    """ "enc2:lr3e-5:dec" -> top 2 encoder layers, learning rate 3e-5, decoder trained."""
    out: dict = {"encoder_layers": 2, "decoder": False}
    for part in text.split(":"):
        if part.startswith("enc"):
            out["encoder_layers"] = int(part[3:])
        elif part.startswith("lr"):
            out["lr"] = float(part[2:])
        elif part == "dec":
            out["decoder"] = True
        elif part.startswith("ep"):
            out["epochs"] = int(part[2:])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--enrol", type=int, default=40)
    ap.add_argument("--dev", type=int, default=40)
    ap.add_argument("--setting", action="append", required=True)
    ap.add_argument("--audio", type=Path, default=Path(tempfile.gettempdir()) / "ftdev")
    args = ap.parse_args()
    rows = pool()
    enrol, dev = rows[: args.enrol], rows[-args.dev :]
    args.audio.mkdir(parents=True, exist_ok=True)
    clips = {
        r["id"]: speech_span(load_audio(speak(r["reference"], VOICE, args.audio, r["id"]))).samples
        for r in enrol + dev
    }
    for r in enrol:
        r["audio"] = str(args.audio / f"{VOICE}-{r['id']}.wav")
    settings = load_settings()
    refs = [r["reference"] for r in dev]
    shipped = None
    print(f"{len(enrol)} enrolled, {len(dev)} dev sentences ({VOICE})\n")
    print("| setting | epochs kept | dev WER shipped | adapted | change (90% interval) "
          "| prompt leaks shipped / adapted | seconds |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for text in args.setting:
        opts = setting(text)
        epochs = opts.pop("epochs", 8)
        layers = opts.pop("encoder_layers")
        job = WhisperJob(settings, layers, **opts)
        with tempfile.TemporaryDirectory() as tmp:
            run = Run(job, enrol, clips, None, Path(tmp) / "work", epochs)
            if shipped is None:
                shipped = run.transcribe(None, dev)
            t0 = time.perf_counter()
            state = run.train("final", enrol, Path(tmp) / "model")
            adapted = run.transcribe(Path(tmp) / "model", dev)
            seconds = time.perf_counter() - t0
        gain = paired_gain(
            sentence_errors(refs, [shipped[r["id"]] for r in dev]),
            sentence_errors(refs, [adapted[r["id"]] for r in dev]),
        )
        leaks = [
            sum(bool(prompt_leaks(job.prompt, r["reference"], h[r["id"]])) for r in dev)
            for h in (shipped, adapted)
        ]
        print(f"| {text} | {state.best_epoch} of {state.epoch} | {gain.before:.1%} "
              f"| {gain.after:.1%} | {gain.change:+.0%} ({gain.low:+.0%} to {gain.high:+.0%}) "
              f"| {leaks[0]} / {leaks[1]} | {seconds:.0f} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
