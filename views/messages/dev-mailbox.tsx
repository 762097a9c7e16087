import type { KeptMail } from "../../src/repository";
import { Layout } from "../layout";

/** The dev mailbox: mail the server would have sent, newest first (only with no SMTP server, only on loopback). */
export function DevMailboxPage(props: { mails: KeptMail[] }) {
  return (
    <Layout title="Dev mailbox">
      <h1>Dev mailbox</h1>
      <p>
        No SMTP server is configured (SMTP_URL), so mail is kept here instead of sent. This page answers only
        on this machine's loopback address.
      </p>
      {props.mails.length === 0 ? <p>No mail yet.</p> : null}
      {props.mails.map((mail) => (
        <article class="card" id={`mail-${mail.id}`}>
          <h2>{mail.subject}</h2>
          <p>
            To <strong>{mail.recipient}</strong> ·{" "}
            <time datetime={mail.createdAt.toISOString()}>{mail.createdAt.toISOString()}</time>
          </p>
          <pre>{mail.text}</pre>
        </article>
      ))}
    </Layout>
  );
}

/** The unsubscribe page: a one-click POST form (a GET never unsubscribes, so link scanners cannot). */
export function UnsubscribePage(props: { a: string; t: string; done: boolean; valid: boolean }) {
  return (
    <Layout title="Unsubscribe">
      <h1>Unsubscribe</h1>
      {!props.valid ? (
        <p>This unsubscribe link is not valid.</p>
      ) : props.done ? (
        <p>You are unsubscribed: no more reminders. Receipts for what you buy still come.</p>
      ) : (
        <form
          method="post"
          action={`/unsubscribe?a=${encodeURIComponent(props.a)}&t=${encodeURIComponent(props.t)}`}
        >
          <p>Stop hold reminders and other mail that is not a receipt?</p>
          <button type="submit">Unsubscribe</button>
        </form>
      )}
    </Layout>
  );
}
