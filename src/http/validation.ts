import type { Context } from "hono";
import * as v from "valibot";
import { InvalidInput } from "../domain/errors";
import { UnsupportedMediaType } from "./error-response";

/**
 * Parses `input` with a valibot schema or throws InvalidInput listing each field and its reason.
 * @example const body = parseWith(PurchaseBody, await jsonBody(c))
 */
export function parseWith<S extends v.GenericSchema>(schema: S, input: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  throw new InvalidInput(
    result.issues.map((issue) => ({ path: v.getDotPath(issue) ?? "", message: messageOf(issue) })),
  );
}

/**
 * Valibot's own words for two common mistakes are written for programmers ("Invalid key: Expected "fan"
 * but received undefined"); say them the way the rest of our messages do.
 */
function messageOf(issue: v.BaseIssue<unknown>): string {
  const path = v.getDotPath(issue);
  if (issue.kind === "schema" && issue.type === "object" && issue.input === undefined && path) {
    return `${path} is required`;
  }
  if (issue.kind === "schema" && issue.type === "object" && !path) return "Body must be a JSON object.";
  return issue.message;
}

/** The request body as JSON: 415 when it is not declared as JSON, 400 when it does not parse. */
export async function jsonBody(c: Context): Promise<unknown> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type))
    throw new UnsupportedMediaType("application/json");
  const text = await c.req.text();
  try {
    return text.trim() === "" ? {} : JSON.parse(text);
  } catch {
    throw new InvalidInput([{ path: "", message: "Body is not valid JSON." }]);
  }
}

/**
 * A form post's fields (urlencoded or multipart). A body that does not parse as the form it claims to be
 * (a broken multipart boundary, say) is the client's mistake: 400, not the TypeError the parser throws.
 * @example const fields = await formBody(c)
 */
export async function formBody(c: Context): Promise<Record<string, string | File>> {
  try {
    return (await c.req.parseBody()) as Record<string, string | File>;
  } catch {
    throw new InvalidInput([{ path: "", message: "The form body could not be read." }]);
  }
}
