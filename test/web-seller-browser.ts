import type { Hono } from "hono";
import { createApp } from "../src/app";
import { DAY_MS, localFromNow } from "./support/clock";
import { openTestDatabase } from "./support/databases";

/**
 * A minimal browser for app.request(): keeps cookies between requests, sends forms the way a page on
 * our own origin would (with Origin and the form's csrf token), and pulls tokens out of pages.
 */
export class TestBrowser {
  readonly cookies = new Map<string, string>();

  constructor(
    private readonly app: Hono,
    readonly origin = "http://localhost",
  ) {}

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  private remember(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/max-age=0/i.test(line) || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    const response = await this.app.request(`${this.origin}${path}`, {
      headers: { cookie: this.cookieHeader(), ...headers },
    });
    this.remember(response);
    return response;
  }

  async post(
    path: string,
    form: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const response = await this.app.request(`${this.origin}${path}`, {
      method: "POST",
      body: new URLSearchParams(form).toString(),
      headers: {
        cookie: this.cookieHeader(),
        "content-type": "application/x-www-form-urlencoded",
        origin: this.origin,
        ...headers,
      },
    });
    this.remember(response);
    return response;
  }

  /** The csrf token in the first form of the page at `path`. */
  async csrfFrom(path: string): Promise<string> {
    const html = await (await this.get(path)).text();
    const token = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
    if (!token) throw new Error(`no csrf token on ${path}`);
    return token;
  }

  /** Fills in and sends the form on `path`, token included, as a person would. */
  /** A drop made through the new-drop form (`fields` over plain defaults, live in 2030); its reference. */
  async createDrop(fields: Record<string, string> & { title: string; quantity: string }): Promise<string> {
    const res = await this.submit("/seller/drops/new", "/seller/drops", {
      description: "Limited.",
      price: "25.00",
      currency: "usd",
      maxPerFan: "1",
      startsAt: localFromNow(30 * DAY_MS),
      timeZone: "UTC",
      ...fields,
    });
    if (res.status !== 303) throw new Error(`the new-drop form answered ${res.status}: ${await res.text()}`);
    return res.headers.get("location")!.replace("/seller/drops/", "");
  }

  async submit(path: string, action: string, form: Record<string, string>): Promise<Response> {
    return this.post(action, { csrf: await this.csrfFrom(path), ...form });
  }

  async signUp(seller: { name: string; email: string; password: string }): Promise<Response> {
    return this.submit("/seller/sign-up", "/seller/sign-up", seller);
  }

  async signIn(email: string, password: string): Promise<Response> {
    return this.submit("/seller/sign-in", "/seller/sign-in", { email, password });
  }
}

/**
 * The whole app on a fresh embedded database with Ada signed up and signed in, for the console's page tests.
 * @example beforeAll(async () => ({ db, app, ada } = await consoleWithSeller()));
 */
export async function consoleWithSeller() {
  const db = await openTestDatabase("pglite");
  const app = createApp({ db, logError: () => undefined });
  const ada = new TestBrowser(app);
  await ada.signUp({ name: "Ada", email: "ada@example.com", password: "correct horse battery" });
  return { db, app, ada };
}
