"""``im4talkin topics``: the topics a conversation can be about."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ..tutor.prompts import partner_name
from ..tutor.topics import available, load_topic


def topics() -> None:
    """List the conversation topics."""
    table = Table("topic", "title", "partner", "reading sentences")
    for name in available():
        t = load_topic(name)
        table.add_row(name, t.title, partner_name(t), str(len(t.reading)))
    Console().print(table)
