"""LoRA adapters shipped with im4talkin, as GGUF files llama.cpp loads beside a model.

``qwen2.5-1.5b-roleplay.gguf``: the role-play partner's adapter for the bundled
Qwen2.5-Coder-1.5B-Instruct, trained by ``train/partner_lora.py`` on the dialogues in
``train/data/roleplay_dialogues.jsonl`` (its metadata holds their SHA-256).
"""

from pathlib import Path

QWEN_ROLEPLAY = Path(__file__).with_name("qwen2.5-1.5b-roleplay.gguf")
