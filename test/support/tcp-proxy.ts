import net from "node:net";

/**
 * A TCP proxy between the app and a database that a test controls: it adds latency, refuses connections,
 * cuts or resets them, and can cut one connection right after a chosen statement went through (an
 * ambiguous COMMIT). Shared by the fault suites, the DSQL-distance latency runs and failover tests.
 *
 * @example
 * const proxy = await startTcpProxy({ host: "127.0.0.1", port: 5432 });
 * const db = openPostgres({ url: proxy.urlFor(databaseUrl), ... });
 * proxy.refuse = true; proxy.cutAll();   // the server "goes down"
 */
export interface TcpProxy {
  readonly port: number;
  /** Rewrites a postgres:// URL's host:port to point at the proxy. */
  urlFor(databaseUrl: string): string;
  /** Extra one-way delay (ms) applied to every chunk in BOTH directions, order preserved (so a round trip costs 2x). */
  delayMs: number;
  /** While true, new connections are accepted and destroyed at once (a down server / cut-off region). */
  refuse: boolean;
  /** Ends every open connection (both sides) — like a network cut or server restart. */
  cutAll(): void;
  /** Destroys every open connection with a TCP RST (socket.resetAndDestroy). */
  resetAll(): void;
  /** The next time a client->server chunk matches, forward it, then cut that connection before any reply reaches
   *  the client (an ambiguous COMMIT: the server may have committed). Returns a promise resolved when it fired. */
  cutAfterForwarding(match: (clientChunk: Buffer) => boolean): Promise<void>;
  readonly openConnections: number;
  /** Connections accepted (and forwarded) since the proxy started; refused ones are not counted. */
  readonly acceptedConnections: number;
  close(): Promise<void>;
}

/**
 * Writes chunks to `to` after `delay()` ms each, in arrival order. A chunk that arrives while an earlier one
 * still waits is never written before it, even if the delay was lowered meanwhile.
 */
class DelayedWriter {
  private readonly queue: { chunk: Buffer; due: number }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private pendingEnd: (() => void) | undefined;

  constructor(
    private readonly to: net.Socket,
    private readonly delay: () => number,
  ) {}

  write(chunk: Buffer): void {
    const delay = this.delay();
    if (delay <= 0 && this.queue.length === 0) {
      this.to.write(chunk);
      return;
    }
    const last = this.queue.at(-1)?.due ?? 0;
    this.queue.push({ chunk, due: Math.max(performance.now() + delay, last) });
    this.schedule();
  }

  /** Ends `to` once every chunk already queued has been written (a FIN never overtakes data). */
  end(callback: () => void): void {
    if (this.queue.length === 0) this.to.end(callback);
    else this.pendingEnd = callback;
  }

  /** Forgets chunks not yet written (the connection is being cut). */
  drop(): void {
    this.queue.length = 0;
    this.pendingEnd = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer) return;
    if (this.queue.length === 0) {
      const end = this.pendingEnd;
      this.pendingEnd = undefined;
      if (end) this.to.end(end);
      return;
    }
    const wait = Math.max(0, this.queue[0]!.due - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const now = performance.now();
      while (this.queue.length > 0 && this.queue[0]!.due <= now) {
        if (!this.to.destroyed) this.to.write(this.queue.shift()!.chunk);
        else this.queue.shift();
      }
      this.schedule();
    }, Math.ceil(wait));
  }
}

interface Armed {
  match: (clientChunk: Buffer) => boolean;
  fired: () => void;
}

/** One proxied connection: the client's socket and ours to the server. */
class ProxiedConnection {
  readonly toServer: DelayedWriter;
  readonly toClient: DelayedWriter;
  /** Set once a cutAfterForwarding matched here: the next reply from the server cuts instead of arriving. */
  private cutOnReply: (() => void) | undefined;

  constructor(
    readonly client: net.Socket,
    readonly server: net.Socket,
    delay: () => number,
    takeArmed: (chunk: Buffer) => Armed | undefined,
    onClosed: () => void,
  ) {
    this.toServer = new DelayedWriter(server, delay);
    this.toClient = new DelayedWriter(client, delay);
    client.on("data", (chunk: Buffer) => {
      const armed = takeArmed(chunk);
      if (armed) this.cutOnReply = armed.fired;
      this.toServer.write(chunk);
    });
    server.on("data", (chunk: Buffer) => {
      if (this.cutOnReply) {
        // The server has answered, so it has run (and, for an autocommit statement, committed) what it was sent.
        const fired = this.cutOnReply;
        this.cutOnReply = undefined;
        this.cut();
        fired();
        return;
      }
      this.toClient.write(chunk);
    });
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      this.toServer.drop();
      this.toClient.drop();
      client.destroy();
      server.destroy();
      onClosed();
    };
    for (const socket of [client, server]) {
      socket.on("error", close);
      socket.on("close", close);
      // The server hung up (restart, pg_terminate_backend) or the client did: pass the FIN on, then close.
      socket.on("end", () => (socket === client ? this.toServer : this.toClient).end(close));
    }
  }

  /** FIN both ways, dropping whatever was still delayed; the sockets are destroyed once the FIN is out. */
  cut(): void {
    this.toServer.drop();
    this.toClient.drop();
    for (const socket of [this.client, this.server]) {
      socket.pause();
      socket.end(() => socket.destroy());
    }
  }

  reset(): void {
    this.toServer.drop();
    this.toClient.drop();
    for (const socket of [this.client, this.server]) {
      if (!socket.destroyed) socket.resetAndDestroy();
    }
  }
}

/** Starts a proxy on 127.0.0.1 (a free port) forwarding to `target`. */
export async function startTcpProxy(
  target: { host: string; port: number },
  options: { delayMs?: number } = {},
): Promise<TcpProxy> {
  const connections = new Set<ProxiedConnection>();
  let armed: Armed[] = [];
  let accepted = 0;

  const takeArmed = (chunk: Buffer): Armed | undefined => {
    const hit = armed.find((candidate) => candidate.match(chunk));
    if (hit) armed = armed.filter((candidate) => candidate !== hit);
    return hit;
  };

  const proxy = {
    port: 0,
    delayMs: options.delayMs ?? 0,
    refuse: false,
    urlFor(databaseUrl: string): string {
      const url = new URL(databaseUrl);
      url.hostname = "127.0.0.1";
      url.port = String(proxy.port);
      return url.toString();
    },
    cutAll(): void {
      for (const connection of connections) connection.cut();
    },
    resetAll(): void {
      for (const connection of connections) connection.reset();
    },
    cutAfterForwarding(match: (clientChunk: Buffer) => boolean): Promise<void> {
      return new Promise<void>((fired) => {
        armed.push({ match, fired });
      });
    },
    get openConnections(): number {
      return connections.size;
    },
    get acceptedConnections(): number {
      return accepted;
    },
    close: (): Promise<void> =>
      new Promise<void>((resolve) => {
        for (const connection of connections) connection.reset();
        server.close(() => resolve());
      }),
  };

  const server = net.createServer((client) => {
    if (proxy.refuse) {
      client.on("error", () => undefined);
      client.destroy();
      return;
    }
    accepted++;
    client.setNoDelay(true);
    const upstream = net.connect({ host: target.host, port: target.port, noDelay: true });
    const connection = new ProxiedConnection(
      client,
      upstream,
      () => proxy.delayMs,
      takeArmed,
      () => connections.delete(connection),
    );
    connections.add(connection);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  proxy.port = (server.address() as net.AddressInfo).port;
  return proxy;
}
