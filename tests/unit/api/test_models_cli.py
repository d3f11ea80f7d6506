"""``studio402 models`` prints a server's ``GET /api/models`` as a table or as JSON."""

from __future__ import annotations

import json

import httpx
import pytest
from typer.testing import CliRunner

from studio402.cli import app
from tests.unit.media.samples import local_server


async def test_models_command_reads_the_server(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = (await client.get("/api/models")).json()
    runner = CliRunner()
    with local_server() as server:
        server.serve_bytes("/api/models", json.dumps(document).encode(), "application/json")
        wide = runner.invoke(app, ["models", "--api-url", server.url("")], env={"COLUMNS": "250"})
        monkeypatch.setenv("STUDIO402_API_URL", server.url(""))
        as_json = runner.invoke(app, ["models", "--json"])
    assert wide.exit_code == 0, wide.output
    for text in (
        "nano-banana-pro/generate",
        "0.134 - 0.24",
        "seedance/i2v",
        "retired: use veo-3.1-fast",
        "imageSize=1K",
        "images*[1-14]",
        "/api/upload",
    ):
        assert text in wide.output, text
    assert as_json.exit_code == 0 and json.loads(as_json.output) == document


def test_models_command_reports_an_unreachable_server() -> None:
    with local_server() as server:
        url = server.url("")
    result = CliRunner().invoke(app, ["models", "--api-url", url])
    assert result.exit_code != 0
    assert "cannot reach" in str(result.exception)
