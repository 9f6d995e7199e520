// Child process of the durability test: opens the store in argv[2], writes,
// prints "written" once the writes' Promises resolved, then waits to be SIGKILLed.
import process from "node:process";
import { PgliteHostContextProvider } from "../../lib/host/soch_pglite_provider.ts";

const dir = process.argv[2];
const soch = await PgliteHostContextProvider.open(dir);
await soch.write("durable", new TextEncoder().encode("survives SIGKILL"));
await soch.vectorPut("durable", new Float32Array([0, 3, 4]));
process.stdout.write("written\n");
setInterval(() => {}, 60_000); // stay alive; the parent kills us
