"""Assemble a conversation from settings: the only place that turns config into objects."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .. import registry
from ..config import Settings
from ..feedback.engine import FeedbackEngine
from ..feedback.rules import load_nlp
from .partner import Partner
from .session import Conversation
from .topics import Topic

FEEDBACK_CTX = 1024
"""Context of the LLM instance that writes corrections (short prompts, one sentence)."""


def _feedback_stack(settings: Settings) -> tuple[list[Any], Any]:
    checkers: list[Any] = []
    if settings.feedback.harper:
        checkers.append(registry.create("checker", "harper", settings))
    if settings.feedback.rules:
        checkers.append(registry.create("checker", "rules", settings))
    return checkers, load_nlp()


def _recogniser(settings: Settings) -> Any:
    asr = registry.create("asr", settings.asr.name, settings)
    asr.warm_up()
    return asr


def _critic(model: Any, settings: Settings) -> Any:
    """The model that writes corrections: the partner's own weights with a KV cache of its
    own (llama.cpp), so the laptop holds one copy; a server backend gets its own client."""
    if hasattr(model, "sharing"):
        return model.sharing("corrections")
    return registry.create("llm", settings.llm.name, settings, n_ctx=FEEDBACK_CTX, replies=False)


def build_conversation(
    settings: Settings,
    topic: Topic,
    progress: Any = None,
    listen: bool = False,
    voice: Callable[[Any], Any] | None = None,
) -> Conversation:
    """Load the partner model, the checkers, the feedback LLM and the speech models in parallel.

    ``listen`` loads speech recognition; ``voice``, if given, turns the loaded TTS model into
    the conversation's speaker (e.g. a :class:`~im4talkin.audio.playback.Speaker` factory).
    """
    with ThreadPoolExecutor(max_workers=2) as pool:
        checks = pool.submit(_feedback_stack, settings)
        asr = pool.submit(_recogniser, settings) if listen else None
        sounds = None
        if listen and settings.feedback.sounds:
            sounds = pool.submit(lambda: registry.sound_checker(settings, checks.result()[1]))
        tts = pool.submit(registry.create, "tts", settings.tts.name, settings) if voice else None
        model = registry.create("llm", settings.llm.name, settings, progress=progress)
        critic = None
        if settings.feedback.llm:
            critic = _critic(model, settings)
        checkers, nlp = checks.result()
        recogniser = asr.result() if asr else None
        checker = sounds.result() if sounds else None
        speaker = voice(tts.result()) if voice and tts else None
    partner = Partner(model, topic, settings.level, settings.llm.max_tokens, settings.llm.seed)
    engine = FeedbackEngine(
        checkers, nlp, critic, topic.vocabulary, settings.feedback.llm_max_tokens
    )
    return Conversation(
        partner,
        engine,
        llm_feedback=settings.feedback.llm,
        asr=recogniser,
        speaker=speaker,
        trim=registry.create("vad", "silero", settings) if listen else None,
        sounds=checker,
    )
