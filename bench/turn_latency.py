"""Latency of typed and spoken turns on the real stack, per stage, median of several turns.

Turns run as in an interactive session: the opener is shown and the prompt prefilled while
the learner types or speaks (not timed), then Enter starts the clock. Typed stages: fast
feedback (Harper + rules), the reply's first token, first sentence and whole reply, and the
LLM corrections that run after the reply.

``--spoken`` times spoken turns from the end of speech: each learner line is a ~5 s
utterance spoken by espeak-ng, fed to the session's live recognition as the microphone
feeds it (a 50 ms block every 50 ms, in real time: drafts and the partner's reading ahead
run meanwhile, as in ``talk``). The clock starts when the last block is in (Enter), then:
the final transcript (``asr``; ``asr_wait`` of it waiting for a draft, or for the final
pass begun when the speech stopped, to end), fast
feedback, the reply's first token, its first piece for the voice (``llm_first_chunk``: a
first clause, or a sentence), its first sentence, and the first audio from Piper
(playback's own output latency, ~50 ms, is not included). ``--whole`` transcribes each
recording only once it has ended, as before issue 21. Each setting runs in a fresh process
(``--runs N``: N of them, their turns pooled).

    python bench/turn_latency.py [--llm qwen] [--threads 1 2] [--turns 6]
    python bench/turn_latency.py --spoken [--asr whisper-base] [--asr-threads 2] [--tts-threads 1]

Each setting also reports the process's peak resident memory (``ru_maxrss``);
``--two-llms`` loads a second instance of the model for the corrections, as before
im4talkin shared one (issue 21), to compare. Spoken runs also report the machine's speed at
the time: the recogniser's encoder on its 30 s window, best of 3, before and after the
turns. The same code answers later on the same machine when the machine runs slower (a busy
host), so compare figures only at like speeds.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

from _common import median

LINES = [
    "yesterday i go to the beach with my friends",
    "we stayed in a small hotel near the sea",
    "i want to visit japan next year because i love sushi",
    "my last trip was to rome and it was wonderful",
    "once my flight was delay for five hours",
    "i would like to see the northern lights one day",
    "i prefer trains because you can see the countryside",
]


SPOKEN = [
    "yesterday i go to the beach with my friends and we swim in the sea all afternoon",
    "last summer we stayed in a small hotel near the old harbour for two weeks",
    "i want to visit japan next year because i love sushi and the mountains there",
    "my last trip was to rome and the food was wonderful but the streets was crowded",
    "once my flight was delay for five hours so i read a whole book at the airport",
    "i would like to see the northern lights one day with my family in norway",
    "i prefer trains because you can see the countryside and walk around when you want",
]


def _utterances(n: int, tail: float | None) -> list:
    """The spoken lines; ``tail``: cut each after its last speech (Silero VAD's 32 ms
    windows) and add this much silence, the learner's pause before Enter (None: keep
    espeak-ng's own ending, about 0.4 s of silence)."""
    import tempfile
    from pathlib import Path

    import numpy as np

    from im4talkin.asr.live import speech_end
    from im4talkin.audio.io import Clip, load_audio

    folder = Path(tempfile.mkdtemp(prefix="im4talkin-latency-"))
    clips = []
    for i, line in enumerate(SPOKEN[:n]):
        path = folder / f"{i}.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(path), line], check=True)
        clip = load_audio(path)
        if tail is not None:
            end = speech_end(clip.samples)
            pause = np.zeros(int(tail * 16_000), np.float32)
            clip = Clip(np.concatenate([clip.samples[:end], pause]), source=clip.source)
        clips.append(clip)
    return clips


BLOCK_S = 0.05
"""The microphone's block: the recorder reads 50 ms at a time."""


def speak_into(live, clip) -> None:
    """Feed ``clip`` to live recognition as a microphone would: a block every 50 ms, in
    real time. Returns when the last block is in, the moment the learner presses Enter."""
    import time

    block = int(BLOCK_S * 16_000)
    start = time.perf_counter()
    for i in range(0, len(clip.samples), block):
        live.feed(clip.samples[i : i + block])
        due = start + (i + block) / 16_000
        time.sleep(max(0.0, due - time.perf_counter()))


def machine_speed(asr) -> float:
    """Whisper's encoder on its whole 30 s window, best of 3, in ms: how fast this machine
    runs right now (the window is the same whatever was said)."""
    import time

    import numpy as np
    from faster_whisper.audio import pad_or_trim

    model = asr.model
    features = pad_or_trim(model.feature_extractor(np.zeros(5 * 16_000, np.float32)))
    times = []
    for _ in range(3):
        start = time.perf_counter()
        model.encode(features)
        times.append(time.perf_counter() - start)
    return 1000 * min(times)


def one_setting(args, threads: int) -> dict:
    from im4talkin.audio.playback import Speaker
    from im4talkin.config import load_settings, override
    from im4talkin.tutor.build import build_conversation
    from im4talkin.tutor.topics import load_topic

    settings = override(
        load_settings(),
        llm__name=args.llm,
        llm__n_threads=threads,
        asr__name=args.asr,
        asr__cpu_threads=args.asr_threads,
        tts__threads=args.tts_threads,
    )
    voice = (lambda tts: Speaker(tts, play=False, keep=True)) if args.spoken else None
    if args.two_llms:  # a model that cannot be shared: _critic loads its own instance
        from im4talkin.tutor import build

        build._critic = lambda model, settings, own=build._critic: own(None, settings)
    convo = build_conversation(settings, load_topic("travel"), listen=args.spoken, voice=voice)
    convo.first_alone = not args.first_shared
    convo.open()
    if args.cold:  # as before issue 21: the partner reads ahead, nothing else warms up
        convo.partner.prefill()
    else:  # while the opener plays, as talk does
        convo.get_ready()
        convo.ready()
    said = _utterances(args.turns, args.tail) if args.spoken else LINES[: args.turns]
    speed = [machine_speed(convo.asr)] if args.spoken else []
    rows = []
    for item in said:
        live = None
        if args.spoken and not args.whole:
            live = convo.listen()
            speak_into(live, item)
        result = convo.turn(item, live=live)
        row = result.timings.public() | {"reply_words": len(result.reply.split())}
        if args.spoken:
            from im4talkin.asr.live import speech_end

            row["clip_s"] = item.seconds
            row["silence_ms"] = 1000 * (len(item.samples) - speech_end(item.samples)) / 16_000
        if live is not None:
            st = live.stats
            row |= {"drafts": st.drafts, "ahead": st.ahead, "ahead_kept": st.ahead_kept}
            row |= {"early": int(st.early)}
            row |= {"words": len(result.transcript.split())}
        rows.append(row)
        convo.partner.prefill()
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if args.spoken:
        speed.append(machine_speed(convo.asr))
    return {"threads": threads, "turns": rows, "peak_rss_mb": peak, "speed_ms": speed}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--llm", default="qwen")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--turns", type=int, default=6)
    ap.add_argument("--spoken", action="store_true", help="time spoken turns (~5 s utterances)")
    ap.add_argument("--asr", default="whisper-base")
    ap.add_argument("--asr-threads", type=int, default=2)
    ap.add_argument("--tts-threads", type=int, default=1)
    ap.add_argument("--two-llms", action="store_true", help="a second model for corrections")
    ap.add_argument(
        "--whole", action="store_true", help="no recognition during speech (as before issue 21)"
    )
    ap.add_argument(
        "--cold", action="store_true", help="no warm-up while the opener plays (as before)"
    )
    ap.add_argument(
        "--first-shared",
        action="store_true",
        help="the LLM goes on writing while the first piece is synthesised (as before)",
    )
    ap.add_argument(
        "--tail",
        type=float,
        default=None,
        help="seconds of silence after the last word before Enter (default: espeak-ng's own)",
    )
    ap.add_argument("--runs", type=int, default=1, help="fresh processes per setting, pooled")
    ap.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(one_setting(args, args.child)))
        return
    if args.spoken:
        print(
            f"model: {args.llm}; {args.asr} ({args.asr_threads} threads), Piper "
            f"({args.tts_threads} thread); {args.turns} spoken turns per run, {args.runs} run(s) per setting; "
            "ms from the end of speech, median (min-max)\n"
        )
        cols = [
            "asr",
            "asr_wait",
            "feedback_fast",
            "llm_first_token",
            "llm_first_chunk",
            "llm_first_sentence",
            "tts_first_audio",
            "turn_total",
        ]
    else:
        print(f"model: {args.llm}; {args.turns} typed turns per setting; median ms (min-max)\n")
        cols = [
            "feedback_fast",
            "llm_first_token",
            "llm_first_sentence",
            "llm_total",
            "feedback_llm",
            "turn_total",
        ]
    print("| n_threads | " + " | ".join(cols) + " |")
    print("| --- |" + " --- |" * len(cols))
    for threads in args.threads:
        rows, peaks, speeds = [], [], []
        for _ in range(args.runs):  # each run a fresh process; their turns pooled
            data = _child(args, threads)
            rows += data["turns"]
            peaks.append(data["peak_rss_mb"])
            speeds.append(data["speed_ms"])
        cells = []
        for col in cols:
            vals = [float(r[col]) for r in rows]
            cells.append(f"{median(vals):.0f} ({min(vals):.0f}-{max(vals):.0f})")
        print(f"| {threads} | " + " | ".join(cells) + " |")
        print(f"<!-- n_threads={threads}: {len(rows)} turns; peak RSS {max(peaks):.0f} MB -->")
        if args.spoken:
            clip = median([r["clip_s"] for r in rows])
            words = median([r["reply_words"] for r in rows])
            first = [r["tts_first_audio"] for r in rows]
            spoken = [r["tts_first_audio"] + r["silence_ms"] for r in rows]
            voice = [r["tts_first_audio"] - r["llm_first_chunk"] for r in rows]
            print(
                f"<!-- n_threads={threads}: utterance {clip:.1f} s, reply {words:.0f} words; "
                f"first audio from Enter: median {median(first):.0f} ms, worst {max(first):.0f}; "
                f"from the last word (+{median([r['silence_ms'] for r in rows]):.0f} ms of "
                f"silence before Enter): median {median(spoken):.0f}, worst {max(spoken):.0f}; "
                f"Piper's first chunk {median(voice):.0f} ms after the LLM's -->"
            )
            pairs = ", ".join(f"{a:.0f}/{b:.0f}" for a, b in speeds)
            print(
                f"<!-- n_threads={threads}: machine speed, {args.asr}'s encoder on its 30 s "
                f"window before/after each run's turns, ms (best of 3): {pairs} -->"
            )
            if not args.whole:
                said = sum(r["words"] for r in rows)
                ahead = sum(r["ahead"] for r in rows)
                borne = sum(r["ahead_kept"] for r in rows)
                drafts = sum(r["drafts"] for r in rows) / len(rows)
                early = sum(r["early"] for r in rows)
                print(
                    f"<!-- n_threads={threads}: {drafts:.1f} drafts a turn; read ahead {ahead} "
                    f"of {said} words, {borne} borne out by the final transcript; the early "
                    f"final pass used in {early} of {len(rows)} turns -->"
                )


def _child(args, threads: int) -> dict:
    """One setting in a fresh process."""
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--llm",
            args.llm,
            "--turns",
            str(args.turns),
            "--asr",
            args.asr,
            "--asr-threads",
            str(args.asr_threads),
            "--tts-threads",
            str(args.tts_threads),
            *(["--spoken"] if args.spoken else []),
            *(["--two-llms"] if args.two_llms else []),
            *(["--whole"] if args.whole else []),
            *(["--cold"] if args.cold else []),
            *(["--first-shared"] if args.first_shared else []),
            *(["--tail", str(args.tail)] if args.tail is not None else []),
            "--child",
            str(threads),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "IM4TALKIN_LOG": "ERROR"},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
