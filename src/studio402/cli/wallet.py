"""``studio402 wallet address | balance | fund``: the paying wallet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from studio402.cli.client_options import (
    ApiUrl,
    JsonOut,
    WalletSpec,
    emit_json,
    make_client,
    run,
    usd_option,
)
from studio402.client.errors import ClientError, WalletError
from studio402.client.money import usd
from studio402.client.onchain import fund_on_devchain, read_balance
from studio402.client.sdk import DEFAULT_API_URL
from studio402.client.wallet import Wallet, load_wallet

app = typer.Typer(help="The paying wallet: address, balance, dev funding.", no_args_is_help=True)

RpcUrl = Annotated[
    str | None,
    typer.Option("--rpc-url", envvar="STUDIO402_RPC_URL", help="JSON-RPC of the chain."),
]
Asset = Annotated[
    str | None, typer.Option("--asset", help="Token address (default: the server's).")
]


@app.command("address")
def address(wallet: WalletSpec = None, json_out: JsonOut = False) -> None:
    """Print the wallet's address."""

    async def go() -> None:
        loaded = load_wallet(wallet)
        if json_out:
            emit_json({"address": loaded.address, "source": loaded.source})
        else:
            print(loaded.address)

    run(go(), json_out)


@app.command("balance")
def balance(
    wallet: WalletSpec = None,
    rpc_url: RpcUrl = None,
    asset: Asset = None,
    api_url: ApiUrl = DEFAULT_API_URL,
    json_out: JsonOut = False,
) -> None:
    """The wallet's token and ETH balances (the dev chain's, for a dev wallet)."""

    async def go() -> None:
        loaded = load_wallet(wallet)
        dev = loaded.dev_chain()
        rpc = rpc_url or (dev.rpc_url if dev else None)
        token = asset or (dev.token_address if dev else None)
        if token is None:
            async with make_client(api_url, wallet) as client:
                token = str((await client.health()).get("asset") or "")
        if not rpc or not token:
            raise ClientError("need --rpc-url (and --asset, or a reachable --api-url)")
        found = await read_balance(rpc, loaded.address, token)
        if json_out:
            emit_json(found.to_dict())
        else:
            print(f"{found.address}\t{usd(found.token_atomic)} USD\t{found.network}\t{token}")

    run(go(), json_out)


@app.command("fund")
def fund(
    amount: Annotated[str, typer.Option(help="USD to mint.")] = "100",
    to: Annotated[str | None, typer.Option(help="Address to fund (default: the wallet's).")] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", envvar="STUDIO402_DATA_DIR", help="The dev chain's data dir."),
    ] = None,
    wallet: WalletSpec = None,
    json_out: JsonOut = False,
) -> None:
    """Mint dev USDC to the wallet (dev chain only: refused anywhere else)."""
    amount_atomic = usd_option(amount, "--amount") or 0

    async def go() -> None:
        chain_wallet = _dev_wallet(data_dir, wallet)
        info = chain_wallet.dev_chain()
        if info is None:
            raise WalletError("no dev chain yet: run `studio402 serve` (or `studio402 chain`)")
        target = to or (load_wallet(wallet).address if wallet else chain_wallet.address)
        tx_hash = await fund_on_devchain(info, target, amount_atomic)
        found = await read_balance(info.rpc_url, target, info.token_address)
        if json_out:
            emit_json({"transaction": tx_hash, "funded": str(amount_atomic), **found.to_dict()})
        else:
            print(
                f"minted {usd(amount_atomic)} USD to {target} ({tx_hash}); "
                f"balance {usd(found.token_atomic)} USD"
            )

    run(go(), json_out)


def _dev_wallet(data_dir: Path | None, wallet: str | None) -> Wallet:
    if data_dir is not None:
        return load_wallet(f"dev:{data_dir}")
    loaded = load_wallet(wallet)
    if loaded.is_dev:
        return loaded
    return load_wallet("dev")
