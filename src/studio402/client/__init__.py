"""The buyer's side: paying studio402 (and any x402 seller) from Python."""
