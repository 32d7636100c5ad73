"""train/partner_lora.py: the dialogues it trains on are rendered exactly as the partner sees
them at run time, the loss covers the partner's replies and nothing else, and the GGUF it
writes is an adapter llama.cpp loads beside the bundled model."""

import importlib.util
import json
import re
from pathlib import Path

import pytest

from im4talkin.llm.llama import LlamaChat
from im4talkin.tutor import policy
from im4talkin.tutor.topics import load_topic

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("partner_lora", ROOT / "train" / "partner_lora.py")
partner_lora = importlib.util.module_from_spec(spec)
spec.loader.exec_module(partner_lora)


@pytest.fixture(scope="module")
def dialogues():
    return partner_lora.load_dialogues(partner_lora.DEFAULT_DATA)


def test_the_dialogues_cover_every_topic_and_level_and_end_with_a_goodbye(dialogues):
    topics = {p.stem for p in (ROOT / "topics").glob("*.toml")}
    assert {d["topic"] for d in dialogues} == topics
    for d in dialogues:
        topic = load_topic(d["topic"])
        assert d["level"] in ("A2", "B1", "B2") and d["opener"] in topic.openers
        last = d["turns"][-1]["learner"]
        assert policy.is_goodbye(last) or re.search(r"\b(cheers|thanks)\b", last), last
        assert "?" not in d["turns"][-1]["partner"]  # no question after a goodbye


def test_the_training_data_is_not_the_benchs_held_out_scripts(dialogues):
    held = [json.loads(x) for x in (ROOT / "bench/data/roleplay_heldout.jsonl").open()]
    scripted = {t.strip().lower() for s in held for t in s["turns"]}
    said = {t["learner"].strip().lower() for d in dialogues for t in d["turns"]}
    assert not scripted & said


def test_the_loss_covers_exactly_the_partners_replies(qwen, dialogues):
    dialogue = dialogues[0]
    head, rest, spans = partner_lora.render(qwen, dialogue)
    assert len(spans) == len(dialogue["turns"])
    llama = qwen._llama
    for (start, end), turn in zip(spans, dialogue["turns"], strict=True):
        text = llama.detokenize(rest[start:end], special=True).decode()
        assert text == turn["partner"] + "<|im_end|>"
    covered = sum(end - start for start, end in spans)
    learner = " ".join(t["learner"] for t in dialogue["turns"])
    assert covered < len(rest) - len(qwen._tokens(learner))  # no learner token is a target
    # the head is the partner's fixed prompt: what LlamaChat keeps without the adapter
    assert llama.detokenize(head, special=True).decode().startswith("<|im_start|>system\n")


def test_an_adapter_it_writes_loads_in_llama_cpp(tmp_path, qwen):
    torch = pytest.importorskip("torch")
    rank, state = 2, {}
    for name, (out, inp) in {"q_proj": (1536, 1536), "down_proj": (1536, 8960)}.items():
        base = f"base_model.model.model.layers.27.mlp.{name}" if name == "down_proj" else ""
        base = base or f"base_model.model.model.layers.27.self_attn.{name}"
        state[f"{base}.lora_A.weight"] = torch.randn(rank, inp) * 0.01
        state[f"{base}.lora_B.weight"] = torch.zeros(out, rank)
    path = tmp_path / "tiny.gguf"
    partner_lora.write_gguf(state, rank, 4.0, path, {"data_sha256": "test"})
    chat = LlamaChat(Path(qwen._llama.model_path), name="q", n_ctx=256, adapter=path)
    assert chat.adapter == "tiny"
