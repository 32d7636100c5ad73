"""The ``im4talkin`` command: one Typer sub-app per command; errors become one line."""

from __future__ import annotations

import logging
import os
import sys

import typer
from rich.console import Console

from ..errors import Im4talkinError
from . import devices, doctor, enroll, finetune, models, report, review, talk, topics

app = typer.Typer(
    help="im4talkin: a private English conversation tutor that runs on your own machine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("talk")(talk.talk)
app.command("topics")(topics.topics)
app.command("devices")(devices.devices)
app.command("report")(report.report)
app.command("review")(review.review)
app.command("finetune")(finetune.finetune)
app.command("doctor")(doctor.doctor)
app.add_typer(enroll.app, name="enroll")
app.add_typer(models.app, name="models")


def main() -> None:
    """Entry point: run the app, turning domain errors into one line and an exit code."""
    logging.basicConfig(
        level=os.environ.get("IM4TALKIN_LOG", "WARNING").upper(),
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    err = Console(stderr=True)
    try:
        code = app(standalone_mode=False)  # typer.Exit(n) inside a command returns n here
        if isinstance(code, int) and code:
            sys.exit(code)
    except Im4talkinError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("stopped.")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("stopped.")
        sys.exit(130)
    except Exception as exc:  # usage errors: click's, or the copy of click typer vendors
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            sys.exit(code)
        raise
