import type { ShopFront } from "../../src/domain/storefront";
import { Layout } from "../layout";
import { shopHref } from "./drop-page";
import { Receipt, type ReceiptProps } from "./receipt";

/**
 * /d/<slug>/orders/<id>?k=…: where a buy without JavaScript lands (post/redirect/get), and the page a
 * fan bookmarks. The same receipt as the htmx answer, with a way back to the drop and the shop.
 */
export function ReceiptPage(props: ReceiptProps & { slug: string; shop: ShopFront }) {
  return (
    <Layout
      title={`Unit #${props.order.unitNo} · ${props.title}`}
      styles={["fan.css"]}
      scripts={["drop.js"]}
      homeHref={shopHref(props.shop)}
    >
      <div class="receipt-page">
        <h1 class="visually-hidden">Your receipt</h1>
        <Receipt {...props} />
        <p class="receipt-links">
          <a href={`/d/${props.slug}`}>Back to the drop</a> ·{" "}
          <a href={shopHref(props.shop)}>More from {props.shop.name}</a>
        </p>
      </div>
    </Layout>
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
