// A tiny hand-written host implementing the guest ABI (docs/ABI.md) in plain
// JS, so the AssemblyScript SDK's protocol handling can be tested without the
// real host bridge: the out_cap / response-slot protocol, error codes, and
// little-endian f32 queries. Hooks let a test make a function misbehave.
import { GuestMemory } from "../../lib/memory/guest_memory.ts";
import { AbiCode } from "../../lib/host/abi_codes.ts";

const encoder = new TextEncoder();

export interface FakeCall {
  name: string;
  args: number[];
}

export class FakeAbiHost {
  readonly store = new Map<string, Uint8Array>();
  /** What vector_put received, by key (as sent: not normalized). */
  readonly vectors = new Map<string, Float32Array>();
  readonly logs: Array<[number, string]> = [];
  readonly calls: FakeCall[] = [];
  readonly stdout: string[] = [];
  /** Overrides a function's result before it runs (e.g. PERMISSION_DENIED). */
  readonly forced = new Map<string, bigint>();
  searchResult: (query: Float32Array, k: number) => string = () => "[]";
  execResult: (request: string) => string = () => "{}";
  /** Max bytes fd_write accepts per call, to exercise partial writes. */
  writeChunk = Infinity;
  /** Called before each take_response; a returned value replaces the slot first (as if another call had parked it). */
  replaceSlotOnTake: (() => Uint8Array | undefined) | undefined;
  exitCode: number | undefined;
  slot: Uint8Array | undefined;
  memory!: GuestMemory;
  #wasmMemory: WebAssembly.Memory | undefined;

  async instantiate(wasm: Uint8Array): Promise<WebAssembly.Instance> {
    this.memory = new GuestMemory(() => this.#wasmMemory);
    const { instance } = await WebAssembly.instantiate(wasm as Uint8Array<ArrayBuffer>, this.imports());
    this.#wasmMemory = instance.exports.memory as WebAssembly.Memory;
    return instance;
  }

  #respond(data: Uint8Array, outPtr: number, outCap: number): bigint {
    if (data.byteLength <= outCap >>> 0) {
      this.memory.write(outPtr, data);
      this.slot = undefined;
    } else {
      this.slot = data;
    }
    return BigInt(data.byteLength);
  }

  #log(name: string, args: number[]): bigint | undefined {
    this.calls.push({ name, args });
    return this.forced.get(name);
  }

  imports(): WebAssembly.Imports {
    return {
      env: {
        abort: () => {
          throw new Error("guest aborted");
        },
      },
      sandbox: {
        take_response: (outPtr: number, outCap: number): bigint => {
          const forced = this.#log("take_response", [outPtr, outCap]);
          if (forced !== undefined) return forced;
          const replacement = this.replaceSlotOnTake?.();
          if (replacement !== undefined) this.slot = replacement;
          const parked = this.slot;
          if (parked === undefined) return BigInt(AbiCode.NO_RESPONSE);
          if (parked.byteLength > outCap >>> 0) return BigInt(parked.byteLength);
          this.memory.write(outPtr, parked);
          this.slot = undefined;
          return BigInt(parked.byteLength);
        },
      },
      soch: {
        soch_read: (keyPtr: number, keyLen: number, outPtr: number, outCap: number): bigint => {
          const forced = this.#log("soch_read", [keyPtr, keyLen, outPtr, outCap]);
          if (forced !== undefined) return forced;
          const value = this.store.get(this.memory.readUtf8(keyPtr, keyLen));
          return value === undefined ? BigInt(AbiCode.NOT_FOUND) : this.#respond(value, outPtr, outCap);
        },
        soch_write: (keyPtr: number, keyLen: number, valPtr: number, valLen: number): bigint => {
          const forced = this.#log("soch_write", [keyPtr, keyLen, valPtr, valLen]);
          if (forced !== undefined) return forced;
          this.store.set(this.memory.readUtf8(keyPtr, keyLen), this.memory.read(valPtr, valLen));
          return 0n;
        },
        vector_search: (queryPtr: number, dim: number, k: number, outPtr: number, outCap: number): bigint => {
          const forced = this.#log("vector_search", [queryPtr, dim, k, outPtr, outCap]);
          if (forced !== undefined) return forced;
          const query = this.memory.readF32Array(queryPtr, dim);
          return this.#respond(encoder.encode(this.searchResult(query, k)), outPtr, outCap);
        },
        vector_put: (keyPtr: number, keyLen: number, vecPtr: number, dim: number): bigint => {
          const forced = this.#log("vector_put", [keyPtr, keyLen, vecPtr, dim]);
          if (forced !== undefined) return forced;
          this.vectors.set(this.memory.readUtf8(keyPtr, keyLen), this.memory.readF32Array(vecPtr, dim));
          return 0n;
        },
      },
      platform_sandbox: {
        sandbox_exec: (reqPtr: number, reqLen: number, outPtr: number, outCap: number): bigint => {
          const forced = this.#log("sandbox_exec", [reqPtr, reqLen, outPtr, outCap]);
          if (forced !== undefined) return forced;
          const request = this.memory.readUtf8(reqPtr, reqLen);
          return this.#respond(encoder.encode(this.execResult(request)), outPtr, outCap);
        },
        get_timestamp: (): bigint => this.#log("get_timestamp", []) ?? 1_700_000_000_000n,
        log_message: (level: number, msgPtr: number, msgLen: number): void => {
          this.#log("log_message", [level, msgPtr, msgLen]);
          this.logs.push([level, this.memory.readUtf8(msgPtr, msgLen)]);
        },
      },
      wasi_snapshot_preview1: {
        fd_write: (fd: number, iovs: number, iovsLen: number, nwritten: number): number => {
          this.#log("fd_write", [fd, iovs, iovsLen, nwritten]);
          if (fd !== 1) return 8; // EBADF
          let total = 0;
          for (let i = 0; i < iovsLen; i++) {
            const ptr = this.memory.readU32(iovs + i * 8);
            const len = Math.min(this.memory.readU32(iovs + i * 8 + 4), this.writeChunk - total);
            this.stdout.push(new TextDecoder().decode(this.memory.read(ptr, len)));
            total += len;
          }
          this.memory.writeU32(nwritten, total);
          return 0;
        },
        proc_exit: (code: number): never => {
          this.exitCode = code;
          throw new Error(`proc_exit(${code})`);
        },
      },
    };
  }

  callsTo(name: string): FakeCall[] {
    return this.calls.filter((c) => c.name === name);
  }
}
