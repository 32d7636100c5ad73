"""Topic files (``topics/*.toml``): the partner's persona, scenario, vocabulary, openers,
fallback questions, reading passages, and the role-play (the learner's goal, the scene's
stages, the card of facts the partner keeps to, and example exchanges)."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..errors import TopicError
from ..paths import shipped

_LISTS = {"goals": 1, "vocabulary": 1, "openers": 1, "questions": 3, "reading": 30}
"""List keys and the fewest items each must have."""
_TEXTS = ("name", "title", "persona", "scenario")


@dataclass(frozen=True)
class RolePlay:
    """A scene with a goal: what the partner knows and how a good exchange sounds."""

    goal: str
    """What the learner sets out to do, in the second person (shown at the start)."""
    stages: tuple[str, ...]
    """The scene's steps, in order (greet, order, a problem, pay)."""
    card: tuple[str, ...]
    """The facts the partner may use and must not contradict; nothing else is invented."""
    examples: tuple[tuple[str, str], ...]
    """(learner, partner) exchanges that show the reply policy on this card."""


@dataclass(frozen=True)
class Topic:
    """One conversation topic."""

    name: str
    title: str
    persona: str
    """Who the partner is, in the second person ("You are Sam, ...")."""
    scenario: str
    goals: tuple[str, ...]
    vocabulary: tuple[str, ...]
    openers: tuple[str, ...]
    """The partner's first lines; each ends with a question."""
    questions: tuple[str, ...]
    """Follow-up questions, the fallback when the model's reply is unusable."""
    reading: tuple[str, ...]
    """Sentences to read aloud (enrolment)."""
    roleplay: RolePlay | None = None
    """The scene, when the topic file has a ``[roleplay]`` table; else a free chat."""


def topics_dir() -> Path:
    """The topic files: ``IM4TALKIN_TOPICS_DIR`` if set, else those shipped with im4talkin."""
    env = os.environ.get("IM4TALKIN_TOPICS_DIR")
    return Path(env).expanduser() if env else shipped("topics")


def available(folder: Path | None = None) -> list[str]:
    """Names of the topics in ``folder``."""
    return sorted(p.stem for p in (folder or topics_dir()).glob("*.toml"))


def _line_of(text: str, key: str) -> int:
    match = re.search(rf"^\s*{re.escape(key)}\s*=", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def parse_topic(path: Path) -> Topic:
    """Read and check one topic file; TopicError names the file and line of a problem."""
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise TopicError(f"topic file {path} is malformed: {err}; fix that line") from err
    for key in _TEXTS:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            where = f"{path}:{_line_of(text, key)}" if key in data else str(path)
            raise TopicError(f"topic file {where}: '{key}' must be a non-empty string")
    lists = {}
    for key, least in _LISTS.items():
        value = data.get(key)
        where = f"{path}:{_line_of(text, key)}" if key in data else str(path)
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise TopicError(f"topic file {where}: '{key}' must be a list of non-empty strings")
        if len(value) < least:
            raise TopicError(f"topic file {where}: '{key}' needs at least {least} entries")
        lists[key] = tuple(v.strip() for v in value)
    roleplay = _roleplay(data.get("roleplay"), path, text) if "roleplay" in data else None
    return Topic(**{k: data[k].strip() for k in _TEXTS}, **lists, roleplay=roleplay)


def _roleplay(table: object, path: Path, text: str) -> RolePlay:
    match = re.search(r"^[ \t]*\[roleplay\]", text, re.MULTILINE)
    where = f"{path}:{text.count(chr(10), 0, match.start()) + 1}" if match else str(path)
    if not isinstance(table, dict):
        raise TopicError(f"topic file {where}: 'roleplay' must be a table ([roleplay])")
    goal = table.get("goal")
    if not isinstance(goal, str) or not goal.strip():
        raise TopicError(f"topic file {where}: roleplay 'goal' must be a non-empty string")
    lists = {}
    for key in ("stages", "card"):
        value = table.get(key)
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(v, str) and v.strip() for v in value)
        ):
            raise TopicError(f"topic file {where}: roleplay '{key}' must be a list of strings")
        lists[key] = tuple(v.strip() for v in value)
    examples = table.get("examples", [])
    pairs = []
    for item in examples if isinstance(examples, list) else [None]:
        pair = (item.get("learner"), item.get("partner")) if isinstance(item, dict) else ()
        if len(pair) != 2 or not all(isinstance(v, str) and v.strip() for v in pair):
            raise TopicError(
                f"topic file {where}: each roleplay example needs 'learner' and 'partner' text"
            )
        said, reply = pair
        pairs.append((said.strip(), reply.strip()))
    return RolePlay(goal.strip(), lists["stages"], lists["card"], tuple(pairs))


def load_topic(name: str, folder: Path | None = None) -> Topic:
    """The topic called ``name``; TopicError lists the valid names when it is unknown."""
    folder = folder or topics_dir()
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    path = folder / f"{key}.toml"
    if not key or not path.is_file():
        raise TopicError(f"unknown topic '{name}': choose one of {', '.join(available(folder))}")
    return parse_topic(path)
