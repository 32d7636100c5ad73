"""llama.cpp speed of the installed llama-cpp-python build, per CPU variant: tokens a second.

For each setting a fresh process loads the default partner (Qwen2.5-Coder-1.5B-Instruct
Q4_K_M) with 2 threads, then, ``--runs`` times, evaluates a ~300-token prompt from an empty
cache (prompt tokens/s, what a new turn's system prompt and history cost) and generates 64
tokens at temperature 0 (generation tokens/s, what the learner waits on sentence by
sentence). Medians are printed as one Markdown row per setting.

    python bench/llama_builds.py --label "portable (dispatch)"              # the chosen variant
    python bench/llama_builds.py --label portable --variants haswell x64    # forced variants
    /other/venv/bin/python bench/llama_builds.py --label native             # another build

A portable build (``GGML_BACKEND_DL``) takes ``--variants`` through ``IM4TALKIN_LLAMA_CPU``;
a build with one CPU code built in ignores them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from _common import ROOT, median

PROMPT = (
    "You are a friendly English conversation partner for a learner. Keep your replies short, "
    "ask one question at a time, and talk about travel: trains, planes, hotels, beaches, "
    "mountains, museums, food in other countries, packing a suitcase, and getting lost. "
) * 5 + "Now tell me, in a few sentences, about the best trip you can imagine:"


def _measure(runs: int) -> dict:
    import llama_cpp

    from im4talkin.llm import cpu
    from im4talkin.registry import qwen_path

    choice = cpu.ensure()
    llm = llama_cpp.Llama(
        model_path=str(qwen_path()), n_ctx=1024, n_threads=2, n_threads_batch=2, verbose=False
    )
    n_prompt = len(llm.tokenize(PROMPT.encode()))
    prompt_tps, gen_tps = [], []
    for _ in range(runs):
        llm.reset()
        t = time.perf_counter()
        llm.eval(llm.tokenize(PROMPT.encode()))
        prompt_tps.append(n_prompt / (time.perf_counter() - t))
        t = time.perf_counter()
        made = 0
        for _ in range(64):
            token = llm.sample(temp=0.0)
            llm.eval([token])
            made += 1
        gen_tps.append(made / (time.perf_counter() - t))
    return {
        "variant": choice.variant or "built in",
        "prompt_tokens": n_prompt,
        "prompt_tps": median(prompt_tps),
        "gen_tps": median(gen_tps),
        "features": " ".join(cpu.features()),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", default="installed build")
    ap.add_argument("--variants", nargs="*", default=[""], help="forced CPU variants")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_measure(args.runs)))
        return
    print("| build | variant | prompt tok/s | generation tok/s | features |")
    print("| --- | --- | --- | --- | --- |")
    for variant in args.variants:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("IM4TALKIN_LLAMA_CPU", None)
        if variant:
            env["IM4TALKIN_LLAMA_CPU"] = variant
        proc = subprocess.run(
            [sys.executable, __file__, "--child", "--runs", str(args.runs)],
            capture_output=True, text=True, env=env,
        )  # fmt: skip
        if proc.returncode != 0:
            print(f"| {args.label} | {variant} | failed: exit {proc.returncode} | | |")
            continue
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        print(
            f"| {args.label} | {row['variant']} | {row['prompt_tps']:.1f} | {row['gen_tps']:.1f} "
            f"| {row['features']} |"
        )


if __name__ == "__main__":
    main()
