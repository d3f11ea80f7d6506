#!/usr/bin/env node
// Compile the dev-chain contracts in src/studio402/chain/contracts with the solc-js package
// installed in .devchain/node_modules and write one JSON artifact per contract next to the
// sources. `--check` compiles without writing and exits 1 when a committed artifact differs.
//
//   node scripts/build_contracts.mjs          # regenerate the artifacts
//   node scripts/build_contracts.mjs --check  # CI: committed artifacts are reproducible

import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const CONTRACTS_DIR = join(ROOT, "src", "studio402", "chain", "contracts");
const SOLC_DIR = join(ROOT, ".devchain", "node_modules", "solc");
const EXPECTED_SOLC = "0.8.37";
const SOURCES = [
  { file: "LocalUSDC.sol", contract: "LocalUSDC" },
  { file: "MiniMulticall3.sol", contract: "MiniMulticall3" },
];
const SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: "cancun",
  outputSelection: {
    "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] },
  },
};

function loadSolc() {
  if (!existsSync(join(SOLC_DIR, "package.json"))) {
    console.error(`solc-js not found at ${SOLC_DIR}; install it with:`);
    console.error(
      `  npm install --prefix .devchain --no-save --ignore-scripts solc@${EXPECTED_SOLC}`,
    );
    process.exit(2);
  }
  const solc = createRequire(join(SOLC_DIR, "package.json"))("./index.js");
  const version = solc.version();
  if (!version.startsWith(`${EXPECTED_SOLC}+`)) {
    console.error(`expected solc ${EXPECTED_SOLC}, found ${version}`);
    process.exit(2);
  }
  return solc;
}

function compile(solc) {
  const sources = {};
  for (const { file } of SOURCES) {
    sources[file] = { content: readFileSync(join(CONTRACTS_DIR, file), "utf8") };
  }
  const input = { language: "Solidity", sources, settings: SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  for (const e of output.errors || []) {
    console.error(e.formattedMessage || e.message);
  }
  if (errors.length > 0) {
    process.exit(1);
  }
  return SOURCES.map(({ file, contract }) => {
    const compiled = output.contracts[file][contract];
    const artifact = {
      contractName: contract,
      sourceName: file,
      sourceSha256: createHash("sha256").update(sources[file].content).digest("hex"),
      compiler: { name: "solc-js", version: solc.version() },
      settings: { optimizer: SETTINGS.optimizer, evmVersion: SETTINGS.evmVersion },
      abi: compiled.abi,
      bytecode: `0x${compiled.evm.bytecode.object}`,
      deployedBytecode: `0x${compiled.evm.deployedBytecode.object}`,
    };
    return { path: join(CONTRACTS_DIR, `${contract}.json`), text: `${JSON.stringify(artifact, null, 2)}\n` };
  });
}

function main() {
  const check = process.argv.includes("--check");
  const artifacts = compile(loadSolc());
  let stale = 0;
  for (const { path, text } of artifacts) {
    const current = existsSync(path) ? readFileSync(path, "utf8") : null;
    if (check) {
      if (current !== text) {
        console.error(`stale artifact: ${path} (run: node scripts/build_contracts.mjs)`);
        stale += 1;
      } else {
        console.log(`ok: ${path}`);
      }
    } else if (current !== text) {
      writeFileSync(path, text);
      console.log(`wrote ${path}`);
    } else {
      console.log(`unchanged: ${path}`);
    }
  }
  process.exit(stale > 0 ? 1 : 0);
}

main();
