import type { DropImage } from "../../src/domain/catalog/images";
import { MAX_IMAGES_PER_DROP } from "../../src/domain/catalog/images";
import { Layout } from "../layout";
import { CsrfField, FieldMessages } from "./fields";
import type { SellerShell } from "./shell";

export interface DropImagesCardProps {
  slug: string;
  title: string;
  images: DropImage[];
  csrfToken: string;
  /** Why the last upload was refused, shown on the file field. */
  error?: string | undefined;
}

const imagesUrl = (slug: string) => `/seller/drops/${slug}/images`;

/** The file field for a drop picture, shared by the new-drop form and the Images card. */
export function PictureField(props: {
  label: string;
  error?: string | undefined;
  hint: string;
  /** A picture chosen on an earlier try of the same form, kept by the server (the new-drop form). */
  kept?: { id: string; image: DropImage } | undefined;
}) {
  const { kept } = props;
  return (
    <div class="field picture-field">
      <label for="image">{props.label}</label>
      {kept ? (
        <div class="kept-picture" id="kept-picture">
          <img
            src={kept.image.sources[0]?.url ?? kept.image.url}
            alt="Your chosen file, kept"
            width={96}
            height={Math.round((96 * kept.image.height) / kept.image.width)}
          />
          <div>
            <p id="kept-picture-note">
              Your picture is kept: it becomes the drop's picture when you create it.
            </p>
            <label class="check">
              <input type="checkbox" name="removePicture" value="on" id="removePicture" /> Don't use this
              picture
            </label>
          </div>
          <input type="hidden" name="pendingPicture" value={kept.id} />
        </div>
      ) : null}
      <input
        id="image"
        name="image"
        type="file"
        accept="image/jpeg,image/png,image/webp"
        aria-invalid={props.error ? "true" : undefined}
        aria-describedby={props.error ? "image-hint image-error" : "image-hint"}
      />
      <FieldMessages
        name="image"
        hint={kept ? "Choose another file to replace it. JPEG, PNG or WebP, up to 8 MB." : props.hint}
        error={props.error}
      />
    </div>
  );
}

/**
 * A drop's pictures on its dashboard: each with a Remove button, and a form to add one. Plain forms that
 * redirect back (no JavaScript needed); the dashboard loads the card with htmx, see DropImagesSlot.
 */
export function DropImagesCard(props: DropImagesCardProps) {
  const full = props.images.length >= MAX_IMAGES_PER_DROP;
  return (
    <section id="drop-images" class="card images-card" aria-labelledby="drop-images-heading">
      <h2 id="drop-images-heading">Images</h2>
      {props.images.length === 0 ? (
        <p class="hint">No pictures yet: fans see the title's initials instead.</p>
      ) : (
        <ul class="image-list">
          {props.images.map((image, i) => (
            <li>
              <img
                src={image.sources[0]?.url ?? image.url}
                alt={`${props.title}, view ${i + 1}`}
                width={120}
                height={Math.round((120 * image.height) / image.width)}
              />
              <form method="post" action={`${imagesUrl(props.slug)}/${image.id}/delete`}>
                <CsrfField token={props.csrfToken} />
                <button type="submit" class="secondary danger" aria-label={`Remove picture ${i + 1}`}>
                  Remove
                </button>
              </form>
            </li>
          ))}
        </ul>
      )}
      {full ? (
        <p class="hint">A drop has at most {MAX_IMAGES_PER_DROP} pictures; remove one to add another.</p>
      ) : (
        <form method="post" action={imagesUrl(props.slug)} enctype="multipart/form-data" id="image-form">
          <CsrfField token={props.csrfToken} />
          <PictureField label="Add a picture" error={props.error} hint="JPEG, PNG or WebP, up to 8 MB." />
          <button type="submit">Upload</button>
        </form>
      )}
    </section>
  );
}

/** The one line the dashboard includes: fetches the card once loaded; without JavaScript, a link to it. */
export function DropImagesSlot({ slug }: { slug: string }) {
  return (
    <section
      id="drop-images"
      class="card images-card"
      hx-get={imagesUrl(slug)}
      hx-trigger="load"
      hx-swap="outerHTML"
    >
      <h2>Images</h2>
      <p>
        <a href={imagesUrl(slug)}>Manage this drop's pictures</a>
      </p>
    </section>
  );
}

/** The card on a page of its own: without JavaScript, and after an upload was refused. */
export function DropImagesPage(props: DropImagesCardProps & SellerShell) {
  return (
    <Layout title={`Pictures · ${props.title}`} sellerName={props.sellerName} csrfToken={props.csrfToken}>
      <div class="narrow">
        <p class="crumbs">
          <a href="/seller/drops">Drops</a> / <a href={`/seller/drops/${props.slug}`}>{props.title}</a> /
          Pictures
        </p>
        <h1>Pictures: {props.title}</h1>
        <DropImagesCard {...props} />
      </div>
    </Layout>
  );
}
