// Throwaway HTTP(S) servers on 127.0.0.1 for the network tests: each test
// starts its own and closes it, and every request the server saw is kept
// (method, URL, headers, body) so tests can check what actually left.
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { TEST_CERT, TEST_KEY } from "./_tls_fixture.ts";

/** A request as the server received it. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Uint8Array;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: Uint8Array) => void;

export interface TestServer {
  port: number;
  /** `http://127.0.0.1:PORT` (or https). */
  origin: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

async function start(server: http.Server, scheme: string, seen: SeenRequest[]): Promise<TestServer> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    origin: `${scheme}://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

function collecting(handler: Handler, seen: SeenRequest[]): http.RequestListener {
  return (req, res) => {
    const chunks: Uint8Array[] = [];
    req.on("data", (c: Uint8Array) => chunks.push(c));
    req.on("end", () => {
      const body = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
      let at = 0;
      for (const c of chunks) {
        body.set(c, at);
        at += c.byteLength;
      }
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      handler(req, res, body);
    });
  };
}

/** An HTTP server on 127.0.0.1 answering with `handler`. */
export function httpServer(handler: Handler): Promise<TestServer> {
  const seen: SeenRequest[] = [];
  return start(http.createServer(collecting(handler, seen)), "http", seen);
}

/** An HTTPS server on 127.0.0.1 presenting the test certificate (test.example). */
export function httpsServer(handler: Handler): Promise<TestServer> {
  const seen: SeenRequest[] = [];
  return start(https.createServer({ key: TEST_KEY, cert: TEST_CERT }, collecting(handler, seen)), "https", seen);
}

/** A handler that answers 200 with `text`. */
export function answer(text: string, headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    res.writeHead(200, { "content-type": "text/plain", ...headers });
    res.end(text);
  };
}
