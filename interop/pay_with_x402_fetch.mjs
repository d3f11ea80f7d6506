// Pay one studio402 route with the official TypeScript x402 client (@x402/fetch + @x402/evm).
// usage: X402_PRIVATE_KEY=0x... node pay_with_x402_fetch.mjs URL JSON_BODY NETWORK ASSET MAX_ATOMIC
// prints one JSON document: {status, body, paymentResponse}
import { wrapFetchWithPaymentFromConfig, decodePaymentResponseHeader } from "@x402/fetch";
import { ExactEvmScheme } from "@x402/evm";
import { privateKeyToAccount } from "viem/accounts";

const [url, body, network, asset, maxAtomic] = process.argv.slice(2);
const account = privateKeyToAccount(process.env.X402_PRIVATE_KEY);
const fetchWithPayment = wrapFetchWithPaymentFromConfig(fetch, {
  schemes: [{ network, client: new ExactEvmScheme(account) }],
  // our dev token is not a known USDC deployment: allow exactly it, capped
  spendControls: { allowedAssets: [{ network, asset, maxAmountPerPayment: maxAtomic }] },
});
const response = await fetchWithPayment(url, {
  method: "POST",
  headers: { "Content-Type": "application/json" },
  body,
});
const header = response.headers.get("PAYMENT-RESPONSE");
console.log(JSON.stringify({
  status: response.status,
  body: await response.json().catch(() => null),
  paymentResponse: header ? decodePaymentResponseHeader(header) : null,
}));
