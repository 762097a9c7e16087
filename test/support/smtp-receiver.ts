import type { AddressInfo } from "node:net";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

/** A message the SMTP receiver accepted, as mailparser read it. */
export interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  from: string;
  /** Raw header values by lower-case name (mailparser's own `headers` reshapes List-* headers). */
  headers: Map<string, string>;
}

/**
 * A real SMTP server in-process (smtp-server, port 0, no TLS or auth): keeps what it accepted; `refuse(n)`
 * decides whether the n-th message is refused with a temporary error; `restart()` stops it (dropping open
 * sessions) and listens again on the same port.
 */
export async function startSmtpReceiver(refuse: (index: number) => boolean = () => false) {
  const accepted: ReceivedMail[] = [];
  let count = 0;
  let refused = 0;
  const make = () =>
    new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS", "AUTH"],
      logger: false,
      // Stop at once on close: open sessions are cut, as when a mail server restarts.
      closeTimeout: 50,
      onData(stream, _session, callback) {
        const index = count++;
        simpleParser(stream).then(
          (mail) => {
            if (refuse(index)) {
              refused++;
              const error = Object.assign(new Error("try again later"), { responseCode: 451 });
              callback(error);
              return;
            }
            const to = Array.isArray(mail.to) ? mail.to[0] : mail.to;
            accepted.push({
              to: to?.value[0]?.address ?? "",
              subject: mail.subject ?? "",
              text: mail.text ?? "",
              html: typeof mail.html === "string" ? mail.html : "",
              from: mail.from?.text ?? "",
              headers: rawHeaders(mail),
            });
            callback();
          },
          (error: Error) => callback(error),
        );
      },
    });
  let server = make();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return {
    url: `smtp://127.0.0.1:${port}`,
    accepted,
    refusedCount: () => refused,
    close,
    async restart() {
      await close();
      server = make();
      await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    },
  };
}

function rawHeaders(mail: ParsedMail): Map<string, string> {
  return new Map(
    mail.headerLines.map((header) => [header.key, header.line.slice(header.line.indexOf(":") + 1).trim()]),
  );
}
