import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.{ts,tsx}"],
    // Generous on purpose: a shared 2-core machine under load ran PGlite hooks past 60 s. Timeouts here catch
    // hangs, never slowness; no test asserts a duration.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // Files run in parallel workers; each integration file makes its own fresh database.
    pool: "forks",
    maxWorkers: 2,
  },
});
