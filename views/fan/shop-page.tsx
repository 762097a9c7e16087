import type { ShopDrop, ShopFront } from "../../src/domain/catalog/storefront";
import { Layout, ShopMark } from "../layout";
import { formatStartsAt } from "./countdown";
import { BADGE } from "./fan-status";
import { formatPrice } from "./price";
import { hueClassOf, ProductImage } from "./product-image";

export interface ShopPageProps {
  shop: ShopFront;
  drops: ShopDrop[];
  /** The site's own origin, for the absolute URLs of link previews. */
  origin: string;
}

/** A shared shop link previews with the shop's name, bio and banner (or logo). */
function ShopShareTags({ shop, origin }: ShopPageProps) {
  const image = shop.brand.banner ?? shop.brand.logo;
  const description = shop.brand.bio || `Drops from ${shop.name}`;
  return (
    <>
      <meta name="description" content={description} />
      <meta property="og:type" content="website" />
      <meta property="og:site_name" content={shop.name} />
      <meta property="og:title" content={shop.name} />
      <meta property="og:description" content={description} />
      <meta property="og:url" content={`${origin}/s/${shop.slug}`} />
      {image ? <meta property="og:image" content={`${origin}${image.url}`} /> : null}
      {image ? <meta property="og:image:width" content={String(image.width)} /> : null}
      {image ? <meta property="og:image:height" content={String(image.height)} /> : null}
      <meta name="twitter:card" content={image ? "summary_large_image" : "summary"} />
      <meta name="twitter:title" content={shop.name} />
      <meta name="twitter:description" content={description} />
      {image ? <meta name="twitter:image" content={`${origin}${image.url}`} /> : null}
    </>
  );
}

/** The shop's own header: banner (or its colour), logo, name, bio and links. */
function ShopHeader({ shop }: { shop: ShopFront }) {
  const { banner, bio, links } = shop.brand;
  return (
    <header class="shop-header">
      {banner ? (
        <img
          class="shop-banner"
          src={banner.url}
          srcset={banner.sources.map((s) => `${s.url} ${s.width}w`).join(", ")}
          sizes="(min-width: 1120px) 1088px, 100vw"
          width={banner.width}
          height={banner.height}
          alt=""
          fetchpriority="high"
        />
      ) : (
        <div class={`shop-banner placeholder ${shop.brand.accent ? "accented" : hueClassOf(shop.name)}`} />
      )}
      <div class="shop-identity">
        <ShopMark shop={shop} size="large" />
        <div>
          <h1>{shop.name}</h1>
          {bio ? <p class="shop-bio">{bio}</p> : null}
          {links.length > 0 ? (
            <ul class="shop-links">
              {links.map((link) => (
                <li>
                  <a href={link.url} rel="noopener nofollow ugc">
                    {link.label}
                  </a>
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      </div>
    </header>
  );
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
          accented={shop.brand.accent !== undefined}
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
export function ShopPage(props: ShopPageProps) {
  const { shop, drops } = props;
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
    <Layout
      title={shop.name}
      styles={["fan.css"]}
      homeHref={`/s/${shop.slug}`}
      shop={shop}
      head={<ShopShareTags {...props} />}
    >
      <div class="shop-page">
        <ShopHeader shop={shop} />
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
