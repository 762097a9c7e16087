// The container's HEALTHCHECK (and the recipe check's): healthy when /readyz answers 200 within 2.5 s,
// i.e. the process answers, its database does, every migration is applied and it is not draining.
const port = process.env.PORT ?? "3000";
try {
  const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2500) });
  process.exit(response.status === 200 ? 0 : 1);
} catch {
  process.exit(1);
}
