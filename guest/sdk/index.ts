// The wasm-sandbox AssemblyScript guest SDK. Import from here:
//   import { sochReadString, sochWriteString, log, INFO } from "wasm-sandbox/guest/sdk/index";
export * from "./abi";
export { lastError, takeResponse, SCRATCH_CAP } from "./sandbox";
export * from "./soch";
export { parseSearchHits, SearchHit } from "./search_hits";
export * from "./platform";
