/**
 * Who the verified fan of a request is (issue 17 §1): the `Fan-Token` header (API) or the HttpOnly
 * `dfl_fan` cookie the drop page sets (pages). The token verifies in memory (see
 * domain/fairness/verified-fans.ts), so asking costs a purchase no database read.
 */
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import type { VerifiedFan, VerifiedFans } from "../domain/fairness";

export const FAN_TOKEN_HEADER = "fan-token";
export const FAN_COOKIE = "dfl_fan";

/**
 * The verified fan of this request (`fan`: the per-fan key, `email`: the address as shown), or undefined
 * without a valid, unexpired token. The header wins over the cookie.
 * @example const fan = await verifiedFan(c, fans); if (!fan) throw new FanUnverified();
 */
export async function verifiedFan(c: Context, fans: VerifiedFans): Promise<VerifiedFan | undefined> {
  const token = c.req.header(FAN_TOKEN_HEADER) ?? getCookie(c, FAN_COOKIE);
  if (!token || token.length > 1000) return undefined;
  return fans.verify(token);
}
