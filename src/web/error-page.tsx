import type { Context } from "hono";
import { Layout } from "../../views/layout";
import { type DomainError, InvalidInput } from "../domain/errors";
import { retryAfterOf, statusFor } from "../http/error-response";

const HEADINGS: Record<number, string> = {
  400: "That did not work",
  401: "Please sign in",
  403: "Request refused",
  404: "Not found",
  409: "That clashes with what is there",
  429: "Too many tries",
  500: "Something went wrong on our side",
};

export interface ErrorPageProps {
  status: number;
  message: string;
  sellerName?: string | undefined;
  csrfToken?: string | undefined;
}

export function ErrorPage(props: ErrorPageProps) {
  const heading = HEADINGS[props.status] ?? "That did not work";
  return (
    <Layout title={heading} sellerName={props.sellerName} csrfToken={props.csrfToken}>
      <div class="narrow">
        <h1>{heading}</h1>
        <p id="error-message">{props.message}</p>
        <p>
          <a href="/">Go to the start page</a>
        </p>
      </div>
    </Layout>
  );
}

/** What a person should read: invalid input lists its fields' problems, each starting with a capital. */
function messageOf(error: DomainError): string {
  if (!(error instanceof InvalidInput)) return error.message;
  const text = error.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : error.message;
}

/**
 * A domain error as an HTML page, with the status the JSON API would give (statusFor is the one mapping).
 * htmx requests get only the message, since they swap it into part of a page.
 * @example return htmlError(c, new NotFound("drop"))
 */
export function htmlError(
  c: Context,
  error: DomainError,
  shell: { sellerName?: string | undefined; csrfToken?: string | undefined } = {},
): Response | Promise<Response> {
  const status = statusFor(error);
  const message = messageOf(error);
  const retryAfter = retryAfterOf(error);
  if (retryAfter !== undefined) c.header("Retry-After", String(retryAfter));
  if (c.req.header("hx-request") === "true") {
    return c.html(
      <p class="field-error" role="alert">
        {message}
      </p>,
      status,
    );
  }
  return c.html(<ErrorPage status={status} message={message} {...shell} />, status);
}

/** The page for a failure we did not foresee; the details go to the log, not to the visitor. */
export function internalErrorPage(c: Context): Response | Promise<Response> {
  return c.html(<ErrorPage status={500} message="Please try again in a moment." />, 500);
}
