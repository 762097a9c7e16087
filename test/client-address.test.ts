import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { clientAddressMiddleware, clientKey, clientOf } from "../src/http/client-address";

/**
 * Issue 15 §2: rate-limit keys were raw peer addresses, so one IPv6 subscriber, who holds a whole /64,
 * rotated through fresh addresses and never met a limit. Keys group IPv6 by /64; IPv4 stays per address.
 */
describe("client keys for per-client limits", () => {
  it("groups IPv6 by its /64, however the address is written", () => {
    expect(clientKey("2001:db8:1:2:a:b:c:d")).toBe("2001:db8:1:2::/64");
    expect(clientKey("2001:db8:1:2::1")).toBe("2001:db8:1:2::/64");
    expect(clientKey("2001:0DB8:0001:0002:ffff:ffff:ffff:ffff")).toBe("2001:db8:1:2::/64");
    expect(clientKey("2001:db8::")).toBe("2001:db8:0:0::/64");
    expect(clientKey("::1")).toBe("0:0:0:0::/64");
    expect(clientKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(clientKey("64:ff9b::192.0.2.33")).toBe("64:ff9b:0:0::/64");
    expect(clientKey("2001:db8:1:3::1")).not.toBe(clientKey("2001:db8:1:2::1"));
  });

  it("keeps IPv4 (also as a dual-stack socket reports it) per address, and anything else as it is", () => {
    expect(clientKey("203.0.113.9")).toBe("203.0.113.9");
    expect(clientKey("::ffff:203.0.113.9")).toBe("203.0.113.9");
    expect(clientKey("::FFFF:203.0.113.9")).toBe("203.0.113.9");
    expect(clientKey("local")).toBe("local");
    expect(clientKey("not:an:address")).toBe("not:an:address");
  });

  it("is the key sign-in and every limit see, from the socket or a trusted proxy's entry", async () => {
    const keyed = (trustProxy: number) =>
      new Hono().use("*", clientAddressMiddleware(trustProxy)).get("/", (c) => c.text(clientOf(c)));
    const from = (address: string) => ({ incoming: { socket: { remoteAddress: address } } });
    const direct = keyed(0);
    const one = await direct.request("/", {}, from("2001:db8:aa:bb:1:2:3:4"));
    const other = await direct.request("/", {}, from("2001:db8:aa:bb:9:9:9:9"));
    expect(await one.text()).toBe("2001:db8:aa:bb::/64");
    expect(await other.text()).toBe("2001:db8:aa:bb::/64");
    const proxied = await keyed(1).request(
      "/",
      { headers: { "x-forwarded-for": "2001:db8:cc:dd::77" } },
      from("127.0.0.1"),
    );
    expect(await proxied.text()).toBe("2001:db8:cc:dd::/64");
  });
});
