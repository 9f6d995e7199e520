// A HostCallContext without a guest or a bridge, to drive one host function
// directly: real bounds-checked GuestMemory over a real WebAssembly.Memory, a
// real ResponseSlot, and what the function explained and annotated kept for
// the test to read.
import type { AuditDetail } from "../../lib/audit/audit_event.ts";
import type { CapabilityToken } from "../../lib/host/capabilities.ts";
import type { HostCallContext, HostFunction } from "../../lib/host/registrar.ts";
import { ResponseSlot } from "../../lib/host/response_slot.ts";
import { GuestMemory } from "../../lib/memory/guest_memory.ts";

export class FakeHostCall implements HostCallContext {
  readonly pluginId = "fake";
  readonly wasmMemory = new WebAssembly.Memory({ initial: 4 });
  readonly memory = new GuestMemory(() => this.wasmMemory);
  readonly slot = new ResponseSlot();
  token: CapabilityToken | undefined;
  reasons: string[] = [];
  details: AuditDetail[] = [];
  fuel = 0;

  constructor(token?: CapabilityToken) {
    this.token = token;
  }

  respond(data: Uint8Array, outPtr: number, outCap: number): bigint {
    return this.slot.deliver(this.memory, data, outPtr, outCap);
  }

  chargeFuel(units: number): void {
    this.fuel += units;
  }

  explain(reason: string): void {
    this.reasons.push(reason);
  }

  annotate(detail: AuditDetail): void {
    this.details.push(detail);
  }

  /** Writes `text` at `ptr`; returns its length in bytes. */
  put(ptr: number, text: string): number {
    return this.memory.writeUtf8(ptr, text);
  }

  /** Calls `fn` as the bridge would: a throw of InvalidArgument is -3, any other throw -6. */
  async call(fn: HostFunction, ...args: number[]): Promise<bigint> {
    try {
      return await (fn.call as (ctx: HostCallContext, ...a: number[]) => bigint | Promise<bigint>)(this, ...args);
    } catch (err) {
      return (err as { code?: string }).code === "InvalidArgument" ? -3n : -6n;
    }
  }
}
