"""The ``studio402`` command line."""

from __future__ import annotations

import logging
import sys

import typer

from studio402.cli import chain, demo, generate, jobs, mcp, models, quote, serve, wallet, worker

app = typer.Typer(
    name="studio402",
    help="Pay-per-generation image and video API: serve it, run its dev chain, try it.",
    no_args_is_help=True,
    add_completion=False,
)
app.command("serve")(serve.serve)
app.command("chain")(chain.chain)
app.command("demo")(demo.demo)
app.command("worker")(worker.worker)
app.command("generate")(generate.generate)
app.command("edit")(generate.edit)
app.command("video")(generate.video)
app.command("quote")(quote.quote)
app.add_typer(jobs.app, name="jobs")
app.add_typer(wallet.app, name="wallet")
app.command("mcp")(mcp.mcp)
app.command("models")(models.models)


def main() -> None:
    """Console entry point: one line on error, exit 1."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except Exception as exc:  # the CLI's top level: print one line, exit 1
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
