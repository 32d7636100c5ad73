"""Learner English on its own terms: made-up forms corrected, no learner refused as "not English".

Two held-out sets, written by a helper that saw neither the code nor the dev set, before the
rules and the language check were tuned, and never tuned on:

- ``bench/data/nonword_forms_heldout.jsonl``: 54 sentences with one made-up learner form
  (over-regular past or participle, plural of an uncountable noun, regular plural of an
  irregular noun) and its whole corrected sentence, plus 16 correct sentences with words that
  look made up. The fast feedback stack of ``talk`` (Harper + learner rules, merged) runs on
  each; a mistake counts as fixed only when applying every correction gives exactly the
  corrected sentence; a correct sentence must come back unchanged.
- ``bench/data/language_heldout.jsonl``: 40 learner sentences full of mistakes and 43 lines
  in 10 other languages and in Russian written in Latin letters. Also every sentence of the dev set,
  the held-out feedback set and JFLEG's 754 real learner sentences, which must all pass.

The old check (Harper's ``is_likely_english`` on 3+ words, or under 80% Latin letters) runs
beside the new one for comparison.

    python bench/learner_english.py
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict

from _common import DEV_SET, ROOT, heldout_set

from im4talkin import registry
from im4talkin.config import load_settings
from im4talkin.feedback.engine import merge
from im4talkin.feedback.language import looks_english

FORMS = ROOT / "bench" / "data" / "nonword_forms_heldout.jsonl"
LANGS = ROOT / "bench" / "data" / "language_heldout.jsonl"
JFLEG = ROOT.parent / "shared" / "data" / "jfleg" / "dev.src"


def _jsonl(path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def _apply(text: str, corrections) -> str:
    for c in sorted(corrections, key=lambda c: c.start, reverse=True):
        text = text[: c.start] + c.corrected + text[c.end :]
    return " ".join(text.split())


def forms() -> None:
    settings = load_settings()
    checkers = [registry.create("checker", n, settings) for n in ("harper", "rules")]
    rows: dict[str, Counter] = defaultdict(Counter)
    misses = []
    for item in _jsonl(FORMS):
        found = merge([c for checker in checkers for c in checker.check(item["text"])])
        got = _apply(item["text"], found)
        ok = got == " ".join(item["corrected"].split())
        rows[item["kind"]]["n"] += 1
        rows[item["kind"]]["ok"] += ok
        if not ok:
            misses.append(
                f"- [{item['kind']}] {item['text']!r} -> {got!r} (want {item['corrected']!r})"
            )
    print("| kind | sentences | whole sentence right |")
    print("| --- | --- | --- |")
    for kind, row in rows.items():
        print(f"| {kind} | {row['n']} | {row['ok']} ({100 * row['ok'] / row['n']:.0f}%) |")
    print("\nNot right:")
    print("\n".join(misses) or "(none)")


def _old_check():
    import harper

    linter = harper.Linter(harper.Dialect.AMERICAN)

    def old(text: str) -> bool:
        letters = [c for c in text if c.isalpha()]
        latin = sum(c.isascii() for c in letters) / max(1, len(letters))
        return not (latin < 0.8 or (len(text.split()) >= 3 and not linter.is_likely_english(text)))

    return old


def languages() -> None:
    old = _old_check()
    lines = _jsonl(LANGS)
    sets = {
        "held-out learner sentences": [x["text"] for x in lines if x["english"]],
        "feedback held-out set": [x["text"] for x in heldout_set()],
    }
    if DEV_SET.exists():
        sets["dev set"] = [x["text"] for x in _jsonl(DEV_SET)]
    if JFLEG.exists():
        sets["JFLEG dev.src"] = [x for x in JFLEG.read_text().splitlines() if x.strip()]
    print("| English learner text | sentences | refused now | refused by the old check |")
    print("| --- | --- | --- | --- |")
    for name, texts in sets.items():
        new = [t for t in texts if not looks_english(t)]
        was = sum(not old(t) for t in texts)
        print(f"| {name} | {len(texts)} | {len(new)} | {was} |")
        for t in new:
            print(f"|   refused: {t!r} | | | |")
    foreign = [x for x in lines if not x["english"]]
    by_lang: dict[str, Counter] = defaultdict(Counter)
    for x in foreign:
        by_lang[x["lang"]]["n"] += 1
        by_lang[x["lang"]]["new"] += not looks_english(x["text"])
        by_lang[x["lang"]]["old"] += not old(x["text"])
    print("\n| other language | lines | refused now | refused by the old check |")
    print("| --- | --- | --- | --- |")
    for lang, row in by_lang.items():
        print(f"| {lang} | {row['n']} | {row['new']} | {row['old']} |")
    total = sum(r["new"] for r in by_lang.values())
    print(f"| all | {len(foreign)} | {total} | {sum(r['old'] for r in by_lang.values())} |")
    passed = [x["text"] for x in foreign if looks_english(x["text"])]
    print("\nOther-language lines let through:")
    print("\n".join(f"- {t!r}" for t in passed) or "(none)")


if __name__ == "__main__":
    forms()
    print()
    languages()
