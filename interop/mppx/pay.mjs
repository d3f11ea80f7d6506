// Pay one studio402 route with mppx, in x402 mode (PAYMENT-SIGNATURE) or native MPP mode
// (Authorization: Payment); print {status, body, headers} as JSON on stdout.
//
//   MPPX_KEY=0x.. MPPX_TOKEN=0x.. MPPX_CHAIN_ID=31337 node pay.mjs <url> '<json body>' x402|mpp
import { Mppx, evm } from 'mppx/client'
import { privateKeyToAccount } from 'viem/accounts'

const [url, body, mode] = process.argv.slice(2)
const { MPPX_KEY, MPPX_TOKEN, MPPX_CHAIN_ID } = process.env
const chainId = Number(MPPX_CHAIN_ID)
const isX402 = (candidate) => candidate.challenge.id.startsWith('x402:')
const mppx = Mppx.create({
  polyfill: false,
  methods: [
    evm.charge({
      account: privateKeyToAccount(MPPX_KEY),
      currencies: [MPPX_TOKEN],
      networks: [chainId],
      authorization: { name: 'USD Coin', version: '2' },
      decimals: 6,
    }),
  ],
  // Both challenges are offered; pick the protocol under test.
  orderChallenges: (candidates) =>
    candidates.filter((candidate) => (mode === 'x402') === isX402(candidate)),
})
const response = await mppx.fetch(url, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body,
})
const text = await response.text()
console.log(JSON.stringify({ status: response.status, body: text, headers: Object.fromEntries(response.headers) }))
