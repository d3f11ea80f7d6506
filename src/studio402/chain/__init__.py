"""The local dev chain: anvil lifecycle, the LocalUSDC token, JSON-RPC and token lookups."""
