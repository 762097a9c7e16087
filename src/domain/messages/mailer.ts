/**
 * Where fan email goes: an SMTP server (nodemailer, SMTP_URL), or — with none configured — the dev mailbox,
 * a table read by a page only on loopback (web/dev-mailbox-routes.tsx), with one log line per message.
 */
import nodemailer from "nodemailer";
import type { Database } from "../../db/database";
import type { Logger } from "../../observability/logger";
import * as repo from "../../repository";

export interface OutgoingMail {
  deliveryId: string;
  to: string;
  fromName: string;
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
}

export interface Mailer {
  /** Resolves once the message is accepted (by the SMTP server, or kept); rejects to be tried again. */
  send(mail: OutgoingMail): Promise<void>;
  /** "smtp" when mail leaves the server; "mailbox" when it is kept for the dev mailbox. */
  readonly mode: "smtp" | "mailbox";
  close(): void;
}

/**
 * @example createSmtpMailer("smtp://user:pass@mail.example.com:587", "shop@example.com")
 */
export function createSmtpMailer(smtpUrl: string, from: string, timeoutMs = 10_000): Mailer {
  const url = new URL(smtpUrl);
  const secure = url.protocol === "smtps:";
  const transport = nodemailer.createTransport({
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    ...(url.username
      ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } }
      : {}),
    // A few connections kept open and reused: a sold-out drop's confirmations go out without a TCP and SMTP
    // handshake each. A connection the server drops is replaced; the message it carried is tried again.
    pool: true,
    maxConnections: 4,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  return {
    mode: "smtp",
    async send(mail) {
      await transport.sendMail({
        from: { name: mail.fromName, address: from },
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        headers: mail.headers,
      });
    },
    close: () => transport.close(),
  };
}

export function createMailboxMailer(db: Database, log: Logger): Mailer {
  return {
    mode: "mailbox",
    async send(mail) {
      await repo.keepMail(db, mail.deliveryId, {
        recipient: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        headers: mail.headers,
      });
      log.info({ to: mail.to, subject: mail.subject }, "mail kept in the dev mailbox (no SMTP_URL)");
    },
    close: () => undefined,
  };
}
