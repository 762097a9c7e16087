/**
 * Fan email's pages: the dev mailbox (GET /dev/mailbox) and one-click unsubscribe (GET/POST /unsubscribe).
 * The mailbox answers only while no SMTP server is configured, and only to a request that came straight
 * from loopback (no proxy in between: behind a proxy on the same machine every request would look local).
 */
import { Hono } from "hono";
import { DevMailboxPage, UnsubscribePage } from "../../../views/messages/dev-mailbox";
import type { Database } from "../../db/database";
import { NotFound } from "../../domain/errors";
import type { UnsubscribeLinks } from "../../domain/messages/unsubscribe";
import { clientOf } from "../../http/client-address";
import * as repo from "../../repository";

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+|local)$/;

export function messageRoutes(deps: { db: Database; mailbox: boolean; unsubscribe: UnsubscribeLinks }) {
  const routes = new Hono();

  routes.get("/dev/mailbox", async (c) => {
    const proxied = c.req.header("x-forwarded-for") !== undefined || c.req.header("forwarded") !== undefined;
    if (!deps.mailbox || proxied || !LOOPBACK.test(clientOf(c))) throw new NotFound("page or endpoint");
    c.header("Cache-Control", "no-store");
    return c.html(<DevMailboxPage mails={await repo.listMailbox(deps.db, 200)} />);
  });

  const params = (c: { req: { query(name: string): string | undefined } }) => ({
    a: (c.req.query("a") ?? "").slice(0, 400),
    t: (c.req.query("t") ?? "").slice(0, 64),
  });

  routes.get("/unsubscribe", async (c) => {
    const { a, t } = params(c);
    const valid = (await deps.unsubscribe.verify(a, t)) !== undefined;
    return c.html(<UnsubscribePage a={a} t={t} valid={valid} done={false} />, valid ? 200 : 404);
  });

  // RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" to the link itself; a person's form does too.
  routes.post("/unsubscribe", async (c) => {
    const { a, t } = params(c);
    const done = await deps.unsubscribe.unsubscribe(a, t);
    return c.html(<UnsubscribePage a={a} t={t} valid={done} done={done} />, done ? 200 : 404);
  });

  return routes;
}
