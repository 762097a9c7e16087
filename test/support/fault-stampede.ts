import { randomBytes } from "node:crypto";
import { keepAliveClient, readAllOrders, readAudit, runWorkers } from "../../src/stampede";

/**
 * A stampede whose every answer is kept, for the fault suites: each attempt is one new fan with its own
 * idempotency key, and afterwards the keys whose answer was lost (busy, a 5xx, a broken socket) are retried
 * the way a fan's page does, with the same key, until the answer is final. Then the database's audit and
 * order list are held against that log:
 * - every 201 has its order row with the same unit; oversold is 0; "sold out" only once stock is 0;
 * - an order nobody was told about (no 201) exists only for a key whose first answer was lost, and the
 *   retry with that key gets exactly that order back (never a second unit);
 * - no answer is a 500 and no body carries a stack trace.
 */

export interface LoggedAnswer {
  status: number;
  /** `error.code` of an error body, when there is one. */
  code: string | undefined;
  order: { id: string; unitNo: number; createdAt: string } | undefined;
  /** When the answer (or the network error) arrived, on this machine's clock (the database's is the same). */
  answeredAt: number;
  /** Milliseconds from sending to the answer (or the network error). */
  ms: number;
  /** The socket broke or timed out: no HTTP answer at all. */
  network: string | undefined;
  stackTrace: boolean;
}

export interface FaultRun {
  baseUrl: string;
  dropId: string;
  runId: string;
  answers: LoggedAnswer[];
  durationMs: number;
}

// A V8 stack frame ("at fn (file.ts:12:5)"), a source path or a node internal: never in an answer.
const STACK_TRACE = /\bat .+:\d+:\d+|node_modules|node:internal|\.tsx?:\d+/;

const keyOf = (run: { runId: string }, n: number) => `${run.runId}-${n}`;

async function send(
  client: ReturnType<typeof keepAliveClient>,
  dropId: string,
  fan: string,
  key: string,
): Promise<LoggedAnswer> {
  const sentAt = performance.now();
  try {
    const res = await client.postJson(`/api/drops/${dropId}/purchase`, JSON.stringify({ fan }), {
      "idempotency-key": key,
    });
    let body: { order?: LoggedAnswer["order"]; error?: { code?: string } } = {};
    try {
      body = JSON.parse(res.text);
    } catch {
      // A non-JSON body is itself worth seeing: it stays in `code` as undefined with its status.
    }
    return {
      status: res.status,
      code: body.error?.code,
      order: res.status === 201 || res.status === 200 ? body.order : undefined,
      answeredAt: Date.now(),
      ms: performance.now() - sentAt,
      network: undefined,
      stackTrace: STACK_TRACE.test(res.text),
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      status: 0,
      code: undefined,
      order: undefined,
      answeredAt: Date.now(),
      ms: performance.now() - sentAt,
      network: message,
      stackTrace: false,
    };
  }
}

/** `attempts` purchases of one drop by new fans from `concurrency` keep-alive connections, every answer logged. */
export async function faultStampede(options: {
  baseUrl: string;
  dropId: string;
  attempts: number;
  concurrency: number;
  requestTimeoutMs?: number;
  onAnswer?: (answered: number, answer: LoggedAnswer) => void;
  /** Stops handing out attempts; the log then holds only those sent. */
  signal?: AbortSignal;
}): Promise<FaultRun> {
  const run = { runId: randomBytes(5).toString("hex") };
  const client = keepAliveClient(options.baseUrl, options.concurrency, options.requestTimeoutMs ?? 30_000);
  const answers: LoggedAnswer[] = new Array(options.attempts);
  let answered = 0;
  const startedAt = performance.now();
  try {
    const sent = await runWorkers(
      options.attempts,
      options.concurrency,
      async (n) => {
        const answer = await send(client, options.dropId, `fan-${run.runId}-${n}`, keyOf(run, n));
        answers[n] = answer;
        options.onAnswer?.(++answered, answer);
      },
      options.signal,
    );
    answers.length = sent;
  } finally {
    client.close();
  }
  return {
    baseUrl: options.baseUrl,
    dropId: options.dropId,
    runId: run.runId,
    answers,
    durationMs: performance.now() - startedAt,
  };
}

export interface FaultVerdict {
  attempts: number;
  /** First answers by HTTP status (0 = no answer: the socket broke). */
  byStatus: Record<string, number>;
  quantity: number;
  sold: number;
  remaining: number;
  oversold: number;
  acknowledged: number;
  /** Orders that committed although their first answer was not a 201 (busy, 5xx, broken socket); the retry
   *  with the key returned them. */
  lostAcknowledgements: number;
  /** Keys whose first answer was busy (nothing committed) and whose retry bought. */
  boughtOnRetry: number;
  /** 201s with no order row carrying their unit: must be 0. */
  acknowledgedWithoutRow: number;
  /** Orders neither acknowledged nor returned to a retry of a lost answer: must be 0. */
  unexplainedOrders: number;
  /** Orders handed to more than one key (two fans told the same unit): must be 0. */
  orderGivenToTwoKeys: number;
  internalErrors: number;
  stackTraces: number;
  soldOutWhileStockLeft: number;
  /** Every broken rule in words; empty when the run held. */
  breaches: string[];
}

const isFinal = (answer: LoggedAnswer) =>
  answer.status === 201 || answer.status === 200 || answer.status === 409;

/**
 * Retries every lost answer with its own key (as the fan page does) until it is final, then checks the run
 * against the drop's audit and order list, read through the owner's API.
 */
export async function settleAndAudit(run: FaultRun, apiKey: string): Promise<FaultVerdict> {
  const byStatus: Record<string, number> = {};
  for (const answer of run.answers) byStatus[answer.status] = (byStatus[answer.status] ?? 0) + 1;
  const internalErrors = run.answers.filter((answer) => answer.status === 500).length;
  const stackTraces = run.answers.filter((answer) => answer.stackTrace).length;

  const client = keepAliveClient(run.baseUrl, 8, 30_000);
  const retried = new Map<number, LoggedAnswer>();
  const lost = run.answers.flatMap((answer, n) => (isFinal(answer) ? [] : [n]));
  try {
    await runWorkers(lost.length, 8, async (i) => {
      const n = lost[i]!;
      for (let tries = 0; tries < 50; tries++) {
        const answer = await send(client, run.dropId, `fan-${run.runId}-${n}`, keyOf(run, n));
        retried.set(n, answer);
        if (isFinal(answer)) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    });
  } finally {
    client.close();
  }

  const audit = await readAudit(run.baseUrl, run.dropId, apiKey);
  const orders = await readAllOrders(run.baseUrl, run.dropId, apiKey);
  const unitOf = new Map(orders.orderIds.map((id, i) => [id, orders.units[i]!]));

  const acknowledged = run.answers.filter((answer) => answer.status === 201);
  const acknowledgedWithoutRow = acknowledged.filter(
    (answer) => !answer.order || unitOf.get(answer.order.id) !== answer.order.unitNo,
  ).length;
  const recovered = [...retried.entries()].flatMap(([n, answer]) =>
    answer.order ? [{ ...answer, first: run.answers[n]! }] : [],
  );
  const toldIds = [...acknowledged, ...recovered].map((answer) => answer.order!.id);
  const told = new Set(toldIds);
  const orderGivenToTwoKeys = toldIds.length - told.size;
  const unexplainedOrders = orders.orderIds.filter((id) => !told.has(id)).length;
  const withRow = recovered.filter((answer) => unitOf.get(answer.order!.id) === answer.order!.unitNo);
  // Committed before its first answer arrived, yet that answer was not a 201: the acknowledgement was lost.
  const lostAcknowledgements = withRow.filter(
    (answer) => Date.parse(answer.order!.createdAt) <= answer.first.answeredAt,
  ).length;
  const boughtOnRetry = withRow.length - lostAcknowledgements;
  const soldOutAnswers = run.answers.filter((answer) => answer.code === "sold_out").length;
  const soldOutWhileStockLeft = audit.remaining > 0 ? soldOutAnswers : 0;
  const stillUnsettled = lost.filter((n) => !isFinal(retried.get(n)!)).length;

  const breaches: string[] = [];
  if (audit.oversold > 0 || audit.sold > audit.quantity) breaches.push(`oversold by ${audit.oversold}`);
  if (audit.duplicateUnits > 0) breaches.push(`${audit.duplicateUnits} units sold twice`);
  if (orders.orderIds.length !== audit.sold) breaches.push("order list and audit disagree");
  if (acknowledgedWithoutRow > 0) breaches.push(`${acknowledgedWithoutRow} acknowledged orders have no row`);
  if (unexplainedOrders > 0) breaches.push(`${unexplainedOrders} orders nobody was told about`);
  if (orderGivenToTwoKeys > 0) breaches.push(`${orderGivenToTwoKeys} orders were handed to two keys`);
  if (recovered.length !== withRow.length) breaches.push("a retried key got an order with no row");
  if (internalErrors > 0) breaches.push(`${internalErrors} answers were 500`);
  if (stackTraces > 0) breaches.push(`${stackTraces} answers carried a stack trace`);
  if (soldOutWhileStockLeft > 0) breaches.push(`"sold out" while ${audit.remaining} units remain`);
  if (stillUnsettled > 0) breaches.push(`${stillUnsettled} lost answers never settled on retry`);

  return {
    attempts: run.answers.length,
    byStatus,
    quantity: audit.quantity,
    sold: audit.sold,
    remaining: audit.remaining,
    oversold: audit.oversold,
    acknowledged: acknowledged.length,
    lostAcknowledgements,
    boughtOnRetry,
    acknowledgedWithoutRow,
    unexplainedOrders,
    orderGivenToTwoKeys,
    internalErrors,
    stackTraces,
    soldOutWhileStockLeft,
    breaches,
  };
}

/** One line for RELIABILITY.md and the test log. */
export function describeVerdict(name: string, verdict: FaultVerdict): string {
  const statuses = Object.entries(verdict.byStatus)
    .map(([status, count]) => `${status === "0" ? "no answer" : status}: ${count}`)
    .join(", ");
  return `${name}: ${verdict.attempts} attempts (${statuses}); sold ${verdict.sold}/${verdict.quantity}, oversold ${verdict.oversold}, acknowledged ${verdict.acknowledged}, lost acknowledgements recovered by key ${verdict.lostAcknowledgements}, bought on retry ${verdict.boughtOnRetry}, breaches: ${verdict.breaches.join("; ") || "none"}`;
}
