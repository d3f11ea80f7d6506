"""``studio402 serve``: the API (and, in the dev profile, the local chain)."""

from __future__ import annotations

import uvicorn

from studio402.app import create_app
from studio402.cli.banner import print_dev_banner
from studio402.cli.options import DataDir, Host, Port, settings_from
from studio402.settings import Profile


def serve(data_dir: DataDir = None, host: Host = None, port: Port = None) -> None:
    """Run the API server until interrupted."""
    settings = settings_from(data_dir, host, port)
    on_ready = print_dev_banner if settings.profile is Profile.DEV else None
    app = create_app(settings, on_ready=on_ready)
    uvicorn.run(app, host=settings.api.host, port=settings.api.port, log_level="info")
