import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { type AppDeps, createApp } from "../app";

export interface LocalServer {
  /** e.g. http://127.0.0.1:43817 */
  url: string;
  app: ReturnType<typeof createApp>;
  /** Stops listening, ends open keep-alive connections; the database stays open (its owner closes it). */
  close(): Promise<void>;
}

/**
 * The whole app, really listening on 127.0.0.1 at a port the system picks, so a stampede crosses sockets,
 * HTTP parsing and keep-alive like one against a deployed server would (not `app.request`).
 * Runner code (`runStampede`, `buildReceipt`) does not import this: they only need a URL.
 * @example const server = await startLocalServer({ db }); await runStampede({ baseUrl: server.url, ... })
 */
export function startLocalServer(deps: AppDeps): Promise<LocalServer> {
  let url: string | undefined;
  const app = createApp({ ...deps, selfUrl: () => url });
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) => {
      url = `http://127.0.0.1:${info.port}`;
      resolve({
        url,
        app,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            if ("closeAllConnections" in server) server.closeAllConnections();
          }),
      });
    });
    server.once("error", reject);
  });
}
