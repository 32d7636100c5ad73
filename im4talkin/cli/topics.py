"""``im4talkin topics``: the topics a conversation can be about."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ..tutor.topics import available, load_topic


def topics() -> None:
    """List the conversation topics."""
    table = Table("topic", "title", "partner", "reading sentences")
    for name in available():
        t = load_topic(name)
        table.add_row(
            name, t.title, t.persona.split(",")[0].removeprefix("You are "), str(len(t.reading))
        )
    Console().print(table)
