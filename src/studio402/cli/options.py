"""Options shared by commands, and turning them into settings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from studio402.settings import Settings

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Where the database, files and dev chain live.",
        envvar="STUDIO402_DATA_DIR",
        show_envvar=False,
    ),
]
Host = Annotated[str | None, typer.Option(help="Interface to bind.")]
Port = Annotated[int | None, typer.Option(help="Port to bind.")]


def settings_from(
    data_dir: Path | None = None, host: str | None = None, port: int | None = None
) -> Settings:
    """Settings from the environment and config file, overridden by command-line options."""
    overrides: dict[str, Any] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    api: dict[str, Any] = {}
    if host is not None:
        api["host"] = host
    if port is not None:
        api["port"] = port
    if api:
        overrides["api"] = api
    return Settings(**overrides)
