/**
 * Server-side request forgery guard for webhook endpoints: a seller's URL must not make this server call
 * into its own network. The host is resolved, every address it resolves to must be public unicast (not
 * loopback, private, link-local — where cloud metadata lives —, unique-local, carrier-grade NAT, reserved,
 * multicast or an IPv6 form that embeds an IPv4 address), and the request then connects to that checked
 * address itself, so a DNS answer that changes between check and connect (rebinding) cannot get through.
 */
import { lookup } from "node:dns/promises";
import ipaddr from "ipaddr.js";

export class UnsafeAddress extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsafeAddress";
  }
}

/** True for an address a webhook may be sent to. */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === "unicast";
}

export type Resolver = (host: string) => Promise<string[]>;

export const systemResolver: Resolver = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((answer) => answer.address);

/**
 * The address to connect to for `url`: its host resolved and checked (every answer, so a host that also
 * resolves to a private address is refused). `allowPrivate` (WEBHOOKS_ALLOW_PRIVATE, development and tests
 * only) skips the check, not the resolution.
 * @example const address = await checkedAddress(new URL("https://example.com/hook"), false)
 */
export async function checkedAddress(
  url: URL,
  allowPrivate: boolean,
  resolve = systemResolver,
): Promise<string> {
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const addresses = ipaddr.isValid(host) ? [host] : await resolve(host).catch(() => []);
  if (addresses.length === 0) throw new UnsafeAddress(`${host} does not resolve`);
  if (!allowPrivate) {
    const refused = addresses.find((address) => !isPublicAddress(address));
    if (refused) throw new UnsafeAddress(`${host} resolves to ${refused}, which is not a public address`);
  }
  return addresses[0]!;
}
