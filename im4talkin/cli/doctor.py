"""``im4talkin doctor``: one screen that says whether everything works, and what to do if not."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from .. import catalog
from ..diagnose import checks
from ..diagnose.runner import FAIL, OK, WARN, Result, run_check
from ..llm.cpu import rebuild_command

MARKS = {OK: "[green]  ok[/]", WARN: "[yellow]warn[/]", FAIL: "[bold red]FAIL[/]"}


def _all_checks(quick: bool):
    """(name, how to run it) in the order shown; the slow model runs come last."""
    yield "python", checks.python
    yield "packages", checks.packages
    for item in catalog.ENTRIES:
        yield f"model {item.name}", lambda item=item: checks.model_files(item)
    yield "seamless models", checks.pulled_models
    yield "data folder", checks.data_dir
    yield "disk space", checks.disk
    for name, func, seconds in checks.CHILD_CHECKS:
        if quick and name != "sound":
            continue
        crash_fix = (
            "rebuild llama.cpp portably: " + rebuild_command()
            if name in ("llama.cpp", "partner model")
            else checks.REINSTALL
        )
        yield (
            name,
            lambda n=name, f=func, s=seconds, c=crash_fix: run_check(
                n, f"im4talkin.diagnose.checks:{f}", timeout=s, crash_fix=c
            ),
        )


def doctor(
    json_out: Annotated[
        bool, typer.Option("--json", help="One JSON object: every check, its status and fix.")
    ] = False,
    quick: Annotated[
        bool,
        typer.Option("--quick", help="Check files and hashes only; do not run the models."),
    ] = False,
) -> None:
    """Check the install: packages, llama.cpp's build, each model's files and a tiny run of it,
    sound, the data folder and disk space. Exit 0 when everything works."""
    console = Console(stderr=json_out, highlight=False, soft_wrap=True)
    results: list[Result] = []
    with console.status("checking...", spinner="dots") as status:
        for name, run in _all_checks(quick):
            status.update(f"checking {name}...")
            try:
                result = run()
            except Exception as err:  # a check that broke is a failed check, not a traceback
                result = Result(name, FAIL, f"{type(err).__name__}: {err}")
            result.name = name
            results.append(result)
            if not json_out:
                line = f"{MARKS[result.status]}  {name:<20} {result.detail}"
                if result.status != OK and result.fix:
                    line += f" [bold]-> {result.fix}[/]"
                console.print(line)
    failed = [r for r in results if r.status == FAIL]
    if json_out:
        out = {
            "ok": not failed,
            "checks": [
                {"name": r.name, "status": r.status, "detail": r.detail, "fix": r.fix}
                for r in results
            ],
        }
        typer.echo(json.dumps(out, ensure_ascii=False))
    elif failed:
        console.print(
            f"[bold red]{len(failed)} of {len(results)} checks failed[/]: fix them as shown"
        )
    else:
        warned = sum(r.status == WARN for r in results)
        note = f" ({warned} with a warning)" if warned else ""
        console.print(f"[green]all {len(results)} checks passed{note}[/]: im4talkin is ready")
    if failed:
        raise typer.Exit(1)
