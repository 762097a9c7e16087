import { type Context, Hono } from "hono";
import { AccountPage } from "../../../views/seller/account";
import { SignInPage, SignUpPage } from "../../../views/seller/auth";
import { LandingPage } from "../../../views/seller/landing";
import type { SellerAccounts } from "../../domain/accounts";
import { Busy, EmailTaken, TooManyAttempts, Unauthorized } from "../../domain/errors";
import type { Shop } from "../../domain/shop";
import { clientOf } from "../../http/client-address";
import { retryAfterOf, statusFor } from "../../http/error-response";
import { checkedForm } from "../csrf";
import { requireSeller, type SellerEnv, safeNext, signIn, signOut } from "../session";
import { parseSignIn, parseSignUp } from "./seller-forms";

export const shellOf = (c: Context<SellerEnv>) => ({
  sellerName: c.var.seller?.name,
  csrfToken: c.var.csrfToken,
});

/**
 * The landing page, sign-up, sign-in, sign-out and the account page with API-key rotation. Every form is
 * a plain POST that redirects on success (POST-redirect-GET) and re-renders with its errors otherwise.
 */
export function sellerAuthRoutes(shop: Shop, accounts: SellerAccounts) {
  const routes = new Hono<SellerEnv>();

  routes.get("/", (c) => c.html(<LandingPage {...shellOf(c)} />));
  routes.get("/seller", (c) => c.redirect(c.var.seller ? "/seller/drops" : "/seller/sign-in", 303));

  routes.get("/seller/sign-up", (c) => {
    if (c.var.seller) return c.redirect("/seller/drops", 303);
    return c.html(<SignUpPage values={{}} errors={{}} csrfToken={c.var.csrfToken} />);
  });

  routes.post("/seller/sign-up", async (c) => {
    const form = await checkedForm(c, c.var.csrfToken);
    const values = { name: form.name, email: form.email };
    const parsed = parseSignUp(form);
    if (!parsed.ok)
      return c.html(<SignUpPage values={values} errors={parsed.errors} csrfToken={c.var.csrfToken} />, 400);
    try {
      const { seller } = await shop.createSeller(parsed.value);
      await signIn(c, accounts, seller);
      return c.redirect("/seller/drops", 303);
    } catch (error) {
      if (!(error instanceof EmailTaken)) throw error;
      const errors = { email: "An account with this email already exists. Sign in instead?" };
      return c.html(
        <SignUpPage values={values} errors={errors} csrfToken={c.var.csrfToken} />,
        statusFor(error),
      );
    }
  });

  routes.get("/seller/sign-in", (c) => {
    const next = safeNext(c.req.query("next"));
    if (c.var.seller) return c.redirect(next, 303);
    return c.html(<SignInPage values={{}} errors={{}} next={next} csrfToken={c.var.csrfToken} />);
  });

  routes.post("/seller/sign-in", async (c) => {
    const form = await checkedForm(c, c.var.csrfToken);
    const next = safeNext(form.next);
    const values = { email: form.email };
    const parsed = parseSignIn(form);
    if (!parsed.ok) {
      return c.html(
        <SignInPage values={values} errors={parsed.errors} next={next} csrfToken={c.var.csrfToken} />,
        400,
      );
    }
    try {
      const seller = await accounts.checkPassword(parsed.value.email, parsed.value.password, clientOf(c));
      await signIn(c, accounts, seller);
      return c.redirect(next, 303);
    } catch (error) {
      if (!(error instanceof Unauthorized || error instanceof TooManyAttempts || error instanceof Busy))
        throw error;
      const retryAfter = retryAfterOf(error);
      if (retryAfter !== undefined) c.header("Retry-After", String(retryAfter));
      return c.html(
        <SignInPage
          values={values}
          errors={{}}
          problem={error.message}
          next={next}
          csrfToken={c.var.csrfToken}
        />,
        statusFor(error),
      );
    }
  });

  routes.post("/seller/sign-out", async (c) => {
    await checkedForm(c, c.var.csrfToken);
    await signOut(c, accounts);
    return c.redirect("/", 303);
  });

  routes.get("/seller/account", requireSeller, (c) =>
    c.html(<AccountPage seller={c.var.seller} csrfToken={c.var.csrfToken} />),
  );

  routes.post("/seller/account/api-key", requireSeller, async (c) => {
    await checkedForm(c, c.var.csrfToken);
    const apiKey = await shop.rotateApiKey(c.var.seller);
    // The key is in this response only; no cache or back button may keep a copy.
    c.header("Cache-Control", "no-store");
    return c.html(<AccountPage seller={c.var.seller} newApiKey={apiKey} csrfToken={c.var.csrfToken} />);
  });

  return routes;
}
