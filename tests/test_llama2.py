"""Llama 2 chat: its prompt format, stop tokens and the registry path of the seamless profile."""

from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from im4talkin import registry
from im4talkin.bundled import smollm2_path
from im4talkin.config import load_settings, override
from im4talkin.llm.llama import LLAMA2_TEMPLATE
from im4talkin.messages import ChatTurn
from im4talkin.tutor.prompts import FEEDBACK_SCHEMA


def render(messages):
    fmt = Jinja2ChatFormatter(LLAMA2_TEMPLATE, eos_token="</s>", bos_token="<s>")
    return fmt(messages=[{"role": r, "content": c} for r, c in messages]).prompt


def test_llama2_prompt_format_with_a_partner_who_speaks_first():
    prompt = render(
        [
            ("system", "You are Sam."),
            ("assistant", "Hi! Where did you travel?"),
            ("user", "I go to Rome. "),
            ("assistant", "Lovely."),
            ("user", "Yes"),
        ]
    )
    assert prompt == (
        "[INST] <<SYS>>\nYou are Sam.\n<</SYS>>\n\nPlease start. [/INST] Hi! Where did you "
        "travel? </s><s>[INST] I go to Rome. [/INST] Lovely. </s><s>[INST] Yes [/INST]"
    )


def test_llama2_prompt_format_with_the_learner_first_and_no_system():
    assert render([("system", "Be kind."), ("user", "Hello")]) == (
        "[INST] <<SYS>>\nBe kind.\n<</SYS>>\n\nHello [/INST]"
    )
    assert render([("user", "Hello")]) == "[INST] Hello [/INST]"  # llama.cpp adds the BOS


def test_the_llama2_backend_loads_any_chat_gguf_with_gpu_layers_and_json_feedback():
    """The seamless profile's partner path, on SmolLM2 (the real Llama 2 is a 4 GB pull)."""
    settings = override(
        load_settings("seamless"), llm__model_path=str(smollm2_path()), llm__n_ctx=1024
    )
    assert settings.llm.name == "llama2" and settings.llm.n_gpu_layers == -1
    model = registry.create("llm", "llama2", settings)  # a CPU build ignores the GPU layers
    assert model.name == smollm2_path().stem
    turns = [ChatTurn("system", "Reply in one short sentence."), ChatTurn("user", "Hi!")]
    assert "".join(model.stream(turns, max_tokens=12)).strip()
    out = model.complete_json(turns, FEEDBACK_SCHEMA, max_tokens=60)
    assert isinstance(out, dict)
