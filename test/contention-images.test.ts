import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { MAX_IMAGES_PER_DROP } from "../src/domain/catalog/images";
import { ALL_BACKENDS, isAvailable, openTestDatabase } from "./support/databases";
import { imageForm, makePicture } from "./support/pictures";
import { createDrop, createSeller } from "./support/shop-fixtures";

/**
 * Issue 15 §3: the picture limit was check-then-insert, and 30 concurrent uploads left 30 pictures. The
 * insert now takes a free place (1..8) in one statement under a unique index: exactly 8 are stored.
 */
const UPLOADS = 30;

describe.each(ALL_BACKENDS)("the picture limit under concurrent uploads on %s", (backend) => {
  const it_ = isAvailable(backend) ? it : it.skip;
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let apiKey: string;
  let picture: Buffer;

  beforeAll(async () => {
    if (!isAvailable(backend)) return;
    db = await openTestDatabase(backend);
    app = createApp({ db, logError: () => undefined });
    ({ apiKey } = await createSeller(app));
    picture = await makePicture(64, 48);
  });
  afterAll(async () => db?.close());

  const stored = async (dropId: string) =>
    (
      await db.query<{ n: number }>("SELECT count(*)::int AS n FROM drop_images WHERE drop_id = $1::uuid", [
        dropId,
      ])
    ).rows[0]!.n;

  it_(`${UPLOADS} uploads at once leave exactly ${MAX_IMAGES_PER_DROP} pictures`, async () => {
    const drop = await createDrop(app, apiKey, { title: "Many pictures" });
    const answers = await Promise.all(
      Array.from({ length: UPLOADS }, () =>
        app.request(`/api/drops/${drop.id}/images`, {
          method: "POST",
          headers: { authorization: `Bearer ${apiKey}` },
          body: imageForm(picture),
        }),
      ),
    );
    const statuses = answers.map((res) => res.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(MAX_IMAGES_PER_DROP);
    // The rest are told the limit (400), or busy (503) if they ran out of tries: never a 500.
    expect(statuses.every((s) => s === 201 || s === 400 || s === 503)).toBe(true);
    expect(await stored(drop.id)).toBe(MAX_IMAGES_PER_DROP);
    const { rows } = await db.query<{ slot: number }>(
      "SELECT slot FROM drop_images WHERE drop_id = $1::uuid ORDER BY slot",
      [drop.id],
    );
    expect(rows.map((row) => row.slot)).toEqual(Array.from({ length: MAX_IMAGES_PER_DROP }, (_, i) => i + 1));

    // A removed picture frees its place for the next upload, and only that one.
    const { drop: shown } = (await (await app.request(`/api/drops/${drop.id}`)).json()) as {
      drop: { images: { id: string }[] };
    };
    const gone = await app.request(`/api/drops/${drop.id}/images/${shown.images[0]!.id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(gone.status).toBe(204);
    const again = await Promise.all(
      Array.from({ length: 5 }, () =>
        app.request(`/api/drops/${drop.id}/images`, {
          method: "POST",
          headers: { authorization: `Bearer ${apiKey}` },
          body: imageForm(picture),
        }),
      ),
    );
    expect(again.filter((res) => res.status === 201)).toHaveLength(1);
    expect(await stored(drop.id)).toBe(MAX_IMAGES_PER_DROP);
  });

  it_("control: the old check-then-insert lets every concurrent upload through", async () => {
    const drop = await createDrop(app, apiKey, { title: "Control" });
    // Each upload counts first (as every one of 30 concurrent requests did), then inserts without a place.
    const counts = await Promise.all(Array.from({ length: UPLOADS }, () => stored(drop.id)));
    await Promise.all(
      counts
        .filter((n) => n < MAX_IMAGES_PER_DROP)
        .map(() =>
          db.query("INSERT INTO drop_images (drop_id, width, height) VALUES ($1::uuid, 64, 48)", [drop.id]),
        ),
    );
    expect(await stored(drop.id)).toBe(UPLOADS);
  });
});
