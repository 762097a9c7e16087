import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Hono } from "hono";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServerProcess, startServerProcess } from "../bench/server-process";
import { createLiveDrop, createSellerAccount } from "../src/stampede";
import { imageForm, makePicture } from "./support/pictures";
import { abortMidBody, http10WithoutHost, send } from "./support/raw-http";
import { parseEvents } from "./support/sse-events";
import { TestBrowser } from "./web-seller-browser";

/**
 * What the Bun server has to do beyond the purchase path, as the default runtime: the Stress Test's load
 * generator (a worker thread) started from the dashboard, a picture upload through sharp (a native
 * addon), and what the app learns from the connection rather than the request under @hono/node-server
 * (the client's address for the per-client limits, a URL for a request without Host, a client abort). The server runs on Bun in its own process on the embedded database, from the sources as
 * `npm start` runs it and from the production bundle as the image runs it; the seller's browser speaks
 * real HTTP to it. (The SIGTERM drain on Bun is in drain.test.ts.)
 */
const ROOT = fileURLToPath(new URL("..", import.meta.url));

describe.each([
  { served: "the sources (npm start)", entry: undefined },
  { served: "the production bundle (the image's command)", entry: "dist/app/server.js" },
])("Bun serving $served, beyond the purchase path", ({ entry }) => {
  let server: ServerProcess;
  let ada: TestBrowser;

  beforeAll(async () => {
    if (entry) execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, stdio: "ignore" });
    // A tight per-client purchase limit, to see it apply per client address (the Stress Test is exempt).
    server = await startServerProcess(
      { DATA_DIR: "memory", PURCHASE_RATE_LIMIT: "1", PURCHASE_RATE_BURST: "3" },
      "bun",
      { entry },
    );
    // TestBrowser speaks to an app's request(); here that is fetch over the socket, redirects not followed.
    const overHttp = {
      request: (url: string, init?: RequestInit) => fetch(url, { ...init, redirect: "manual" }),
    } as unknown as Hono;
    ada = new TestBrowser(overHttp, server.url);
    const signedUp = await ada.signUp({
      name: "Ada",
      email: "ada@example.com",
      password: "correct horse battery",
    });
    expect(signedUp.status).toBe(303);
  }, 90_000);

  afterAll(async () => {
    await server?.stop();
  });

  async function newDrop(quantity: number): Promise<string> {
    return ada.createDrop({ title: "Bun sneaker", description: "On Bun.", quantity: String(quantity) });
  }

  it("runs a Stress Test started from the dashboard to an exact PASS receipt", async () => {
    const slug = await newDrop(30);
    const started = await ada.submit(`/seller/drops/${slug}`, `/seller/drops/${slug}/stress`, {
      attempts: "150",
      concurrency: "20",
    });
    expect(started.status).toBe(303);
    const id = started.headers.get("location")!.split("/").pop()!;

    const stream = await ada.get(`/seller/drops/${slug}/stress/${id}/events`);
    expect(stream.status).toBe(200);
    const events = parseEvents(await stream.text());
    const progress = events.filter((e) => e.event === "progress").map((e) => JSON.parse(e.data));
    expect(progress.at(-1)).toMatchObject({ answered: 150, attempts: 150, won: 30, errors: 0 });
    const last = events.at(-1)!;
    expect(last.event).toBe("receipt");
    expect(JSON.parse(last.data)).toMatchObject({ status: "passed", verdict: "PASS" });

    const page = await (await ada.get(`/seller/drops/${slug}/stress/${id}`)).text();
    expect(page).toContain('<dd id="receipt-sold">30 of 30</dd>');
    expect(page).toContain('<dd id="receipt-oversold">0</dd>');
    expect(page).toContain('<dd id="receipt-wins">30 wins, 30 order rows</dd>');
  }, 90_000);

  it("re-encodes an uploaded picture with sharp and serves it", async () => {
    // The upload goes through the API with a seller key, as any client's would.
    const signUp = await fetch(`${server.url}/api/sellers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "pic@example.com", password: "correct horse battery", name: "Pic" }),
    });
    const { apiKey } = (await signUp.json()) as { apiKey: string };
    const created = await fetch(`${server.url}/api/drops`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ title: "Picture", priceCents: 100, quantity: 5 }),
    });
    expect(created.status).toBe(201);
    const { drop } = (await created.json()) as { drop: { id: string } };

    const jpeg = await makePicture(2000, 1500, "jpeg", { exif: true });
    const uploaded = await fetch(`${server.url}/api/drops/${drop.id}/images`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}` },
      body: imageForm(jpeg, "image/jpeg", "photo.jpg"),
    });
    expect(uploaded.status).toBe(201);
    const { image } = (await uploaded.json()) as { image: { url: string; width: number; height: number } };
    expect(image).toMatchObject({ width: 1280, height: 960 });

    const file = await fetch(`${server.url}${image.url}`);
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toBe("image/webp");
    const bytes = Buffer.from(await file.arrayBuffer());
    const meta = await sharp(bytes).metadata();
    expect(meta).toMatchObject({ format: "webp", width: 1280, height: 960 });
    expect(meta.exif).toBeUndefined();
  }, 60_000);

  it("limits purchases per client address: one client's burst leaves another's untouched", async () => {
    const apiKey = await createSellerAccount(server.url);
    const drop = await createLiveDrop(server.url, apiKey, 100, "Per client");
    const buy = (fan: string, localAddress: string) =>
      send(`${server.url}/api/drops/${drop.id}/purchase`, {
        method: "POST",
        localAddress,
        body: JSON.stringify({ fan }),
      });
    const first: number[] = [];
    for (let i = 0; i < 6; i++) first.push((await buy(`a${i}@example.com`, "127.0.0.1")).status);
    // The control: the limit bites for the client that sent the burst.
    expect(first.slice(0, 3)).toEqual([201, 201, 201]);
    expect(first).toContain(429);
    expect((await buy("b@example.com", "127.0.0.2")).status).toBe(201);
  });

  it("answers an HTTP/1.0 request without a Host header (HAProxy's default health check)", async () => {
    expect(await http10WithoutHost(server.url, "/healthz")).toMatch(/^HTTP\/1\.[01] 200/);
    expect(await http10WithoutHost(server.url, "/readyz")).toMatch(/^HTTP\/1\.[01] 200/);
  });

  it("logs a client that gives up mid-upload as no warning or error (finding 9)", async () => {
    const head = (path: string, framing: string) =>
      `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n${framing}\r\n\r\n`;
    const before = server.output().length;
    await Promise.all(
      Array.from({ length: 5 }, () => [
        abortMidBody(
          server.url,
          head("/api/drops/some-drop/purchase", "Content-Length: 5000"),
          '{"fan":"slow',
        ),
        abortMidBody(server.url, head("/api/sellers", "Content-Length: 5000"), '{"email":"slow'),
        abortMidBody(server.url, head("/api/sellers", "Transfer-Encoding: chunked"), '5\r\n{"ema\r\n'),
      ]).flat(),
    );
    // The server has read the aborts once it answers a request sent after them; its log lines follow.
    expect((await send(`${server.url}/healthz`, {})).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const loud = server
      .output()
      .slice(before)
      .split("\n")
      .filter((line) => /"level":(4|5|6)\d/.test(line));
    expect(loud).toEqual([]);
  });
});
