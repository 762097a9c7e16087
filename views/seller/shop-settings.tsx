import type { ShopBrand } from "../../src/domain/catalog/brand";
import { MAX_BIO_LENGTH, MAX_BRAND_LINKS } from "../../src/web/seller/shop-settings-forms";
import { Layout } from "../layout";
import { CsrfField, Field, type FieldErrors, FieldMessages, FormProblem, type FormValues } from "./fields";
import type { SellerShell } from "./shell";

export interface ShopSettingsProps extends SellerShell {
  shopName: string;
  shopSlug: string;
  brand: ShopBrand;
  /** The form as typed after a refused save; the stored brand otherwise. */
  values: FormValues;
  errors: FieldErrors;
  /** Why the last logo or banner upload was refused, shown on its field. */
  pictureError?: { slot: "logo" | "banner"; message: string } | undefined;
  saved?: boolean;
}

/** The settings form's values from a stored brand. */
export function brandFormValues(brand: ShopBrand): FormValues {
  // The box starts unticked: ticked by default, it would silently ignore a colour the seller just picked.
  // A shop without an accent sees Dropfront's purple in the picker, so saving as is changes nothing visible.
  const values: FormValues = { accent: brand.accent ?? "#4b2fd6", keepSiteAccent: "", bio: brand.bio };
  brand.links.forEach((link, i) => {
    values[`link${i + 1}Label`] = link.label;
    values[`link${i + 1}Url`] = link.url;
  });
  return values;
}

/** The logo or the banner: what fans see now, a file field to replace it and a button to remove it. */
function PictureCard(props: ShopSettingsProps & { slot: "logo" | "banner" }) {
  const { slot, brand } = props;
  const picture = brand[slot];
  const id = `${slot}-file`;
  const error = props.pictureError?.slot === slot ? props.pictureError.message : undefined;
  const label = slot === "logo" ? "Logo" : "Banner";
  return (
    <section class="card brand-picture" id={`shop-${slot}`} aria-labelledby={`${slot}-heading`}>
      <h2 id={`${slot}-heading`}>{label}</h2>
      {picture ? (
        <img
          class={`brand-${slot}-preview`}
          src={picture.sources[0]?.url ?? picture.url}
          alt={`Your ${slot}`}
          width={slot === "logo" ? 96 : 320}
          height={slot === "logo" ? 96 : Math.round((320 * picture.height) / picture.width)}
        />
      ) : (
        <p class="hint">
          {slot === "logo"
            ? "No logo yet: fans see your shop's initials."
            : "No banner yet: your shop page opens with your name on your colour."}
        </p>
      )}
      <form method="post" action={`/seller/shop/${slot}`} enctype="multipart/form-data">
        <CsrfField token={props.csrfToken} />
        <label for={id}>{picture ? `Replace the ${slot}` : `Choose a ${slot}`}</label>
        <input
          id={id}
          name="image"
          type="file"
          accept="image/jpeg,image/png,image/webp"
          aria-invalid={error ? "true" : undefined}
          aria-describedby={error ? `${id}-hint ${id}-error` : `${id}-hint`}
        />
        <FieldMessages
          name={id}
          hint={
            slot === "logo"
              ? "Square works best (shown round, 48 px). JPEG, PNG or WebP, up to 8 MB."
              : "Wide works best (about 3:1). JPEG, PNG or WebP, up to 8 MB."
          }
          error={error}
        />
        <div class="control-row">
          <button type="submit" data-pending-label="Uploading…">
            Upload {slot}
          </button>
        </div>
      </form>
      {picture ? (
        <form method="post" action={`/seller/shop/${slot}/delete`}>
          <CsrfField token={props.csrfToken} />
          <button type="submit" class="secondary">
            Remove the {slot}
          </button>
        </form>
      ) : null}
    </section>
  );
}

/**
 * /seller/shop: how the shop looks to fans. Colour, bio and links in one form (every problem reported at
 * once); logo and banner each with their own upload, so a refused picture never loses the typed text.
 */
export function ShopSettingsPage(props: ShopSettingsProps) {
  const { values, errors } = props;
  const hasErrors = Object.keys(errors).length > 0;
  return (
    <Layout
      title="Your shop"
      sellerName={props.sellerName}
      csrfToken={props.csrfToken}
      scripts={["dashboard.js"]}
    >
      <div class="narrow shop-settings">
        <div class="page-head">
          <h1>Your shop</h1>
          <a href={`/s/${props.shopSlug}`} class="button secondary">
            See it as fans do
          </a>
        </div>
        <p class="lead">
          Your drop pages and your shop page lead with this: your logo, your colour, your words. Dropfront
          stays one quiet line at the bottom.
        </p>
        {props.saved ? (
          <p class="notice ok" role="status">
            Saved. Fans see it within a few seconds.
          </p>
        ) : null}
        <FormProblem message={hasErrors ? "Some fields need a look: each says what to change." : undefined} />
        <form method="post" action="/seller/shop" class="card" id="brand-form" novalidate>
          <CsrfField token={props.csrfToken} />
          <h2>Colour and words</h2>
          <div class="field">
            <label for="accent">Accent colour</label>
            <input
              id="accent"
              name="accent"
              type="color"
              class="colour"
              value={values.accent ?? "#4b2fd6"}
              aria-invalid={errors.accent ? "true" : undefined}
              aria-describedby={errors.accent ? "accent-hint accent-error" : "accent-hint"}
            />
            <FieldMessages
              name="accent"
              hint="Any colour works: buttons get white or black text, whichever reads best, and links a shade that reads on the page."
              error={errors.accent}
            />
          </div>
          <label class="check">
            <input type="checkbox" name="keepSiteAccent" checked={values.keepSiteAccent === "on"} /> Use
            Dropfront's purple instead
          </label>
          <div class="field">
            <label for="bio">Short bio</label>
            <textarea
              id="bio"
              name="bio"
              rows={3}
              maxlength={MAX_BIO_LENGTH}
              aria-invalid={errors.bio ? "true" : undefined}
              aria-describedby={errors.bio ? "bio-hint bio-error" : "bio-hint"}
            >
              {values.bio ?? ""}
            </textarea>
            <FieldMessages
              name="bio"
              hint={`Up to ${MAX_BIO_LENGTH} characters, shown under your name. Plain text.`}
              error={errors.bio}
            />
          </div>
          <fieldset class="brand-links">
            <legend>Links</legend>
            <p class="hint">
              Your site, socials, a store: up to {MAX_BRAND_LINKS}, each starting with https://.
            </p>
            {Array.from({ length: MAX_BRAND_LINKS }, (_, i) => (
              <div class="row">
                <Field
                  name={`link${i + 1}Label`}
                  label={`Link ${i + 1} label`}
                  values={values}
                  errors={errors}
                  placeholder="Instagram"
                />
                <Field
                  name={`link${i + 1}Url`}
                  label={`Link ${i + 1} address`}
                  type="url"
                  values={values}
                  errors={errors}
                  placeholder="https://"
                />
              </div>
            ))}
          </fieldset>
          <button type="submit" data-pending-label="Saving…">
            Save
          </button>
        </form>
        <PictureCard {...props} slot="logo" />
        <PictureCard {...props} slot="banner" />
      </div>
    </Layout>
  );
}
