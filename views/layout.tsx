import { raw } from "hono/html";
import type { Child } from "hono/jsx";

export interface LayoutProps {
  title: string;
  /** Extra scripts this page needs, by file name under /static. */
  scripts?: string[];
  /** Whether the page uses htmx (and its SSE extension). */
  htmx?: boolean;
  /** Shown in the top bar when a seller is signed in. */
  sellerName?: string | undefined;
  /** CSRF token for the sign-out form when a seller is signed in. */
  csrfToken?: string | undefined;
  children?: Child;
  /** Extra stylesheets this page needs, by file name under /static (the fan pages' fan.css). */
  styles?: string[];
  /** Extra tags for <head>, e.g. a fan page's Open Graph tags. */
  head?: Child;
  /** Where the logo leads; fan pages send fans to the shop, never to the seller sign-up at "/". */
  homeHref?: string;
}

/** The page shell: one stylesheet, deferred scripts, no fonts or third-party requests. */
export function Layout(props: LayoutProps) {
  // The doctype keeps browsers out of quirks mode; JSX cannot express it, so it is written raw.
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{props.title} · Dropfront Live</title>
          <link rel="stylesheet" href="/static/app.css" />
          {(props.styles ?? []).map((name) => (
            <link rel="stylesheet" href={`/static/${name}`} />
          ))}
          {props.head ?? null}
          {/* No favicon file: an empty icon spares every page a 404 round trip. */}
          <link rel="icon" href="data:," />
          {/* The CSP allows no inline style, so htmx must not inject its indicator <style>. */}
          {props.htmx ? <meta name="htmx-config" content='{"includeIndicatorStyles":false}' /> : null}
          {props.htmx ? <script src="/static/htmx.min.js" defer /> : null}
          {props.htmx ? <script src="/static/sse.min.js" defer /> : null}
          {(props.scripts ?? []).map((name) => (
            <script src={`/static/${name}`} defer />
          ))}
        </head>
        <body>
          <a class="skip" href="#main">
            Skip to content
          </a>
          <header class="topbar">
            <a class="brand" href={props.homeHref ?? "/"}>
              Dropfront <span>Live</span>
            </a>
            {props.sellerName ? (
              <nav aria-label="Seller">
                <a href="/seller/drops">Drops</a>
                <a href="/seller/webhooks">Webhooks</a>
                <a href="/seller/account">{props.sellerName}</a>
                <form method="post" action="/seller/sign-out" class="inline">
                  <input type="hidden" name="csrf" value={props.csrfToken ?? ""} />
                  <button type="submit" class="link">
                    Sign out
                  </button>
                </form>
              </nav>
            ) : null}
          </header>
          <main id="main">{props.children}</main>
        </body>
      </html>
    </>
  );
}
