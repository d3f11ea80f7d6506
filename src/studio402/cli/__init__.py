"""The ``studio402`` command line.

Commands are imported only when run: the server side (web3, the database, the chain) takes
seconds to import, and a client command or ``--help`` should not pay for it.
"""

from __future__ import annotations

import importlib
import logging
import sys
from typing import Any

import typer
from typer.core import TyperGroup

# name -> (module, attribute, one-line help shown by --help without importing the module)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "serve": ("studio402.cli.serve", "serve", "Run the API server (and the dev chain)."),
    "worker": ("studio402.cli.worker", "worker", "Run jobs from the shared database."),
    "chain": ("studio402.cli.chain", "chain", "Run the local dev chain on its own."),
    "demo": ("studio402.cli.demo", "demo", "Pay for, poll and download one image, then stop."),
    "generate": ("studio402.cli.generate", "generate", "Generate images (paid per image)."),
    "edit": ("studio402.cli.generate", "edit", "Edit images with reference images."),
    "video": ("studio402.cli.generate", "video", "Generate a video."),
    "quote": ("studio402.cli.quote", "quote", "Read a price without paying."),
    "models": ("studio402.cli.models", "models", "List the models and their prices."),
    "jobs": ("studio402.cli.jobs", "app", "List, show, wait for and delete your jobs."),
    "wallet": ("studio402.cli.wallet", "app", "Wallet address, balance, dev funding."),
    "mcp": ("studio402.cli.mcp", "mcp", "Run the MCP server for agents."),
}


class LazyGroup(TyperGroup):
    """A typer group whose subcommands are imported on first use."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module, attribute, _ = entry
        target: Any = getattr(importlib.import_module(module), attribute)
        if isinstance(target, typer.Typer):
            return typer.main.get_group(target)
        single = typer.Typer(add_completion=False)
        single.command(cmd_name)(target)
        return typer.main.get_command(single)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, entry[2]) for name, entry in COMMANDS.items()])


app = typer.Typer(
    cls=LazyGroup,
    name="studio402",
    help="Pay-per-generation image and video API: serve it, run its dev chain, buy from it.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


@app.callback()
def _root() -> None:
    """Pay-per-generation image and video API: serve it, run its dev chain, buy from it."""


def main() -> None:
    """Console entry point: one line on error, exit 1."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except Exception as exc:  # the CLI's top level: print one line, exit 1
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
