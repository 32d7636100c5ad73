"""Train the role-play partner's LoRA adapter and write it as a GGUF file for llama.cpp.

    python train/partner_lora.py                       # CPU (2 cores: about 70 minutes)
    python train/partner_lora.py --device cuda         # a GPU machine: minutes
    python train/partner_lora.py --limit 2 --epochs 1 --out /tmp/a.gguf   # a smoke run

What it learns from: ``train/data/roleplay_dialogues.jsonl``, dialogues written for each
role-play topic (never the bench's scripts). Each dialogue is rendered exactly as the
partner sees it at run time: the system prompt and example exchanges of its topic and level
(the *fixed* prefix, which llama.cpp evaluates once and keeps, see ``LlamaChat.prefill``),
then the opener and the turns. The loss is on the partner's replies only.

How: the bundled Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF is dequantised by transformers
(the same weights llama.cpp multiplies), peft puts LoRA on the attention and MLP
projections of the top ``--layers`` layers only, so the backward pass runs through those
layers alone. The fixed prefix is evaluated by the *base* model, once per topic and level,
and given to every step as its KV cache: at run time llama.cpp evaluates that prefix
without the adapter too (``LlamaChat`` switches the adapter on after it), so training and
use see the same numbers. One dialogue per topic is held out; the epoch with the lowest
held-out loss is the one written out.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import math
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_DATA = ROOT / "train" / "data" / "roleplay_dialogues.jsonl"
DEFAULT_OUT = ROOT / "im4talkin" / "llm" / "adapters" / "qwen2.5-1.5b-roleplay.gguf"
TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
GGUF_NAMES = {
    "q_proj": "attn_q",
    "k_proj": "attn_k",
    "v_proj": "attn_v",
    "o_proj": "attn_output",
    "gate_proj": "ffn_gate",
    "up_proj": "ffn_up",
    "down_proj": "ffn_down",
}


def load_dialogues(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def render(chat, dialogue: dict) -> tuple[list[int], list[int], list[tuple[int, int]]]:
    """(fixed prefix tokens, the rest's tokens, (start, end) of each reply in the rest).

    Built with the partner's own prompt code and the model's own tokenizer and chat
    template, so the tokens are the ones llama.cpp sees at run time."""
    from im4talkin.llm.llama import _MARK
    from im4talkin.messages import ChatTurn
    from im4talkin.tutor.prompts import example_turns, partner_system_prompt
    from im4talkin.tutor.topics import load_topic

    topic = load_topic(dialogue["topic"])
    fixed = [
        ChatTurn("system", partner_system_prompt(topic, dialogue["level"])),
        *example_turns(topic),
    ]
    _, head_ids = chat.head(fixed)
    conversation = [ChatTurn("assistant", dialogue["opener"])]
    for turn in dialogue["turns"]:
        conversation += [ChatTurn("user", turn["learner"]), ChatTurn("assistant", turn["partner"])]
    full = chat._tokens(chat._prompt([*fixed, *conversation]))
    if full[: len(head_ids)] != head_ids:
        raise SystemExit(f"the fixed prefix does not tokenise as a prefix ({dialogue['topic']})")
    end_of_turn = chat._llama.token_eos()  # <|im_end|>: where the model stops writing
    spans = []
    for k in range(2, len(conversation), 2):  # replies after the opener
        before = chat._prompt([*fixed, *conversation[:k], ChatTurn("assistant", _MARK)])
        start = len(chat._tokens(before.split(_MARK, 1)[0]))
        upto = chat._tokens(chat._prompt([*fixed, *conversation[: k + 1]]))
        if full[:start] != upto[:start]:
            raise SystemExit("a reply does not start on a token boundary")
        end = full.index(end_of_turn, start) + 1
        spans.append((start - len(head_ids), end - len(head_ids)))
    return head_ids, full[len(head_ids) :], spans


def write_gguf(state: dict, rank: int, alpha: float, path: Path, meta: dict) -> None:
    """A llama.cpp LoRA adapter: ``blk.N.<tensor>.weight.lora_a`` (rank x in) and ``lora_b``
    (out x rank), as convert_lora_to_gguf.py writes them."""
    import gguf
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(path), "qwen2")
    writer.add_string("general.type", "adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", float(alpha))
    for key, value in meta.items():
        writer.add_string(f"im4talkin.{key}", str(value))
    count = 0
    for name, tensor in sorted(state.items()):
        if ".lora_A." not in name and ".lora_B." not in name:
            continue
        parts = name.split(".")
        layer = int(parts[parts.index("layers") + 1])
        module = next(p for p in parts if p in GGUF_NAMES)
        side = "lora_a" if ".lora_A." in name else "lora_b"
        data = tensor.detach().to("cpu").float().numpy().astype(np.float16)
        writer.add_tensor(f"blk.{layer}.{GGUF_NAMES[module]}.weight.{side}", data)
        count += 1
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    print(f"wrote {path} ({count} tensors, {path.stat().st_size / 1e6:.1f} MB, rank {rank})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--model", type=Path, help="the GGUF to adapt (default: the bundled Qwen)")
    ap.add_argument("--layers", type=int, default=8, help="adapt the top N layers")
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--alpha", type=float, default=16.0)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--accumulate", type=int, default=4, help="dialogues per optimiser step")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="use only N dialogues per topic")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from im4talkin.llm.llama import LlamaChat
    from im4talkin.registry import qwen_path

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)
    gguf_path = args.model or qwen_path()
    chat = LlamaChat(gguf_path, name="tokenizer", n_ctx=512)  # its template and tokenizer

    dialogues = load_dialogues(args.data)
    by_topic: dict[str, list[dict]] = {}
    for d in dialogues:
        by_topic.setdefault(d["topic"], []).append(d)
    train, held = [], []
    for name in sorted(by_topic):
        items = by_topic[name][: args.limit] if args.limit else by_topic[name]
        held.append(items[-1]) if len(items) > 1 else None
        train += items[:-1] if len(items) > 1 else items
    print(f"{len(train)} dialogues to train on, {len(held)} held out, topics {sorted(by_topic)}")

    t0 = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(
        str(gguf_path.parent), gguf_file=gguf_path.name, dtype=torch.float32
    )
    print(f"dequantised the GGUF in {time.perf_counter() - t0:.0f} s")
    layers = model.config.num_hidden_layers
    top = list(range(layers - args.layers, layers))
    config = LoraConfig(
        r=args.rank,
        lora_alpha=args.alpha,
        lora_dropout=0.05,
        target_modules=list(TARGETS),
        layers_to_transform=top,
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(model, config).to(args.device)
    model.print_trainable_parameters()

    rendered = {}
    for d in train + held:
        rendered[id(d)] = render(chat, d)
    prefixes: dict[tuple, object] = {}

    def prefix_cache(head: list[int]):
        key = tuple(head)
        if key not in prefixes:
            with torch.no_grad(), model.disable_adapter():
                out = model(torch.tensor([head], device=args.device), use_cache=True)
            prefixes[key] = out.past_key_values
        return prefixes[key]

    def loss_of(d: dict) -> tuple[torch.Tensor, int]:
        head, rest, spans = rendered[id(d)]
        labels = torch.full((len(rest),), -100, dtype=torch.long)
        ids = torch.tensor(rest)
        for start, end in spans:
            labels[start:end] = ids[start:end]
        cache = copy.deepcopy(prefix_cache(head))
        out = model(
            ids[None].to(args.device),
            past_key_values=cache,
            attention_mask=torch.ones(1, len(head) + len(rest), device=args.device),
            use_cache=True,
        )
        logits = out.logits[0, :-1]
        target = labels[1:].to(args.device)
        n = int((target != -100).sum())
        loss = torch.nn.functional.cross_entropy(logits, target, ignore_index=-100, reduction="sum")
        return loss, n

    def held_loss() -> float:
        model.eval()
        total, count = 0.0, 0
        with torch.no_grad():
            for d in held:
                loss, n = loss_of(d)
                total, count = total + float(loss), count + n
        model.train()
        return total / max(count, 1)

    params = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.0)
    steps = math.ceil(len(train) / args.accumulate) * args.epochs
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / 3) * max(0.1, 1 - s / max(steps, 1))
    )
    best = before = held_loss()
    print(f"held-out loss per reply token before training: {best:.3f}")
    digest = hashlib.sha256(args.data.read_bytes()).hexdigest()[:16]
    for epoch in range(args.epochs):
        order = train[:]
        rng.shuffle(order)
        model.train()
        t0, seen, total, count = time.perf_counter(), 0, 0.0, 0
        for i, d in enumerate(order, 1):
            loss, n = loss_of(d)
            (loss / max(n, 1) / args.accumulate).backward()
            total, count, seen = total + float(loss), count + n, seen + len(rendered[id(d)][1])
            if i % args.accumulate == 0 or i == len(order):
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                optimiser.step()
                schedule.step()
                optimiser.zero_grad()
        took = time.perf_counter() - t0
        now = held_loss()
        print(
            f"epoch {epoch + 1}: train loss {total / max(count, 1):.3f}, held-out {now:.3f}, "
            f"{took:.0f} s ({seen / took:.0f} tokens/s)",
            flush=True,
        )
        if now < best:  # written at once: a run cut short keeps its best epoch
            best = now
            state = {k: v.detach().clone() for k, v in model.state_dict().items() if "lora_" in k}
            meta = {
                "data_sha256": digest,
                "layers": f"{top[0]}-{top[-1]}",
                "epoch": epoch + 1,
                "held_out_loss": f"{best:.3f}",
            }
            write_gguf(state, args.rank, args.alpha, args.out, meta)
    if best == before:
        raise SystemExit("no epoch lowered the held-out loss; nothing written")


if __name__ == "__main__":
    main()
