"""Harper (harper-py) grammar lints, turned into learner corrections.

A transcript has no capitals or punctuation and Harper's spelling suggestions on it are
noise (paris -> par's), so those lints are dropped. Harper may print stray debug lines to
stdout; they are swallowed so that ``talk --json`` keeps stdout clean.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator

from ..errors import MissingDependency
from ..messages import Correction

DROPPED_KINDS = frozenset(
    {"Capitalization", "Punctuation", "Spelling", "Formatting", "Readability", "Style", "Typo"}
)
"""Harper lint kinds that make no sense on speech transcripts or for a learner."""

RULE_KINDS = {
    "AnA": "article",
    "PronounVerbAgreement": "agreement",
    "PronounInflectionBe": "agreement",
    "RegularIrregulars": "verb form",
    "DidPast": "verb form",
    "LookingForwardTo": "verb form",
    "MassNouns": "countability",
    "SinceDuration": "preposition",
    "ArriveTo": "preposition",
    "AdjectiveDoubleDegree": "comparison",
    "ThenThan": "word choice",
    "TheirToThere": "word choice",
}
"""Harper rule name -> the learner-facing mistake kind."""

LINT_KINDS = {"Agreement": "agreement", "WordChoice": "word choice", "Usage": "word choice"}

EXPLAIN = {
    "AnA": "Use 'an' before a vowel sound and 'a' before a consonant sound.",
    "PronounVerbAgreement": "The verb must agree with its subject: he/she/it takes -s.",
    "PronounInflectionBe": "Match 'be' to the subject: I am, he is, we/you/they are.",
    "RegularIrregulars": "This verb is irregular: its past form is '{fix}'.",
    "DidPast": "After 'did' or 'didn't', use the base form of the verb.",
    "LookingForwardTo": "'Looking forward to' is followed by a noun or an -ing verb.",
    "MassNouns": "'{fix}' is uncountable: it has no plural form.",
    "SinceDuration": "Use 'for' with a length of time and 'since' with a starting point.",
    "ArriveTo": "We arrive 'in' a city or country and 'at' a place, not 'to'.",
    "AdjectiveDoubleDegree": "Use either 'more/most' or the -er/-est form, not both.",
}

PREFERRED = {"ArriveTo": "in"}
"""Where Harper offers several fixes in no stable order, the one a learner most often needs."""


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Send file descriptor 1 to /dev/null for the duration (Harper's Rust code prints there)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


class HarperChecker:
    """Harper's grammar checker; build one and reuse it (construction takes ~1 s)."""

    source = "harper"

    def __init__(self) -> None:
        try:
            import harper
        except ImportError as err:
            raise MissingDependency("the grammar checker", "harper-py") from err
        self._linter = harper.Linter(harper.Dialect.AMERICAN)
        self._lock = threading.Lock()

    def check(self, text: str) -> list[Correction]:
        """Grammar corrections for one learner sentence, in text order."""
        with self._lock, _quiet_stdout():
            organized = self._linter.organized_lints(text, language="plaintext")
        out = []
        for rule, lints in sorted(organized.items()):
            for lint in lints:
                fix = self._correction(rule, lint, text)
                if fix is not None:
                    out.append(fix)
        return sorted(out, key=lambda c: c.start)

    def _correction(self, rule: str, lint, text: str) -> Correction | None:
        if lint.lint_kind in DROPPED_KINDS:
            return None
        options = sorted({s.replacement_text for s in lint.suggestions})
        if not options:
            return None
        preferred = PREFERRED.get(rule)
        fix = preferred if preferred in options else options[0]
        start, end = lint.span.start, lint.span.end
        original = text[start:end]
        if fix.strip().lower() == original.strip().lower():
            return None
        kind = RULE_KINDS.get(rule) or LINT_KINDS.get(lint.lint_kind, "grammar")
        why = EXPLAIN.get(rule, lint.message).format(fix=fix)
        return Correction(original, fix, why, kind, self.source, start, end)
