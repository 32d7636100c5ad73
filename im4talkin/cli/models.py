"""``im4talkin models``: what is installed, where it is, and whether its bytes are right."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress
from rich.table import Table

from .. import catalog
from ..errors import ModelError

app = typer.Typer(
    help="The models im4talkin uses: list, verify, pull and find them.",
    no_args_is_help=False,
    invoke_without_command=True,
)


def _gb(size: int) -> str:
    return f"{size / 1e9:.2f} GB" if size >= 1e9 else f"{size / 1e6:.0f} MB"


@app.callback(invoke_without_command=True)
def _default(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand is None:
        list_models()


@app.command("list")
def list_models() -> None:
    """Every known model: its role, the packages it ships in, its size, and its state."""
    table = Table("name", "kind", "role", "packages", "size", "state")
    for item in catalog.ENTRIES:
        ok, state = catalog.status(item)
        table.add_row(
            item.name,
            item.kind,
            item.role,
            "\n".join(item.packages)
            if len(item.packages) <= 3
            else f"{item.packages[0]} (+{len(item.packages) - 1})",
            _gb(item.size),
            f"[green]{state}[/]" if ok else f"[red]{state}[/]",
        )
    from .. import hub

    for model in hub.PULLABLE.values():
        ok, state = hub.status(model)
        size = hub.pulled_size(model)
        table.add_row(
            model.name,
            model.kind,
            model.role,
            f"hub: {model.repo_id}",
            _gb(size) if size else "?",
            f"[green]{state}[/]" if ok else f"[yellow]{state}[/]",
        )
    Console().print(table)


@app.command("verify")
def verify(
    name: Annotated[str | None, typer.Argument(help="One model (default: all installed).")] = None,
) -> None:
    """Re-hash the model files against their pinned SHA-256 (a minute for the 1.1 GB partner)."""
    from .. import hub

    pulled = [m for m in hub.PULLABLE.values() if name in (None, m.name) and hub.status(m)[0]]
    if name in hub.PULLABLE and not pulled:
        raise ModelError(f"{name} is not pulled: im4talkin models pull {name}")
    if name in hub.PULLABLE:
        items = []
    elif name:
        items = [catalog.entry(name)]
    else:
        items = [e for e in catalog.ENTRIES if catalog.status(e)[0]]  # what is installed
    console = Console()
    bad = 0

    def show(label: str, results) -> int:
        for path, ok, detail in results:
            mark = "[green]ok[/]" if ok else "[red]FAILED[/]"
            console.print(
                f"{mark} {label}: {path} [dim]{detail}[/]", highlight=False, soft_wrap=True
            )
        return sum(not ok for _, ok, _ in results)

    with Progress(
        "{task.description}", BarColumn(), DownloadColumn(), console=console, transient=True
    ) as bar:
        for item in items:
            task = bar.add_task(
                f"checking {item.name}", total=item.size * (2 if item.chunked else 1)
            )
            bad += show(item.name, catalog.verify(item, lambda n, t=task: bar.advance(t, n)))
        for model in pulled:
            task = bar.add_task(f"checking {model.name}", total=hub.pulled_size(model))
            bad += show(model.name, hub.verify(model, lambda n, t=task: bar.advance(t, n)))
    if bad:
        raise ModelError(f"{bad} model file(s) failed the check; reinstall as shown above")


@app.command("pull")
def pull(name: Annotated[str, typer.Argument(help="A pullable model name.")]) -> None:
    """Fetch a model from the Hugging Face Hub once (pinned revision, SHA-256 checked)."""
    from .. import hub

    model = hub.model(name)
    console = Console(stderr=True)
    folder = hub.pull(model, report=lambda line: console.print(f"[dim]{line}[/]"))
    console.print(f"[green]{name} is ready[/] in {folder}")


@app.command("rm")
def rm(name: Annotated[str, typer.Argument(help="A pulled model name.")]) -> None:
    """Delete a pulled model from the cache (bundled models go with 'pip uninstall')."""
    from .. import hub

    freed = hub.remove(hub.model(name))
    Console().print(f"removed {name} ({_gb(freed)} freed)" if freed else f"{name} was not pulled")


@app.command("path")
def path(
    name: Annotated[str, typer.Argument(help="A model name from 'im4talkin models list'.")],
) -> None:
    """Print where a model is loaded from (a chunked model is joined first if needed)."""
    from .. import hub

    if name in hub.PULLABLE:
        typer.echo(hub.path(hub.PULLABLE[name]))
        return
    item = catalog.entry(name)
    ok, state = catalog.status(item)
    if not ok:
        raise ModelError(f"{name}: {state}")
    typer.echo(item.prepare() if item.prepare else item.target())
