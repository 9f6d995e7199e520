// Test worker: echoes the payload string back, or never answers when asked to stall, or crashes.
import { serveSyncCalls } from "../../lib/exec/sync_server.ts";

serveSyncCalls(async (payload) => {
  if (payload === "stall") return await new Promise<Uint8Array>(() => {});
  if (payload === "throw") throw new Error("boom");
  if (payload === "big") return new Uint8Array(1 << 20);
  return new TextEncoder().encode(String(payload));
}, (err) => new TextEncoder().encode(`error: ${(err as Error).message}`));
