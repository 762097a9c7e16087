import { serve } from "../../src/serve";

// src/serve.ts on whichever runtime runs this file, with the limits given as JSON in argv[2], serving a
// trivial app; prints "listening <port>" once it does. For tests that run serve() on Bun in a child process.
const limits = JSON.parse(process.argv[2] ?? "{}");
const fetch = async (request: Request) => new Response(`read ${(await request.text()).length} bytes`);
const { address } = await serve(fetch, { host: "127.0.0.1", port: 0, limits });
console.log(`listening ${address.port}`);
