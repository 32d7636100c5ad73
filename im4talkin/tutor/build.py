"""Assemble a conversation from settings: the only place that turns config into objects."""

from __future__ import annotations

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


def _feedback_stack(settings: Settings) -> tuple[list[Any], Any, Any]:
    checkers: list[Any] = []
    harper = None
    if settings.feedback.harper:
        harper = registry.create("checker", "harper", settings)
        checkers.append(harper)
    if settings.feedback.rules:
        checkers.append(registry.create("checker", "rules", settings))
    return checkers, load_nlp(), harper


def build_conversation(settings: Settings, topic: Topic, progress: Any = None) -> Conversation:
    """Load the partner model, the checkers and (if enabled) the feedback LLM, in parallel."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        checks = pool.submit(_feedback_stack, settings)
        model = registry.create("llm", settings.llm.name, settings, progress=progress)
        critic = None
        if settings.feedback.llm:
            critic = registry.create("llm", settings.llm.name, settings, n_ctx=FEEDBACK_CTX)
        checkers, nlp, harper = checks.result()
    partner = Partner(model, topic, settings.level, settings.llm.max_tokens, settings.llm.seed)
    engine = FeedbackEngine(
        checkers, nlp, critic, topic.vocabulary, settings.feedback.llm_max_tokens
    )
    return Conversation(
        partner,
        engine,
        is_english=harper.is_english if harper else None,
        llm_feedback=settings.feedback.llm,
    )
