/**
 * Verified fans' API (issue 17 §1): ask for an email code, trade it for a fan token. The token then goes
 * in the `Fan-Token` header of a purchase on a verified-fans drop.
 */
import { Hono } from "hono";
import * as v from "valibot";
import type { VerifiedFans } from "../domain/fairness";
import {
  isRehearsalMarker,
  REHEARSAL_HEADER,
  REHEARSAL_RUN_HEADER,
} from "../domain/stress-test/rehearsal-marker";
import { answer, describe, jsonRequest } from "./openapi";
import { safeText } from "./safe-text";
import { jsonBody, parseWith } from "./validation";

/** A fan's email address: one line, trimmed, at most 200 characters (the fan identity's limit). */
export const FanEmail = v.pipe(
  v.string("email is required"),
  safeText("email", "line"),
  v.trim(),
  v.minLength(1, "email is required"),
  v.maxLength(200, "email must be at most 200 characters"),
  v.email("email must be an email address"),
);

export const CodeRequestBody = v.object({ email: FanEmail });
export const SessionBody = v.object({
  email: FanEmail,
  code: v.pipe(v.string("code is required"), v.trim(), v.regex(/^\d{6}$/, "code is the 6 digits we emailed")),
});

const CodeAnswer = v.strictObject({ expiresAt: v.string() });
const SessionAnswer = v.strictObject({ fanToken: v.string(), email: v.string(), expiresAt: v.string() });

export function fanApiRoutes(fans: VerifiedFans) {
  const api = new Hono();

  api.post(
    "/fans/codes",
    describe(
      {
        summary: "Email a 6-digit code to a fan's address (the same answer for any address)",
        tags: ["fans"],
        requestBody: jsonRequest(CodeRequestBody),
        responses: { 202: answer("a code is on its way; it expires at expiresAt", CodeAnswer) },
      },
      [400, 413, 415, 429, 503],
    ),
    async (c) => {
      const { email } = parseWith(CodeRequestBody, await jsonBody(c));
      // The Stress Test's own fans (this process's secret marker): codes go to the run's mailbox.
      const run = isRehearsalMarker(c.req.header(REHEARSAL_HEADER))
        ? c.req.header(REHEARSAL_RUN_HEADER)
        : undefined;
      const { expiresAt } = await fans.requestCode(email, c.var.clientAddress ?? "local", {
        rehearsalRun: run,
      });
      return c.json({ expiresAt: expiresAt.toISOString() }, 202);
    },
  );

  api.post(
    "/fans/sessions",
    describe(
      {
        summary: "Trade the emailed code for a fan token (30 days), sent as Fan-Token on purchases",
        tags: ["fans"],
        requestBody: jsonRequest(SessionBody),
        responses: { 201: answer("the fan token", SessionAnswer) },
      },
      [400, 413, 415, 422, 503],
    ),
    async (c) => {
      const { email, code } = parseWith(SessionBody, await jsonBody(c));
      const session = await fans.startSession(email, code);
      return c.json(
        { fanToken: session.fanToken, email: session.email, expiresAt: session.expiresAt.toISOString() },
        201,
      );
    },
  );

  return api;
}
