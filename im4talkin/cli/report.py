"""``im4talkin report``: practice, accuracy, speech, vocabulary, XP and badges of one learner."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ..config import load_settings, override
from ..progress.history import load_history, pick_learner
from ..report.aggregate import build_report, parse_since
from ..report.html import write
from ..report.terminal import render
from ..store.db import Store
from ..tutor.topics import load_topic


def report(
    learner: Annotated[
        str | None, typer.Option(help="Whose progress to show (default: from the config).")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only practice since a date (2026-11-01) or 7d / 4w ago.")
    ] = None,
    topic: Annotated[str | None, typer.Option(help="Only conversations on this topic.")] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="The report as one JSON object on stdout.")
    ] = False,
    html: Annotated[
        Path | None,
        typer.Option("--html", help="Also write the report with charts to this HTML file."),
    ] = None,
    profile: Annotated[str | None, typer.Option(help="Settings profile from configs/.")] = None,
) -> None:
    """Show your progress: practice, mistakes, speech, vocabulary, XP and badges."""
    settings = override(load_settings(profile), learner=learner)
    now = datetime.now().astimezone()
    start = parse_since(since, now)
    chosen = load_topic(topic).name if topic else None
    store = Store()
    try:
        name = pick_learner(store, settings.learner, named=learner is not None)
        history = load_history(store, name)
    finally:
        store.close()
    data = build_report(history, now, start, chosen)
    if html:
        write(html, data)
    if json_out:
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
        return
    console = Console()
    render(console, data)
    if html:
        console.print(f"[dim]report with charts written to {html}[/]")
