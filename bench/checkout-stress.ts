import { webSession } from "./rehearsal-isolation";
import { startServerProcess } from "./server-process";

/**
 * Section "checkout stress" (issue 8): a Stress Test in checkout mode on a hold drop, through a real server
 * process as `npm start` runs it (its 1 s hold sweeper, the 5 s rehearsal hold), at the seller's default 200
 * at once and at 50. The figures are the receipt page's own: verdict, paid of N, what became of the holds,
 * the win latency that decides whether fans can act within the hold, and the headline's warnings.
 */
export interface CheckoutStressFigures {
  backend: string;
  quantity: number;
  attempts: number;
  concurrency: number;
  seconds: number;
  verdict: string;
  paid: string;
  expired: string;
  released: string;
  refunded: string;
  winLatency: string;
  headline: string;
}

/** The text of the element with this id on the page (the receipt's facts are plain text in <dd>s). */
const textOf = (html: string, id: string) =>
  (new RegExp(`id="${id}"[^>]*>([^<]*)<`).exec(html)?.[1] ?? "?")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .trim();

export async function benchCheckoutStress(
  backend: string,
  env: Record<string, string>,
  sizes: { quantity: number; attempts: number; concurrency: number },
  log: (line: string) => void,
): Promise<CheckoutStressFigures> {
  const server = await startServerProcess({
    ...env,
    STRESS_RUNS_PER_HOUR: "1000",
    STRESS_ATTEMPTS_PER_DAY: "100000000",
  });
  try {
    const web = webSession(server.url);
    const email = `checkout-${Date.now()}@bench.test`;
    const password = "bench password 1";
    const signUp = await fetch(`${server.url}/api/sellers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password, name: "Checkout bench" }),
    });
    const { apiKey } = (await signUp.json()) as { apiKey: string };
    await web.submit("/seller/sign-in", "/seller/sign-in", { email, password });
    // A hold drop (the seller form's hold field is not needed: the API takes holdMinutes).
    const created = await fetch(`${server.url}/api/drops`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({
        title: "Hold drop",
        priceCents: 4000,
        quantity: sizes.quantity,
        maxPerFan: 1,
        holdMinutes: 10,
        startsAt: new Date(Date.now() + 86_400_000).toISOString(),
      }),
    });
    if (created.status !== 201) throw new Error(`creating the hold drop answered ${created.status}`);
    const { drop } = (await created.json()) as { drop: { slug: string } };
    log(
      `${backend}: checkout Stress Test, ${sizes.attempts} fans at ${sizes.concurrency} on ${sizes.quantity} units`,
    );
    const startedAt = performance.now();
    const started = await web.submit(`/seller/drops/${drop.slug}`, `/seller/drops/${drop.slug}/stress`, {
      attempts: String(sizes.attempts),
      concurrency: String(sizes.concurrency),
    });
    const runPath = started.headers.get("location");
    if (started.status !== 303 || !runPath)
      throw new Error(`starting the Stress Test answered ${started.status}`);
    let html = "";
    do {
      await new Promise((resolve) => setTimeout(resolve, 500));
      html = await (await web.get(runPath)).text();
    } while (html.includes('<span id="stress-status">Running</span>'));
    return {
      backend,
      ...sizes,
      seconds: (performance.now() - startedAt) / 1000,
      verdict: textOf(html, "stress-verdict"),
      paid: textOf(html, "receipt-paid"),
      expired: textOf(html, "receipt-expired"),
      released: textOf(html, "receipt-released"),
      refunded: textOf(html, "receipt-refunded"),
      winLatency: textOf(html, "receipt-win-latency"),
      headline: textOf(html, "receipt-headline"),
    };
  } finally {
    await server.stop();
  }
}

/** The section as Markdown, for BENCHMARKS.md. */
export function formatCheckoutStress(rows: CheckoutStressFigures[]): string {
  const head = [
    "backend",
    "fans at once",
    "verdict",
    "paid",
    "expired / released / refunded",
    "win latency",
    "s",
    "headline",
  ];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map(() => " --- ").join("|")}|`];
  for (const r of rows) {
    lines.push(
      `| ${[
        r.backend,
        `${r.attempts.toLocaleString("en-US")} at ${r.concurrency}`,
        r.verdict,
        r.paid,
        `${r.expired} / ${r.released} / ${r.refunded}`,
        r.winLatency,
        r.seconds.toFixed(0),
        r.headline,
      ].join(" | ")} |`,
    );
  }
  return ["### Stress Test in checkout mode", "", ...lines].join("\n");
}
