// Preloaded with `node --import` only when localhost:3000 is taken: agentcash --dev calls its
// balance API at http://localhost:3000 (hard-coded); this sends those calls to the test's stub
// on AGENTCASH_DEV_API instead. Every other request (the x402 flow itself) is untouched.
const target = process.env.AGENTCASH_DEV_API;
const devOrigins = ["http://localhost:3000", "http://127.0.0.1:3000", "http://[::1]:3000"];
if (target) {
  const original = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const origin = devOrigins.find((o) => url.startsWith(o + "/"));
    if (!origin) return original(input, init);
    const rerouted = target + url.slice(origin.length);
    return input instanceof Request ? original(new Request(rerouted, input), init)
                                    : original(rerouted, init);
  };
}
