"""The seamless profile on one GPU: milliseconds per stage of a spoken turn.

SeamlessM4T v2 large and Llama 2 7B with *random* weights (the real files cannot be fetched on
the GPU machine): the architectures are the real ones and every stage decodes a fixed number
of tokens, so the times are what the real models take for those tokens.

Stages, for a 5 s utterance and a 15-word reply:
- ASR: im4talkin's SeamlessASR (speech encoder + 20 decoded tokens), plain ``generate`` and
  with the static KV cache (which lets torch replay the decoder step as a CUDA graph);
- TTS: im4talkin's SeamlessTTS (one teacher-forced text-decoder pass, unit model, vocoder)
  for the reply's first sentence and the whole reply, against ``generate`` (which decodes the
  text again, token by token);
- LLM: Llama-2-7B architecture in transformers, bf16, static cache: prefill of a turn's prompt
  (700 tokens) and the first sentence (12 tokens) / whole reply (24 tokens). In the product the
  partner is the Q4_K_M GGUF in llama.cpp (or a vLLM server); this times the same model size
  on the same GPU.
End of speech to first reply audio = ASR + LLM first sentence + TTS first sentence (the
rule-based feedback runs on the CPU meanwhile: bench/turn_latency.py).

    python bench/seamless_gpu.py                      # on the GPU machine
    python bench/seamless_gpu.py --tiny --runs 2      # a smoke test of this script on a CPU
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import _common  # noqa: F401  (puts the repo on sys.path)
import numpy as np
import torch

from im4talkin.config import SeamlessConfig
from im4talkin.seamless.asr import SeamlessASR
from im4talkin.seamless.tts import SeamlessTTS
from tests.seamless_tiny import build

FIRST = "That sounds like a lovely trip!"
REPLY = FIRST + " Where did you stay, and what was the food like there?"  # 15 words
PROMPT_TOKENS = 700
ASR_TOKENS = 20


def timed(fn, runs: int, warm: int, device: str) -> float:
    """Median milliseconds of ``fn`` over ``runs`` after ``warm`` untimed calls."""

    def sync():
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    for _ in range(warm):
        fn()
    sync()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        sync()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def llama(tiny: bool, device: str, dtype):
    from transformers import LlamaConfig, LlamaForCausalLM

    if tiny:
        config = LlamaConfig(
            hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=2
        )
    else:  # Llama-2-7B
        config = LlamaConfig(
            vocab_size=32000,
            hidden_size=4096,
            intermediate_size=11008,
            num_hidden_layers=32,
            num_attention_heads=32,
            num_key_value_heads=32,
            max_position_embeddings=4096,
        )
    torch.set_default_dtype(dtype)
    with torch.device(device):
        model = LlamaForCausalLM(config).eval()
    torch.set_default_dtype(torch.float32)
    return model


def llm_ms(model, tokens: int, runs: int, warm: int, device: str) -> float:
    prompt = torch.randint(3, 32000 if model.config.vocab_size > 1000 else 30, (1, PROMPT_TOKENS))
    prompt = prompt.to(device)

    def go():
        with torch.inference_mode():
            model.generate(
                prompt,
                attention_mask=torch.ones_like(prompt),
                min_new_tokens=tokens,
                max_new_tokens=tokens,
                do_sample=False,
                cache_implementation="static",
                pad_token_id=0,
            )

    return timed(go, runs, warm, device)


def seamless_stages(args, cfg: SeamlessConfig, device: str, dtype) -> dict:
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        folder = build(Path(tmp) / "seamless", large=not args.tiny, dtype=dtype)
        asr_plain = SeamlessASR(folder, SeamlessConfig(**{**cfg.__dict__, "static_cache": False}))
        asr = SeamlessASR(folder, cfg)
        tts = SeamlessTTS(folder, cfg)
        out["seamless_build_load_s"] = round(time.perf_counter() - t0, 1)
    asr.model.generation_config.min_new_tokens = ASR_TOKENS  # a fixed number of tokens
    speech = np.random.default_rng(0).normal(0, 0.1, 5 * 16_000).astype(np.float32)
    w, r = args.warm, args.runs
    out["asr_plain_ms"] = timed(lambda: asr_plain.transcribe(speech), r, w, device)
    out["asr_static_ms"] = timed(lambda: asr.transcribe(speech), r, w, device)

    def generate_tts(text: str):
        ids = tts.tokenizer(text, src_lang="eng", return_tensors="pt")["input_ids"].to(device)
        n = ids.shape[1]
        with torch.inference_mode():
            tts.model.generate(
                ids, tgt_lang="eng", text_min_new_tokens=n, text_max_new_tokens=n, text_num_beams=1
            )

    out["tts_first_sentence_ms"] = timed(lambda: tts.synthesize(FIRST), r, w, device)
    out["tts_reply_ms"] = timed(lambda: tts.synthesize(REPLY), r, w, device)
    out["tts_reply_generate_ms"] = timed(lambda: generate_tts(REPLY), r, w, device)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tiny", action="store_true", help="tiny models: check the script runs")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--dtype", default="auto")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--warm", type=int, default=3)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    cfg = SeamlessConfig(device=args.device, dtype=args.dtype, max_new_tokens=ASR_TOKENS)
    from im4talkin.seamless.runtime import choose

    device, dtype = choose(cfg)
    gpu = torch.cuda.get_device_name(0) if device.startswith("cuda") else "CPU"
    print(f"# {gpu}, {dtype}, torch {torch.__version__}, {'tiny' if args.tiny else 'full'} models")
    out: dict = {"device": gpu, "dtype": str(dtype), "tiny": args.tiny}
    out |= seamless_stages(args, cfg, device, dtype)  # its models are freed on return
    model = llama(args.tiny, device, dtype)
    out["llm_first_sentence_ms"] = llm_ms(model, 12, args.runs, args.warm, device)
    out["llm_reply_ms"] = llm_ms(model, 24, args.runs, args.warm, device)
    out["end_of_speech_to_first_audio_ms"] = (
        out["asr_static_ms"] + out["llm_first_sentence_ms"] + out["tts_first_sentence_ms"]
    )
    for key, value in out.items():
        shown = f"{value:.0f}" if isinstance(value, float) and key.endswith("_ms") else value
        print(f"{key:36s} {shown}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
