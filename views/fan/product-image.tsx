import type { DropImage } from "../../src/domain/catalog/images";

/** "Midnight Hoodie" -> "MH": the placeholder's letters when a drop has no picture. */
export function initialsOf(title: string): string {
  const words = title.match(/[\p{L}\p{N}]+/gu) ?? [];
  const letters = words.slice(0, 2).map((word) => word[0]!.toUpperCase());
  return letters.join("") || "?";
}

/** A hue from the shop's name, so each shop's placeholders share one colour. */
export function hueOf(name: string): number {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) % 360;
  return hash;
}

/** One of twelve hue classes (hue-0 … hue-11, 30 degrees apart, set in fan.css): the CSP allows no style attribute. */
export const hueClassOf = (name: string): string => `hue-${Math.floor(hueOf(name) / 30)}`;

export interface ProductImageProps {
  title: string;
  shopName: string;
  image: DropImage | undefined;
  /** The layout width the picture fills, for the browser to pick a file from srcset. */
  sizes: string;
  /** The first picture on the page loads at once; others may wait until scrolled to. */
  eager?: boolean;
  /** The shop set its own accent: the placeholder takes it instead of the name's hue. */
  accented?: boolean | undefined;
}

/**
 * The product picture at a fixed aspect ratio (so nothing moves while it loads), or a placeholder of the
 * title's initials in the shop's colour.
 */
export function ProductImage({ title, shopName, image, sizes, eager, accented }: ProductImageProps) {
  if (!image) {
    return (
      <div
        class={`product-image placeholder ${accented ? "accented" : hueClassOf(shopName)}`}
        role="img"
        aria-label={title}
      >
        <span aria-hidden="true">{initialsOf(title)}</span>
      </div>
    );
  }
  return (
    <div class="product-image">
      <img
        src={image.url}
        srcset={image.sources.map((s) => `${s.url} ${s.width}w`).join(", ")}
        sizes={sizes}
        width={image.width}
        height={image.height}
        alt={title}
        loading={eager ? "eager" : "lazy"}
        decoding="async"
        {...(eager ? { fetchpriority: "high" } : {})}
      />
    </div>
  );
}

/** The drop's pictures: the first large, any others as a row of smaller ones under it. */
export function Gallery(props: {
  title: string;
  shopName: string;
  images: DropImage[];
  accented?: boolean | undefined;
}) {
  const [first, ...rest] = props.images;
  return (
    <div class="gallery">
      <ProductImage
        title={props.title}
        shopName={props.shopName}
        image={first}
        sizes="(min-width: 960px) 560px, 100vw"
        accented={props.accented}
        eager
      />
      {rest.length > 0 ? (
        <ul class="gallery-more">
          {rest.map((image, i) => (
            <li>
              <ProductImage
                title={`${props.title}, picture ${i + 2}`}
                shopName={props.shopName}
                image={image}
                sizes="(min-width: 960px) 180px, 33vw"
              />
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
