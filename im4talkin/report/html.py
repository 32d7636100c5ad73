"""The report as one self-contained HTML page: inline CSS and SVG charts, no scripts."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from ..errors import InputError, StorageError
from ..store.files import write_file
from . import svg

STYLE = """
body { font-family: sans-serif; color: #333; max-width: 720px; margin: 24px auto; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; }
.tiles { display: flex; flex-wrap: wrap; gap: 10px; }
.tile { border: 1px solid #ddd; border-radius: 6px; padding: 8px 12px; min-width: 90px; }
.tile b { display: block; font-size: 20px; }
.badge { display: inline-block; background: #fff3c4; border-radius: 12px; padding: 2px 10px;
         margin: 2px; font-size: 13px; }
figure.chart { margin: 12px 0; } figcaption { font-size: 13px; color: #666; }
table { border-collapse: collapse; font-size: 14px; }
td, th { padding: 3px 10px; text-align: left; border-bottom: 1px solid #eee; }
.bad { color: #d62728; } .good { color: #2ca02c; } .none { color: #888; }
"""


def _tiles(data: dict[str, Any]) -> str:
    p = data["practice"]
    tiles = [
        ("sessions", data["sessions"]),
        ("turns", data["turns"]),
        ("minutes spoken", data["minutes_spoken"]),
        ("words", p["words"]),
        ("mistakes", data["mistakes"]),
        ("streak (days)", data["streak_days"]),
        ("best streak", p["best_streak_days"]),
        ("XP", data["xp"]),
    ]
    cells = "".join(f'<div class="tile"><b>{v}</b>{escape(k)}</div>' for k, v in tiles)
    return f'<div class="tiles">{cells}</div>'


def _none(what: str) -> str:
    return f'<p class="none">{escape(what)}</p>'


def _practice(p: dict[str, Any]) -> str:
    if not p["daily"]:
        return _none("No conversations in this window yet.")
    days = p["daily"][-60:]
    return svg.line_chart(
        "Turns per day", [d["date"] for d in days], [d["turns"] for d in days], svg.BLUE
    )


def _accuracy(a: dict[str, Any]) -> str:
    parts = []
    if a["by_week"]:
        weeks = a["by_week"]
        parts.append(
            svg.line_chart(
                "Mistakes per 100 words, by week",
                [w["week"] for w in weeks],
                [w["per_100_words"] for w in weeks],
                svg.RED,
            )
        )
    if a["by_kind"]:
        parts.append(
            svg.bar_chart(
                "Mistakes by kind", list(a["by_kind"]), list(a["by_kind"].values()), svg.RED
            )
        )
    if a["top"]:
        rows = "".join(
            f'<tr><td class="bad">{escape(m["original"])}</td>'
            f'<td class="good">{escape(m["corrected"])}</td>'
            f"<td>{m['count']}</td><td>{escape(m['kind'])}</td></tr>"
            for m in a["top"]
        )
        parts.append(
            "<h3>Most frequent mistakes</h3><table><tr><th>you said</th><th>better</th>"
            f"<th>times</th><th>kind</th></tr>{rows}</table>"
        )
    if a["fixed"]:
        items = "".join(
            f"<li>{escape(m['original'])} &rarr; {escape(m['corrected'])} "
            f"({m['count']} times, not in your last {m['turns_since']} turns)</li>"
            for m in a["fixed"]
        )
        parts.append(f"<h3>Fixed</h3><ul>{items}</ul>")
    return "".join(parts) or _none("No mistakes in this window.")


def _speech(s: dict[str, Any]) -> str:
    parts = []
    if s["reading_trend"]:
        trend = s["reading_trend"]
        parts.append(
            svg.line_chart(
                f"Reading score (0-100), average {s['reading_score']}",
                [d["date"] for d in trend],
                [d["score"] for d in trend],
                svg.GREEN,
                top=100,
            )
        )
    if s["finetunes"]:
        labels, values, colors = [], [], []
        for run in s["finetunes"]:
            labels += [f"{run['date']} before", f"{run['date']} after"]
            values += [round(100 * run["wer_before"], 1), round(100 * run["wer_after"], 1)]
            colors += [svg.ORANGE, svg.GREEN]
        parts.append(
            svg.bar_chart("Recognition word error rate (%)", labels, values, colors, unit="%")
        )
    if s["sounds"]:
        rows = "".join(
            f"<tr><td>/{escape(x['expected'])}/</td>"
            f'<td class="bad">{"/" + escape(x["heard"]) + "/" if x["heard"] else "left out"}</td>'
            f"<td>{x['count']}</td><td>{x['this_week']}</td><td>{x['last_week']}</td>"
            f"<td>{escape(', '.join(x['words']))}</td></tr>"
            for x in s["sounds"]
        )
        parts.append(
            "<h3>Sounds to work on</h3><table><tr><th>sound</th><th>said as</th><th>times</th>"
            f"<th>this week</th><th>last week</th><th>words</th></tr>{rows}</table>"
        )
    return "".join(parts) or _none("No enrolment or fine-tuning yet.")


def _vocabulary(v: dict[str, Any]) -> str:
    head = (
        f"<p>{v['distinct_words']} different words; {v['new_this_week']} new this week"
        + (f": {escape(', '.join(v['new_words']))}" if v["new_words"] else "")
        + "</p>"
    )
    if not v["topics"]:
        return head
    chart = svg.bar_chart(
        "Topic vocabulary used",
        [t["topic"] for t in v["topics"]],
        [t["covered"] for t in v["topics"]],
        svg.BLUE,
        top=max(t["total"] for t in v["topics"]),
    )
    return head + chart


def page(data: dict[str, Any]) -> str:
    """The whole report as an HTML document."""
    game = data["gamification"]
    title = f"im4talkin report: {data['learner']}"
    if data["first_steps"]:
        body = f"<p>{escape(data['first_steps'])}</p>"
    else:
        badges = "".join(f'<span class="badge">{escape(b["title"])}</span>' for b in game["badges"])
        body = (
            f"<p>Level {game['level']}, {game['xp']} XP ({game['xp_into_level']}/"
            f"{game['xp_for_next_level']} to level {game['level'] + 1}) {badges}</p>"
            + _tiles(data)
            + "<h2>Practice</h2>"
            + _practice(data["practice"])
            + "<h2>Accuracy</h2>"
            + _accuracy(data["accuracy"])
            + "<h2>Speech</h2>"
            + _speech(data["speech"])
            + "<h2>Vocabulary</h2>"
            + _vocabulary(data["vocabulary"])
        )
    window = " ".join(
        x for x in (data["since"] and f"since {data['since'][:10]}", data["topic"]) if x
    )
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
        f"</title><style>{STYLE}</style></head><body><h1>{escape(title)}</h1>"
        f'<p class="none">{escape(data["generated_at"][:16])} {escape(window)}</p>'
        f"{body}</body></html>\n"
    )


def write(path: Path, data: dict[str, Any]) -> Path:
    """Write the page to ``path``; InputError says why when it cannot be written."""
    try:
        write_file(path, page(data), fix="pick a writable file, e.g. --html report.html")
    except StorageError as err:  # the path given is the learner's to fix: bad input
        raise InputError(
            str(err).replace("cannot write", "cannot write the report to", 1)
        ) from None
    return path
