#!/usr/bin/env node
/**
 * The `wasm-sandbox` command: `deno run -A cli.ts ...` on Deno, the package's
 * `bin` (dist/cli.js) on Node.
 *
 * @module
 */
import { main } from "./lib/cli/main.ts";
import { hostPlatform } from "./lib/platform/host_platform.ts";

const VERSION = "0.1.0";

const { terminal } = await hostPlatform();
await terminal.exit(await main(terminal, VERSION));
