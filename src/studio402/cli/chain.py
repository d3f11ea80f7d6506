"""``studio402 chain``: run the local dev chain on its own (anvil + our token, funded wallets)."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer

from studio402.chain.devchain import start_devchain
from studio402.chain.wiring import dev_chain_dir
from studio402.cli.options import DataDir, settings_from


def chain(
    data_dir: DataDir = None,
    port: Annotated[int, typer.Option(help="RPC port on 127.0.0.1 (0 = any free port).")] = 8545,
    chain_id: Annotated[int, typer.Option(help="Chain id; 31337 unless testing a client.")] = 31337,
    state: Annotated[
        bool, typer.Option("--state/--no-state", help="Keep chain state across restarts.")
    ] = True,
) -> None:
    """Start anvil, deploy the token, fund the dev wallets, and serve until interrupted."""
    settings = settings_from(data_dir)
    directory = dev_chain_dir(settings)
    anvil, info = start_devchain(
        directory, port=port or None, chain_id=chain_id, persist_state=state
    )
    print(f"dev chain {info.network} at {info.rpc_url}")
    print(f"  token       {info.token_address} ({info.token_name} v{info.token_version})")
    print(f"  payer       {info.payer_address}")
    print(f"  pay to      {info.pay_to_address}")
    print(f"  facilitator {info.facilitator_address}")
    print(f"  written to  {directory / 'devchain.json'} (keys in dev-keys.json)")
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        anvil.stop()
