"""The report in the terminal: Rich tables, bars and sparklines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

TICKS = "▁▂▃▄▅▆▇█"
BAR_WIDTH = 24


def sparkline(values: Sequence[float]) -> str:
    """``▁▃▅█``: one character per value, scaled between the smallest and the largest."""
    if not values:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    return "".join(TICKS[round((v - low) / span * (len(TICKS) - 1))] for v in values)


def bar(value: float, largest: float, width: int = BAR_WIDTH) -> str:
    """A horizontal bar of ``value`` against ``largest``."""
    filled = round(width * value / largest) if largest > 0 else 0
    return "█" * filled + "·" * (width - filled)


def _table(title: str, *columns: str) -> Table:
    table = Table(
        title=title, title_justify="left", title_style="bold", box=None, show_header=any(columns)
    )
    for i, name in enumerate(columns):
        table.add_column(name, justify="right" if i else "left", no_wrap=i == 0)
    return table


def _header(data: dict[str, Any]) -> Panel:
    game = data["gamification"]
    window = []
    if data["since"]:
        window.append(f"since {data['since'][:10]}")
    if data["topic"]:
        window.append(f"topic {data['topic']}")
    lines = [
        Text.assemble(
            (f"{data['learner']}", "bold"),
            f"  level {game['level']}  {game['xp']} XP  ",
            (bar(game["xp_into_level"], game["xp_for_next_level"], 20), "green"),
            f"  {game['xp_into_level']}/{game['xp_for_next_level']} to level {game['level'] + 1}",
        ),
        Text(
            f"streak {data['streak_days']} day{'s' * (data['streak_days'] != 1)} "
            f"(best {data['practice']['best_streak_days']})"
        ),
    ]
    if game["badges"]:
        lines.append(Text("badges: " + ", ".join(b["title"] for b in game["badges"]), "yellow"))
    if window:
        lines.append(Text(", ".join(window), "dim"))
    return Panel(Group(*lines), title="im4talkin report", border_style="cyan")


def _practice(p: dict[str, Any]) -> Table:
    table = _table("Practice", "", "")
    rows = [
        ("sessions", p["sessions"]),
        ("turns", f"{p['turns']} ({p['spoken_turns']} spoken)"),
        ("minutes spoken", p["minutes_spoken"]),
        ("words", f"{p['words']} ({p['words_spoken']} spoken)"),
        ("enrolment minutes", p["enrolment_minutes"]),
        ("days practised", p["days_practised"]),
    ]
    for name, value in rows:
        table.add_row(name, str(value))
    daily = [d["turns"] for d in p["daily"]]
    if daily:
        table.add_row("turns per day", Text(sparkline(daily), "cyan"))
    return table


def _accuracy(a: dict[str, Any]) -> Group:
    parts: list[Any] = []
    weekly = [w["per_100_words"] for w in a["by_week"]]
    trend = Text.assemble(
        ("Accuracy", "bold"),
        f"  {a['mistakes']} mistakes, {a['per_100_words']} per 100 words",
    )
    if weekly:
        trend.append(f"   by week {sparkline(weekly)} ", "cyan")
        trend.append(f"{weekly[0]} -> {weekly[-1]}")
    parts.append(trend)
    if a["by_kind"]:
        kinds = _table("Mistakes by kind", "", "", "")
        largest = max(a["by_kind"].values())
        for kind, n in a["by_kind"].items():
            kinds.add_row(kind, str(n), Text(bar(n, largest), "red"))
        parts.append(kinds)
    if a["top"]:
        top = _table("Most frequent mistakes", "you said", "better", "times", "kind")
        for m in a["top"]:
            top.add_row(
                Text(m["original"], "red"),
                Text(m["corrected"], "green"),
                str(m["count"]),
                m["kind"],
            )
        parts.append(top)
    if a["fixed"]:
        fixed = ", ".join(f"{m['original']} -> {m['corrected']}" for m in a["fixed"][:8])
        parts.append(Text.assemble(("Fixed: ", "bold green"), fixed))
    return Group(*parts)


def _speech(s: dict[str, Any]) -> Text | None:
    if not s["readings"] and not s["finetunes"]:
        return None
    line = Text.assemble(("Speech", "bold"))
    if s["readings"]:
        trend = [d["score"] for d in s["reading_trend"]]
        line.append(f"  reading score {s['reading_score']} ({s['readings']} sentences) ")
        line.append(sparkline(trend), "cyan")
    if s["wer_before"] is not None:
        line.append(
            f"  recognition WER {100 * s['wer_before']:.1f}% -> {100 * s['wer_after']:.1f}% "
            "after fine-tuning"
        )
        if s.get("wer_interval"):
            low, high = s["wer_interval"]
            line.append(
                f" ({s['wer_change']:+.0%}, 90% interval {low:+.0%} to {high:+.0%}, "
                f"{s['wer_sentences']} held-out sentences)"
            )
    return line


def _sounds(sounds: list[dict[str, Any]]) -> Table | None:
    if not sounds:
        return None
    table = _table("Sounds to work on", "said", "times", "this week", "last week", "words")
    for s in sounds:
        said = (
            f"/{s['expected']}/ as /{s['heard']}/" if s["heard"] else f"/{s['expected']}/ left out"
        )
        table.add_row(
            said, str(s["count"]), str(s["this_week"]), str(s["last_week"]), ", ".join(s["words"])
        )
    return table


def _vocabulary(v: dict[str, Any]) -> Group:
    head = Text.assemble(
        ("Vocabulary", "bold"),
        f"  {v['distinct_words']} different words, {v['new_this_week']} new this week",
    )
    if v["new_words"]:
        head.append("  (" + ", ".join(v["new_words"][:10]) + ")", "dim")
    parts: list[Any] = [head]
    if v["topics"]:
        table = _table("Topic vocabulary used", "", "", "")
        for t in v["topics"]:
            table.add_row(
                t["topic"],
                f"{t['covered']}/{t['total']}",
                Text(bar(t["covered"], t["total"]), "green"),
            )
        parts.append(table)
    return Group(*parts)


def render(console: Console, data: dict[str, Any]) -> None:
    """Print the whole report; a friendly first-steps note when there is no history."""
    if data["first_steps"]:
        console.print(Panel(data["first_steps"], title="im4talkin report", border_style="cyan"))
        return
    console.print(_header(data))
    if not data["turns"] and not data["speech"]["readings"]:
        console.print("Nothing in this window: try a wider --since or another --topic.")
        return
    console.print(_practice(data["practice"]))
    console.print()
    console.print(_accuracy(data["accuracy"]))
    speech = _speech(data["speech"])
    if speech is not None:
        console.print()
        console.print(speech)
    sounds = _sounds(data["speech"]["sounds"])
    if sounds is not None:
        console.print()
        console.print(sounds)
    console.print()
    console.print(_vocabulary(data["vocabulary"]))
    review = data["review"]
    if review["cards"]:
        console.print()
        console.print(
            f"[bold]Review[/]  {review['due']} of {review['cards']} sentences due now "
            f"({review['right']}/{review['reviews']} right so far): im4talkin review"
        )
