import type { Child } from "hono/jsx";
import type { ShopFront } from "../../src/domain/catalog/storefront";
import { Layout } from "../layout";
import { ClosedReceipt, type ClosedReceiptProps } from "./closed-receipt";
import { shopHref } from "./links";
import { Receipt, type ReceiptProps } from "./receipt";

/**
 * The frame of an order's own page (/d/<slug>/orders/<id>?k=…): the order's title, a heading for screen
 * readers, the order itself, and a way back to the drop and the shop.
 */
export function OrderPage(props: {
  title: string;
  heading: string;
  slug: string;
  shop: ShopFront;
  scripts: string[];
  htmx?: boolean;
  children: Child;
}) {
  return (
    <Layout
      title={props.title}
      htmx={props.htmx}
      styles={["fan.css"]}
      scripts={props.scripts}
      homeHref={shopHref(props.shop)}
      shop={props.shop}
    >
      <div class="receipt-page">
        <h1 class="visually-hidden">{props.heading}</h1>
        {props.children}
        <p class="receipt-links">
          <a href={`/d/${props.slug}`}>Back to the drop</a> ·{" "}
          <a href={shopHref(props.shop)}>More from {props.shop.name}</a>
        </p>
      </div>
    </Layout>
  );
}

/**
 * /d/<slug>/orders/<id>?k=…: where a buy without JavaScript lands (post/redirect/get), and the page a
 * fan bookmarks. The same receipt as the htmx answer, with a way back to the drop and the shop.
 */
export function ReceiptPage(props: ReceiptProps & { slug: string; shop: ShopFront }) {
  return (
    <OrderPage
      title={`Unit #${props.order.unitNo} · ${props.title}`}
      heading="Your receipt"
      slug={props.slug}
      shop={props.shop}
      scripts={["drop.js"]}
    >
      <Receipt {...props} />
    </OrderPage>
  );
}

/** /d/<slug>/orders/<id>?k=… of an order the shop cancelled or refunded: what happened, and nothing to do. */
export function ClosedReceiptPage(props: ClosedReceiptProps & { slug: string; shop: ShopFront }) {
  return (
    <OrderPage
      title={`${props.order.status === "refunded" ? "Refunded" : "Cancelled"} · ${props.title}`}
      heading="Your order"
      slug={props.slug}
      shop={props.shop}
      scripts={["drop.js"]}
    >
      <ClosedReceipt {...props} />
    </OrderPage>
  );
}

/** A receipt address with a wrong part: said plainly, without telling which part was wrong. */
export function ReceiptNotFoundPage() {
  return (
    <Layout title="Receipt not found" styles={["fan.css"]}>
      <div class="fan-message">
        <h1>Receipt not found</h1>
        <p>This receipt link is not complete. Open the link exactly as it was shown after your purchase.</p>
      </div>
    </Layout>
  );
}
