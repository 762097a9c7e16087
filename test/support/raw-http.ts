import http from "node:http";
import net from "node:net";
import { text } from "node:stream/consumers";

// Requests written by hand on sockets of their own, for what fetch cannot send: a chosen source address,
// HTTP/1.0 without Host, a body cut off midway.

export type Answer = { status: number; body: string };

/** One request on a connection of its own, from `localAddress` (any 127.x address is this machine). */
export function send(
  url: string,
  options: { method?: string; localAddress?: string; body?: string },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: options.method ?? "GET",
        agent: false,
        localAddress: options.localAddress,
        headers: options.body ? { "content-type": "application/json" } : {},
      },
      (res) => text(res).then((body) => resolve({ status: res.statusCode ?? 0, body }), reject),
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** The raw bytes of an HTTP/1.0 request with no Host header, and the status line of the answer. */
export function http10WithoutHost(url: string, path: string): Promise<string> {
  const { port, hostname } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = new net.Socket();
    let received = "";
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(received.split("\r\n")[0] ?? ""));
    socket.connect(Number(port), hostname, () => socket.write(`GET ${path} HTTP/1.0\r\n\r\n`));
  });
}

/** Sends the head and part of a body, then closes the socket: a client giving up mid-upload. */
export function abortMidBody(url: string, head: string, part: string): Promise<void> {
  const { port, hostname } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(head + part);
      setTimeout(() => {
        socket.destroy();
        resolve();
      }, 50);
    });
    socket.on("error", () => resolve());
  });
}

/** A bare TCP connection to a loopback port, for tests of what a server does with slow or silent clients. */
export function connectTo(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Everything the server sent until it closed the connection. */
export function untilClosed(socket: net.Socket): Promise<string> {
  let received = "";
  socket.on("data", (chunk) => {
    received += chunk.toString("latin1");
  });
  socket.on("error", () => undefined);
  return new Promise((resolve) => socket.once("close", () => resolve(received)));
}
