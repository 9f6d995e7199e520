/**
 * An error a host function throws on purpose to unwind the guest (for example
 * WASI `proc_exit`). The bridge lets these through instead of turning them
 * into an error code.
 *
 * @module
 */
export class HostUnwind extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "HostUnwind";
  }
}
