"""What ``studio402 serve`` prints in the dev profile: the chain, the wallet, how to pay."""

from __future__ import annotations

from decimal import Decimal

from studio402.chain.wiring import dev_chain_dir
from studio402.services import Services

_SNIPPET = """\
# Pay for one image with the official x402 Python client (pip install "x402[evm,httpx]==2.25.0"):
import asyncio, json
from eth_account import Account
from x402 import x402Client
from x402.http.clients.httpx import x402HttpxClient
from x402.mechanisms.evm.exact import register_exact_evm_client

key = json.load(open("{keys}"))["payer"]
client = x402Client()
register_exact_evm_client(client, Account.from_key(key), networks="{network}")
client.set_spend_controls({{"allowed_assets": [{{"network": "{network}",
    "asset": "{asset}", "max_amount_per_payment": "1000000"}}]}})

async def main():
    async with x402HttpxClient(client) as http:
        r = await http.post("{url}/api/generate/nano-banana-pro/generate",
                            json={{"prompt": "A sunset over mountains", "aspectRatio": "16:9"}})
        print(r.status_code, r.json())

asyncio.run(main())
"""


async def print_dev_banner(services: Services) -> None:
    """Print where things are, what the dev payer holds, and a ready-to-paste paying client."""
    settings = services.settings
    rail = services.rail
    url = settings.resolved_public_url
    keys = (dev_chain_dir(settings) / "dev-keys.json").resolve()
    lines = [
        "",
        f"studio402 dev profile at {url}",
        f"  chain      {rail.network} via {services.chain.rpc_url}",
        f"  token      {rail.asset} (USD Coin, 6 decimals; a local token, not real USDC)",
        f"  pay to     {rail.pay_to}",
        f"  dev keys   {keys}",
    ]
    payer = _payer_address(services)
    if payer and services.chain.reader is not None and hasattr(services.chain.reader, "balance_of"):
        balance = await services.chain.reader.balance_of(rail.asset, payer)
        usd = Decimal(balance).scaleb(-settings.chain.token_decimals)
        lines.append(f"  dev payer  {payer} holds {usd:f} USDC ({balance} atomic units)")
    lines += ["", _SNIPPET.format(keys=keys, network=rail.network, asset=rail.asset, url=url)]
    print("\n".join(lines), flush=True)


def _payer_address(services: Services) -> str | None:
    from studio402.chain.devchain import load_devchain_info
    from studio402.errors import ConfigError

    try:
        return load_devchain_info(dev_chain_dir(services.settings)).payer_address
    except ConfigError:
        return None
