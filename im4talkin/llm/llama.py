"""llama.cpp through llama-cpp-python: any chat GGUF, KV cache kept across turns.

The prompt is rendered with the GGUF's own chat template. llama-cpp-python reuses the
longest evaluated prefix of the previous prompt, so as long as the conversation only grows,
each new turn evaluates only the new tokens.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import MissingDependency, ModelError, StorageError
from ..messages import ChatTurn
from ..store.files import write_file
from . import cpu

log = logging.getLogger(__name__)

_MARK = "\u2063\u2063"
"""Placeholder content whose position marks where a prefill prompt ends."""

LLAMA2_TEMPLATE = (
    "{% set system = messages[0]['content'] if messages and messages[0]['role'] == 'system' "
    "else '' %}"
    "{% set sys_block = '<<SYS>>\n' + system + '\n<</SYS>>\n\n' if system else '' %}"
    "{% for m in (messages[1:] if system else messages) %}"
    "{% if m['role'] == 'user' %}"
    "{% if not loop.first %}{{ bos_token }}{% endif %}"
    "[INST] {{ sys_block if loop.first else '' }}{{ m['content'] | trim }} [/INST]"
    "{% else %}"
    "{% if loop.first %}[INST] {{ sys_block }}Please start. [/INST]{% endif %}"
    " {{ m['content'] | trim }} {{ eos_token }}"
    "{% endif %}"
    "{% endfor %}"
)
"""Llama 2 chat's prompt format (``[INST] <<SYS>>...<</SYS>> ... [/INST] reply </s><s>[INST]``)
for GGUF files that carry no chat template, as TheBloke's Llama 2 files do. The first BOS is
left to llama.cpp's tokenizer; a conversation the partner opens gets a first user turn."""


MAIN = "partner"
"""The slot of the model's own methods: the conversation."""


@dataclass
class _Parked:
    """One user's KV cache while another writes: its tokens and llama.cpp's sequence state."""

    tokens: list[int]
    state: Any
    size: int
    adapter_on: bool


class LlamaChat:
    """A chat GGUF served in process by llama.cpp."""

    def __init__(
        self,
        model_path: Path,
        *,
        name: str,
        n_ctx: int = 2048,
        n_threads: int = 2,
        temperature: float = 0.7,
        seed: int = 7,
        n_gpu_layers: int = 0,
        fallback_template: str | None = None,
        state_dir: Path | None = None,
        adapter: Path | None = None,
    ) -> None:
        """``fallback_template``: the chat template for a GGUF that carries none.
        ``state_dir``: where evaluated system prompts are kept (see :meth:`prefill`).
        ``adapter``: a LoRA adapter (GGUF) for the conversation after its fixed turns (see
        :meth:`prefill`); the fixed turns and JSON answers use the model as it is."""
        try:
            import llama_cpp
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        except ImportError as err:
            raise MissingDependency("the llama.cpp partner", "llama-cpp-python") from err
        if not Path(model_path).is_file():
            raise ModelError(f"model file not found: {model_path}")
        cpu.ensure()  # a portable build: pick the CPU code that runs here, before any model
        try:
            self._llama = llama_cpp.Llama(
                model_path=str(model_path),
                n_ctx=n_ctx,
                n_threads=n_threads,
                n_threads_batch=n_threads,
                seed=seed,
                n_gpu_layers=n_gpu_layers,
                verbose=False,
            )
        except (ValueError, RuntimeError) as err:
            raise ModelError(f"cannot load {model_path}: not a usable GGUF model ({err})") from err
        self._llama_cpp = llama_cpp
        meta = self._llama.metadata
        template = meta.get("tokenizer.chat_template") or fallback_template
        if not template:
            raise ModelError(f"{model_path} has no chat template: use an instruct/chat GGUF")
        vocab = self._llama
        eos = vocab.detokenize([vocab.token_eos()]).decode("utf-8", "ignore")
        bos = vocab.detokenize([vocab.token_bos()]).decode("utf-8", "ignore")
        self._format = Jinja2ChatFormatter(template, eos_token=eos, bos_token=bos)
        stops = {eos, "<|im_end|>", "<|endoftext|>", "<|eot_id|>"}
        if "[INST]" in template:  # Llama 2: never write the learner's next turn
            stops.add("[INST]")
        self._stops = sorted(s for s in stops if s)
        self.name = name
        self.temperature = temperature
        self.seed = seed
        self._lock = threading.Lock()
        self._state_dir = Path(state_dir) if state_dir else None
        self._head: list[int] = []
        """The tokens of the last conversation's fixed turns, evaluated without the adapter."""
        self._head_file: Path | None = None
        self._adapter = self._load_adapter(Path(adapter)) if adapter else None
        self._adapter_on = False
        self.adapter = Path(adapter).stem if adapter else None
        """The adapter's name, or None: a partner tuned by it needs no per-turn notes."""
        self._slot = MAIN
        """Whose tokens the KV cache holds now (:meth:`sharing`)."""
        self._parked: dict[str, _Parked] = {}
        """The other users' evaluated tokens, kept aside until they write again."""
        stat = Path(model_path).stat()
        self._identity = f"{Path(model_path).resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{n_ctx}"

    def _load_adapter(self, path: Path) -> Any:
        lib = self._llama_cpp
        if not path.is_file():
            raise ModelError(f"LoRA adapter not found: {path}")
        adapter = lib.llama_adapter_lora_init(self._llama.model, str(path).encode())
        if not adapter:
            raise ModelError(f"cannot load {path}: not a LoRA adapter for this model")
        self._llama._stack.callback(lib.llama_adapter_lora_free, adapter)  # before the model
        return adapter

    def _use_adapter(self, on: bool) -> None:
        """Switch the adapter on or off for the tokens evaluated from now on. Whatever the KV
        cache holds past the fixed turns was evaluated the other way, so it is dropped."""
        on = on and self._adapter is not None
        if on == self._adapter_on:
            return
        lib, ctx = self._llama_cpp, self._llama._ctx.ctx
        if on:
            adapters = (lib.llama_adapter_lora_p_ctypes * 1)(self._adapter)
            scales = (ctypes.c_float * 1)(1.0)
            failed = lib.llama_set_adapters_lora(ctx, adapters, 1, scales)
        else:
            failed = lib.llama_set_adapters_lora(ctx, None, 0, None)
        if failed:
            raise ModelError("llama.cpp refused to switch the LoRA adapter")
        self._adapter_on = on
        self._llama.n_tokens = min(self._llama.n_tokens, len(self._head))

    def _adapt_for(self, prompt: str, slot: str = MAIN) -> None:
        """The adapter is on for a conversation whose fixed turns were prefilled, and the KV
        cache holds those turns as the model alone evaluated them (as in training); never
        for another slot's text."""
        if self._adapter is None:
            return
        if slot != MAIN:
            self._use_adapter(False)
            return
        head = self._head
        ours = bool(head) and self._tokens(prompt)[: len(head)] == head
        if ours:
            self._ensure_head()  # a correction in between may have replaced the cache
        self._use_adapter(ours)

    def sharing(self, slot: str) -> SharedChat:
        """This model for another user (the correction pass), with its own KV cache: no
        second copy of the weights in memory. Each one's evaluated tokens are kept aside
        while the other writes, so neither evaluates its prompt again."""
        if slot == MAIN:
            raise ValueError(f"{MAIN!r} is the model's own slot")
        return SharedChat(self, slot)

    def _hold(self, slot: str) -> None:
        """Make the KV cache hold ``slot``'s tokens (call with the lock held)."""
        if slot == self._slot:
            return
        llama, lib, ctx = self._llama, self._llama_cpp, self._llama._ctx.ctx
        n = llama.n_tokens
        self._parked.pop(self._slot, None)
        if n:
            size = lib.llama_state_seq_get_size(ctx, 0)
            state = (ctypes.c_uint8 * size)()
            got = lib.llama_state_seq_get_data(ctx, state, size, 0)
            if got:
                tokens = [int(t) for t in llama.input_ids[:n]]
                self._parked[self._slot] = _Parked(tokens, state, got, self._adapter_on)
        self._slot = slot
        parked = self._parked.pop(slot, None)
        llama.n_tokens = 0
        lib.llama_memory_clear(lib.llama_get_memory(ctx), True)
        llama._requires_eval = True  # the logits are someone else's: evaluate before sampling
        if parked is None:
            return
        self._use_adapter(parked.adapter_on)  # as its tokens were evaluated
        if lib.llama_state_seq_set_data(ctx, parked.state, parked.size, 0):
            llama.input_ids[: len(parked.tokens)] = parked.tokens
            llama.n_tokens = len(parked.tokens)
        else:  # only costs time: its prompt is evaluated again
            log.warning("llama.cpp could not restore a kept KV cache; evaluating again")
            lib.llama_memory_clear(lib.llama_get_memory(ctx), True)

    @property
    def context_size(self) -> int:
        return int(self._llama.n_ctx())

    def count_tokens(self, text: str) -> int:
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def _prompt(self, turns: Sequence[ChatTurn]) -> str:
        messages = [{"role": t.role, "content": t.content} for t in turns]
        return self._format(messages=messages).prompt

    def prefill(
        self,
        turns: Sequence[ChatTurn],
        fixed: int = 0,
        *,
        slot: str = MAIN,
        started: str = "",
        whole: bool = False,
    ) -> None:
        """Evaluate the prompt up to where the next user message's text will start, or up to
        the end of ``started``, the part of that message already known; ``whole``: the
        prompt for a reply to ``turns`` as it is (the last is the user's whole message).

        The evaluated state (KV cache) of the first ``fixed`` turns, which never change in
        a conversation (system prompt, example exchanges), is kept in ``state_dir`` the
        first time and loaded from there afterwards: a long role-play prompt costs its
        evaluation once per model and prompt, not at every session start.
        """
        if whole:
            prefix = self._prompt(turns)
        else:
            text = self._prompt([*turns, ChatTurn("user", started + _MARK)])
            prefix = text.split(_MARK, 1)[0]
        with self._lock:
            self._hold(slot)
            if fixed and (self._state_dir or self._adapter) and slot == MAIN:
                self._fixed_state(list(turns[:fixed]))
            self._adapt_for(prefix, slot)
            for _ in self._llama.create_completion(prefix, max_tokens=1, stream=True):
                break

    def _tokens(self, text: str) -> list[int]:
        return self._llama.tokenize(text.encode("utf-8"), special=True)

    def head(self, fixed: Sequence[ChatTurn]) -> tuple[str, list[int]]:
        """The prompt text of the ``fixed`` turns as the chat template begins every prompt
        after them (up to where the next turn's text starts), and its tokens: what is kept
        evaluated (and what an adapter is trained after, ``train/partner_lora.py``)."""
        after = "assistant" if fixed[-1].role == "user" else "user"
        text = self._prompt([*fixed, ChatTurn(after, _MARK)]).split(_MARK, 1)[0]
        return text, self._tokens(text)

    def _fixed_state(self, fixed: list[ChatTurn]) -> None:
        """Load the evaluated state of the ``fixed`` turns, or evaluate them and keep it."""
        head, tokens = self.head(fixed)
        if tokens != self._head:  # another conversation: nothing after its head is reused
            self._use_adapter(False)
            self._head = tokens
        key = hashlib.sha256(f"{self._identity}|{head}".encode()).hexdigest()[:32]
        self._head_file = self._state_dir / f"{key}.state" if self._state_dir else None
        self._ensure_head()

    def _ensure_head(self) -> None:
        """Put the fixed turns' state in the KV cache, evaluated without the adapter: from
        the cache itself, from the kept state file, or by evaluating them (and keeping it)."""
        tokens, path, llama = self._head, self._head_file, self._llama
        if llama.n_tokens >= len(tokens) and list(llama.input_ids[: len(tokens)]) == tokens:
            return  # already in the KV cache, evaluated without the adapter (only ever so)
        self._use_adapter(False)
        lib, ctx = self._llama_cpp, llama._ctx.ctx
        if path is not None and path.is_file():
            out = (lib.llama_token * len(tokens))()
            count = ctypes.c_size_t(0)
            llama.reset()
            if (
                lib.llama_state_load_file(
                    ctx, str(path).encode(), out, len(tokens), ctypes.byref(count)
                )
                and list(out[: count.value]) == tokens
            ):
                llama.input_ids[: len(tokens)] = tokens
                llama.n_tokens = len(tokens)
                return
            log.warning("prompt state %s is unusable; evaluating the prompt again", path)
        llama.reset()
        llama.eval(tokens)  # from position 0: whatever a failed load left is dropped first
        if path is None:
            return
        array = (lib.llama_token * len(tokens))(*tokens)

        def save(part: Path) -> None:
            if not lib.llama_state_save_file(ctx, str(part).encode(), array, len(tokens)):
                raise OSError("llama.cpp could not save the state")

        try:
            write_file(path, save)
        except StorageError as err:  # a read-only cache only costs time
            log.warning("cannot keep the prompt state in %s: %s", path.parent, err)

    def stream(
        self, turns: Sequence[ChatTurn], max_tokens: int, *, slot: str = MAIN
    ) -> Iterator[str]:
        prompt = self._prompt(turns)
        with self._lock:
            self._hold(slot)
            self._adapt_for(prompt, slot)
            chunks = self._llama.create_completion(
                prompt,
                max_tokens=max_tokens,
                temperature=self.temperature,
                top_p=0.9,
                repeat_penalty=1.1,
                seed=self.seed,
                stop=self._stops,
                stream=True,
            )
            for chunk in chunks:
                piece = chunk["choices"][0]["text"]
                if piece:
                    yield piece

    def complete_json(
        self,
        turns: Sequence[ChatTurn],
        schema: dict[str, Any],
        max_tokens: int,
        *,
        slot: str = MAIN,
    ) -> dict[str, Any]:
        grammar = self._llama_cpp.LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
        prompt = self._prompt(turns)
        with self._lock:
            self._hold(slot)
            self._use_adapter(False)
            out = self._llama.create_completion(
                prompt,
                max_tokens=max_tokens,
                temperature=0.0,
                grammar=grammar,
                stop=self._stops,
            )
        text = out["choices"][0]["text"]
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            log.warning("LLM returned unparsable JSON (cut at max_tokens?): %.80s", text)
            return {}
        return value if isinstance(value, dict) else {}


class SharedChat:
    """:class:`LlamaChat` for a second user (:meth:`LlamaChat.sharing`): the same weights,
    its own KV cache (kept aside while the model's own conversation writes)."""

    def __init__(self, chat: LlamaChat, slot: str) -> None:
        self.chat, self.slot = chat, slot
        self.name = chat.name
        self.adapter = None
        """Answers use the model as it is, without the partner's adapter."""

    @property
    def context_size(self) -> int:
        return self.chat.context_size

    def count_tokens(self, text: str) -> int:
        return self.chat.count_tokens(text)

    def prefill(
        self, turns: Sequence[ChatTurn], fixed: int = 0, *, started: str = "", whole: bool = False
    ) -> None:
        self.chat.prefill(turns, 0, slot=self.slot, started=started, whole=whole)

    def stream(self, turns: Sequence[ChatTurn], max_tokens: int) -> Iterator[str]:
        return self.chat.stream(turns, max_tokens, slot=self.slot)

    def complete_json(
        self, turns: Sequence[ChatTurn], schema: dict[str, Any], max_tokens: int
    ) -> dict[str, Any]:
        return self.chat.complete_json(turns, schema, max_tokens, slot=self.slot)
