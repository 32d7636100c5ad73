"""Rich rendering of a conversation: the learner's line with mistakes marked, corrections,
praise, the partner's words, and the end-of-session summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..messages import Correction, TurnResult
from ..tutor.prompts import partner_name
from ..tutor.topics import Topic

CLOSING = "That sounded like goodbye: /quit ends the session (it is all saved), or keep talking."
"""Said after the partner's goodbye: the learner decides whether the session ends."""


def header(console: Console, topic: Topic, level: str, model: str, spoken: bool = False) -> None:
    how = (
        "Press Enter to speak and Enter to stop, or type a sentence. /text types a turn;"
        " /quit ends the session."
        if spoken
        else "Type your answer and press Enter. /quit ends the session; Ctrl-C too."
    )
    console.print(
        Panel(
            Text.assemble(
                (f"{topic.title}", "bold"),
                f" with {partner_name(topic)} - level {level} - {model}\n",
                *((("Your goal: ", "bold"), f"{topic.roleplay.goal}\n") if topic.roleplay else ()),
                (how, "dim"),
            ),
            title="im4talkin",
            border_style="cyan",
        )
    )


def marked(text: str, corrections: Sequence[Correction]) -> Text:
    """The learner's sentence with each corrected stretch underlined in red."""
    out = Text(text)
    for c in corrections:
        if 0 <= c.start < c.end <= len(text):
            out.stylize("bold red underline", c.start, c.end)
    return out


def feedback_panel(result: TurnResult) -> Panel:
    """What the learner wrote, the corrections with why, and praise."""
    fb = result.feedback
    who = "Heard: " if result.input == "audio" else "You: "
    parts: list = [Text.assemble((who, "bold"), marked(result.transcript, fb.corrections))]
    parts += [Text(f"(heard by its sounds: {line})", style="dim") for line in result.heard]
    if fb.corrections:
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        table.add_column("you wrote", style="red")
        table.add_column("better", style="green")
        table.add_column("why")
        for c in fb.corrections:
            table.add_row(c.original, c.corrected, f"{c.explanation} [dim]({c.kind})[/]")
        parts.append(table)
    if fb.praise:
        parts.append(Text.assemble(("+ ", "bold green"), (fb.praise, "green")))
    for s in result.sounds:
        parts.append(Text.assemble(("sound: ", "bold magenta"), s.note))
    n = len(fb.corrections)
    title = "feedback: no corrections" if not n else f"feedback: {n} correction{'s' * (n > 1)}"
    return Panel(Group(*parts), title=title, border_style="yellow" if n else "green")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def summary(console: Console, results: Sequence[TurnResult]) -> None:
    """A short summary at the end of a session."""
    if not results:
        console.print("No turns this time. See you soon!")
        return
    kinds = Counter(c.kind for r in results for c in r.feedback.corrections)
    clean = sum(1 for r in results if not r.feedback.corrections)
    words = sum(len(r.transcript.split()) for r in results)
    lines = [
        f"{_plural(len(results), 'turn')}, {_plural(words, 'word')}, {clean} without mistakes.",
        "Mistakes by kind: " + (", ".join(f"{k} {n}" for k, n in kinds.most_common()) or "none"),
    ]
    console.print(Panel("\n".join(lines), title="session summary", border_style="cyan"))
