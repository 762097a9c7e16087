import { randomBytes, randomUUID } from "node:crypto";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { MAX_IMAGE_BYTES } from "../src/domain/catalog/image-encoding";
import { isAvailable, openTestDatabase, type TestBackend } from "./support/databases";
import { imageForm, makePicture } from "./support/pictures";
import { createDrop, createSeller, json } from "./support/shop-fixtures";

/** Storage is plain SQL with no concurrency of its own: one PostgreSQL isolation is enough beside PGlite. */
const BACKENDS: TestBackend[] = ["pglite", "postgres-read-committed"];

interface ImageJson {
  id: string;
  url: string;
  width: number;
  height: number;
}

describe.each(BACKENDS)("drop images on %s", (backend) => {
  const it_ = isAvailable(backend) ? it : it.skip;
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let apiKey: string;
  let slug: string;
  let dropId: string;

  beforeAll(async () => {
    if (!isAvailable(backend)) return;
    db = await openTestDatabase(backend);
    app = createApp({ db, logError: () => undefined });
    ({ apiKey } = await createSeller(app));
    ({ slug, id: dropId } = await createDrop(app, apiKey, { title: "Picture drop" }));
  });
  afterAll(async () => db?.close());

  const upload = (ref: string, body: FormData | string, key = apiKey, type?: string) =>
    app.request(`/api/drops/${ref}/images`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, ...(type ? { "content-type": type } : {}) },
      body,
    });

  it_("re-encodes an upload into WebP widths without metadata, served immutable with an ETag", async () => {
    const jpeg = await makePicture(2000, 1500, "jpeg", { exif: true });
    expect((await sharp(jpeg).metadata()).exif).toBeDefined(); // the control: the upload does carry EXIF
    const res = await upload(slug, imageForm(jpeg, "image/jpeg", "photo.jpg"));
    expect(res.status).toBe(201);
    const { image } = (await res.json()) as { image: ImageJson };
    expect(image).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      url: expect.stringMatching(new RegExp(`^/images/${image.id}/1280-[0-9a-f]{32}\\.webp$`)),
      width: 1280,
      height: 960,
    });

    const file = await app.request(image.url);
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toBe("image/webp");
    expect(file.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const etag = file.headers.get("etag");
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    const bytes = Buffer.from(await file.arrayBuffer());
    const meta = await sharp(bytes).metadata();
    expect(meta).toMatchObject({ format: "webp", width: 1280, height: 960 });
    expect(meta.exif).toBeUndefined();
    expect(bytes.includes("SecretCam")).toBe(false);

    const again = await app.request(image.url, { headers: { "if-none-match": etag! } });
    expect(again.status).toBe(304);

    // The drop's JSON lists it; the fan page offers both widths through srcset.
    const drop = (await (await app.request(`/api/drops/${slug}`)).json()) as {
      drop: { images: ImageJson[] };
    };
    expect(drop.drop.images).toEqual([image]);
    const page = await (await app.request(`/d/${slug}`)).text();
    expect(page).toMatch(
      new RegExp(`srcset="/images/${image.id}/640-[0-9a-f]{32}\\.webp 640w, ${image.url} 1280w"`),
    );
    expect(page).toContain(`<meta property="og:image" content="http://localhost${image.url}"/>`);
  });

  it_("never enlarges a small picture: one file at its own width", async () => {
    const res = await upload(dropId, imageForm(await makePicture(300, 400, "webp"), "image/webp"));
    expect(res.status).toBe(201);
    const { image } = (await res.json()) as { image: ImageJson };
    expect(image).toMatchObject({ width: 300, height: 400 });
    const { rows } = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM image_files WHERE image_id = $1::uuid",
      [image.id],
    );
    expect(rows[0]!.n).toBe(1);
  });

  it_("refuses what is not a picture (400) and what is too big (413) with the usual error body", async () => {
    const text = await upload(slug, imageForm(Buffer.from("just some text"), "image/png"));
    expect(text.status).toBe(400);
    expect(await text.json()).toEqual({
      error: {
        code: "invalid",
        message: "image: Choose a JPEG, PNG or WebP picture",
        issues: [{ path: "image", message: "Choose a JPEG, PNG or WebP picture" }],
      },
    });
    const gif = await sharp({ create: { width: 8, height: 8, channels: 3, background: "red" } })
      .gif()
      .toBuffer();
    expect((await upload(slug, imageForm(gif, "image/gif"))).status).toBe(400);
    // A valid PNG signature with the rest cut off: fails while decoding, still a 400, never a 500.
    const truncated = (await makePicture(400, 400)).subarray(0, 300);
    expect((await upload(slug, imageForm(truncated))).status).toBe(400);

    const huge = await upload(slug, imageForm(randomBytes(MAX_IMAGE_BYTES + 1)));
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { error: { code: string } }).error.code).toBe("image_too_large");
    const missing = await upload(slug, "{}", apiKey, "application/json");
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { issues: { path: string }[] } }).error.issues[0]!.path).toBe(
      "image",
    );
  });

  it_("keeps the 16 KB limit everywhere but the upload routes", async () => {
    const big = await app.request(
      "/api/drops",
      json({ title: "x".repeat(20_000) }, { authorization: `Bearer ${apiKey}` }),
    );
    expect(big.status).toBe(413);
  });

  it_("lets only the owner add or remove pictures", async () => {
    const png = await makePicture(64, 64);
    expect((await upload(slug, imageForm(png), "dfl_wrong")).status).toBe(401);
    const other = await createSeller(app);
    expect((await upload(slug, imageForm(png), other.apiKey)).status).toBe(404);
    const mine = (await (await upload(slug, imageForm(png))).json()) as { image: ImageJson };
    const remove = (key: string, id = mine.image.id) =>
      app.request(`/api/drops/${slug}/images/${id}`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${key}` },
      });
    expect((await remove(other.apiKey)).status).toBe(404);
    expect((await remove(apiKey, randomUUID())).status).toBe(404);
    expect((await remove(apiKey, "not-a-uuid")).status).toBe(404);
    expect((await remove(apiKey)).status).toBe(204);
    expect((await app.request(mine.image.url)).status).toBe(404);
    const drop = (await (await app.request(`/api/drops/${slug}`)).json()) as {
      drop: { images: ImageJson[] };
    };
    expect(drop.drop.images.map((i) => i.id)).not.toContain(mine.image.id);
  });
});
