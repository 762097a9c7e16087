/**
 * A Stress Test of a verified-fans drop (issue 17 §5): before the stampede, every rehearsal fan verifies
 * through the same endpoints a real fan uses (POST /api/fans/codes, then /api/fans/sessions), marked as the
 * run's own traffic, so each code lands in the run's own mailbox in this process's memory — never a real
 * inbox — and is read back from there. Addresses are under `.invalid` (RFC 2606), which no mail reaches.
 */
import { runWorkers } from "../../stampede";

/** Fans verifying at once: the code step is light, and the rehearsal lane paces it behind live work. */
const VERIFY_CONCURRENCY = 16;

export interface RehearsalMailbox {
  code(email: string): string | undefined;
}

/** A rehearsal fan's address: unique to the run, undeliverable by design. */
export const rehearsalFanEmail = (runId: string, n: number) =>
  `fan${n}-${runId.slice(0, 8)}@rehearsal.invalid`;

/** Verifies `count` rehearsal fans through the public endpoints and answers their fan tokens, in order. */
export async function verifyRehearsalFans(options: {
  baseUrl: string;
  runId: string;
  count: number;
  headers: Record<string, string>;
  mailbox: RehearsalMailbox;
  signal?: AbortSignal | undefined;
}): Promise<string[]> {
  const { baseUrl, runId, headers, mailbox } = options;
  const tokens: string[] = new Array(options.count);
  const post = async (path: string, body: unknown) => {
    const res = await fetch(new URL(path, baseUrl), {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: options.signal ?? null,
    });
    const text = await res.text();
    return { status: res.status, text };
  };
  await runWorkers(
    options.count,
    VERIFY_CONCURRENCY,
    async (n) => {
      const email = rehearsalFanEmail(runId, n);
      const asked = await post("/api/fans/codes", { email });
      if (asked.status !== 202)
        throw new Error(`a rehearsal fan's code was refused: ${asked.status} ${asked.text}`);
      const code = mailbox.code(email);
      if (!code) throw new Error("a rehearsal fan's code did not reach the run's mailbox");
      const session = await post("/api/fans/sessions", { email, code });
      if (session.status !== 201)
        throw new Error(`a rehearsal fan could not verify: ${session.status} ${session.text}`);
      tokens[n] = (JSON.parse(session.text) as { fanToken: string }).fanToken;
    },
    options.signal,
  );
  return tokens.filter((token) => token !== undefined);
}
