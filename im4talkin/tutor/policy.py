"""The reply policy: what kind of turn the learner just took, and what the reply must do.

A question is answered before anything else; a goodbye gets a goodbye and no question;
anything else gets a reply to exactly what was said. The kind shapes a short note added to
the learner's turn for the model (never stored in the history) and the checks on the
reply's sentences.
"""

from __future__ import annotations

import re
from enum import Enum

_GOODBYE = re.compile(
    r"\b(good ?bye|bye(?:[- ]bye)?|see you|good ?night|farewell|take care|"
    r"have a (?:nice|good|great|lovely|wonderful) (?:day|evening|night|weekend|one|trip)|"
    r"that'?s all(?: for (?:today|now))?|i (?:have|need|must) to go(?: now)?)\b",
    re.IGNORECASE,
)
_ASKING = re.compile(
    r"^(?:and |so |but |ok(?:ay)? |please |excuse me )*"
    r"(what|where|when|who|whom|which|whose|why|how|is|are|am|was|were|do|does|did|can|"
    r"could|will|would|shall|should|may|might|have|has)\b",
    re.IGNORECASE,
)
_DEFLECTION = re.compile(
    r"^(?:that'?s|it'?s|what|such) an? (?:good|great|important|interesting|excellent) question",
    re.IGNORECASE,
)


class Kind(Enum):
    """What the learner's turn asks of the reply."""

    STATEMENT = "statement"
    QUESTION = "question"
    GOODBYE = "goodbye"


def is_goodbye(text: str) -> bool:
    """Whether the learner is taking leave ("thank you doctor, goodbye", "see you")."""
    return bool(_GOODBYE.search(text))


def asks(text: str) -> bool:
    """Whether the learner's turn holds a question: a '?', or a clause opening like one."""
    if "?" in text:
        return True
    return any(_ASKING.match(c.strip()) for c in re.split(r"[,.;!]", text) if c.strip())


def kind_of(text: str) -> Kind:
    """A goodbye outranks a question in it ("can I pay by card? thanks, bye")."""
    if is_goodbye(text):
        return Kind.GOODBYE
    return Kind.QUESTION if asks(text) else Kind.STATEMENT


NOTES = {
    Kind.STATEMENT: ("", "(Reply to that in one short sentence.)"),
    Kind.QUESTION: ("(Answer from your card.)", "(Answer my question in one sentence.)"),
    Kind.GOODBYE: ("(Say goodbye. No question.)", "(Just say goodbye.)"),
}
"""The note added to the learner's turn for the model: the first try, then the retry."""


def note(kind: Kind, attempt: int) -> str:
    """The note for ``kind`` on try ``attempt`` (0 or 1)."""
    return NOTES[kind][min(attempt, 1)]


def problem(sentence: str, kind: Kind, position: int) -> str | None:
    """Why the reply's sentence number ``position`` (0-based) breaks the policy, or None."""
    question = sentence.rstrip("\"') ").endswith("?")
    if kind is Kind.GOODBYE and question:
        return "asks after a goodbye"
    if kind is Kind.QUESTION and position == 0 and (question or _DEFLECTION.match(sentence)):
        return "does not answer the question first"
    return None


FAREWELL = "It was lovely talking with you. Goodbye!"
"""The goodbye when the model could not write one twice."""
