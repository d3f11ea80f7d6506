"""Open the payment rail a server uses: the embedded dev chain, or a configured RPC/facilitator."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from studio402.errors import ConfigError
from studio402.payments.facilitator.base import Facilitator
from studio402.payments.facilitator.http import HttpFacilitator
from studio402.payments.reconciler import ChainReader
from studio402.settings import BASE_MAINNET_USDC, Profile, Settings


@dataclass
class ChainRuntime:
    """The chain-side handles of a running server."""

    network: str
    token_address: str
    pay_to: str
    facilitator: Facilitator
    reader: ChainReader | None
    rpc_url: str = ""
    process: Any = None
    closers: list[Any] = field(default_factory=list)

    async def aclose(self) -> None:
        """Close RPC clients and stop an embedded chain."""
        for closer in self.closers:
            await closer()
        if self.process is not None:
            self.process.stop()


async def open_chain(settings: Settings, http: httpx.AsyncClient) -> ChainRuntime:
    """Start or connect to the chain and build the facilitator the settings ask for."""
    if settings.chain.embedded and settings.profile is Profile.DEV:
        return await _open_embedded(settings, http)
    return await _open_configured(settings, http)


async def _open_configured(settings: Settings, http: httpx.AsyncClient) -> ChainRuntime:
    chain = settings.chain
    if not chain.token_address or not settings.payments.pay_to:
        raise ConfigError("set STUDIO402_CHAIN__TOKEN_ADDRESS and STUDIO402_PAYMENTS__PAY_TO")
    if chain.chain_id != 8453 and chain.token_address.lower() == BASE_MAINNET_USDC.lower():
        raise ConfigError("Base mainnet USDC's address is only valid on chain id 8453")
    reader = None
    closers: list[Any] = []
    if chain.rpc_url:
        from studio402.chain.token import TokenReader

        token_reader = TokenReader(chain.rpc_url, http)
        reader = token_reader
        closers.append(token_reader.aclose)
    facilitator: Facilitator
    if settings.payments.facilitator == "local":
        if settings.payments.facilitator_key is None or not chain.rpc_url:
            raise ConfigError(
                "the local facilitator needs STUDIO402_PAYMENTS__FACILITATOR_KEY "
                "and STUDIO402_CHAIN__RPC_URL"
            )
        from studio402.payments.facilitator.local import LocalFacilitator

        facilitator = LocalFacilitator(
            rpc_url=chain.rpc_url,
            chain_id=chain.chain_id,
            private_key=settings.payments.facilitator_key.get_secret_value(),
            client=http,
        )
    else:
        facilitator = HttpFacilitator(
            settings.payments.facilitator, http, timeout_s=settings.payments.facilitator_timeout_s
        )
    return ChainRuntime(
        network=settings.network,
        token_address=chain.token_address,
        pay_to=settings.payments.pay_to,
        facilitator=facilitator,
        reader=reader,
        rpc_url=chain.rpc_url,
        closers=closers,
    )


async def _open_embedded(settings: Settings, http: httpx.AsyncClient) -> ChainRuntime:
    from studio402.chain.devchain import start_devchain
    from studio402.chain.devkeys import load_dev_keys
    from studio402.chain.token import TokenReader
    from studio402.payments.facilitator.local import LocalFacilitator

    chain_dir = dev_chain_dir(settings)
    anvil, info = await asyncio.to_thread(
        start_devchain,
        chain_dir,
        port=settings.chain.port or None,
        chain_id=settings.chain.chain_id,
        persist_state=settings.chain.persist_state,
    )
    keys = load_dev_keys(chain_dir)
    facilitator = LocalFacilitator(
        rpc_url=info.rpc_url,
        chain_id=info.chain_id,
        private_key=keys.facilitator,
        client=http,
    )
    reader = TokenReader(info.rpc_url, http)
    return ChainRuntime(
        network=info.network,
        token_address=info.token_address,
        pay_to=settings.payments.pay_to or info.pay_to_address,
        facilitator=facilitator,
        reader=reader,
        rpc_url=info.rpc_url,
        process=anvil,
        closers=[reader.aclose],
    )


def dev_chain_dir(settings: Settings) -> Path:
    """Where the embedded chain keeps its keys, state and ``devchain.json``."""
    return settings.data_dir / "chain"
