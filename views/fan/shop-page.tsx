import type { ShopDrop, ShopFront } from "../../src/domain/storefront";
import { Layout } from "../layout";
import { formatStartsAt } from "./countdown";
import { BADGE } from "./fan-status";
import { formatPrice } from "./price";
import { ProductImage } from "./product-image";

export interface ShopPageProps {
  shop: ShopFront;
  drops: ShopDrop[];
}

function DropCard({ item, shop }: { item: ShopDrop; shop: ShopFront }) {
  const { drop, status, remaining } = item;
  return (
    <li class="shop-drop">
      <a href={`/d/${drop.slug}`} class="shop-drop-link">
        <ProductImage
          title={drop.title}
          shopName={shop.name}
          image={item.images[0]}
          sizes="(min-width: 960px) 300px, 50vw"
        />
        <span class="shop-drop-text">
          <span class={`badge badge-${status}`}>{BADGE[status]}</span>
          <b class="shop-drop-title">{drop.title}</b>
          <span class="shop-drop-price">{formatPrice(drop.priceCents, drop.currency)}</span>
          <span class="shop-drop-when">
            {status === "upcoming" ? (
              <time datetime={drop.startsAt.toISOString()}>{formatStartsAt(drop.startsAt)}</time>
            ) : status === "live" ? (
              `${remaining.toLocaleString("en-US")} of ${drop.quantity.toLocaleString("en-US")} left`
            ) : (
              `All ${drop.quantity.toLocaleString("en-US")} taken`
            )}
          </span>
        </span>
      </a>
    </li>
  );
}

/** /s/<shop>: the shop's live drops first, then upcoming ones, then the last few that sold out. */
export function ShopPage({ shop, drops }: ShopPageProps) {
  const live = drops.filter((d) => d.status === "live");
  const upcoming = drops.filter((d) => d.status === "upcoming");
  const past = drops
    .filter((d) => d.status === "sold_out")
    .slice(-6)
    .reverse();
  const section = (id: string, title: string, items: ShopDrop[]) =>
    items.length === 0 ? null : (
      <section aria-labelledby={id}>
        <h2 id={id}>{title}</h2>
        <ul class="shop-drops">
          {items.map((item) => (
            <DropCard item={item} shop={shop} />
          ))}
        </ul>
      </section>
    );
  return (
    <Layout title={shop.name} styles={["fan.css"]} homeHref={`/s/${shop.slug}`}>
      <div class="shop-page">
        <p class="drop-shop">Shop</p>
        <h1>{shop.name}</h1>
        {live.length + upcoming.length === 0 ? (
          <p class="shop-empty">No drops live or coming up right now. Check back soon.</p>
        ) : null}
        {section("live-now", "Live now", live)}
        {section("coming-up", "Coming up", upcoming)}
        {section("sold-out", "Sold out", past)}
      </div>
    </Layout>
  );
}

export function ShopNotFoundPage() {
  return (
    <Layout title="Shop not found" styles={["fan.css"]}>
      <div class="fan-message">
        <h1>Shop not found</h1>
        <p>There is no shop at this address. Check the link you were given.</p>
      </div>
    </Layout>
  );
}
