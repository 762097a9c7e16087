import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AA,
  accentAsText,
  brandStylesheet,
  contrastRatio,
  DARK_BACKGROUNDS,
  inkOn,
  LIGHT_BACKGROUNDS,
  parseStoredLinks,
  parseStoredPicture,
} from "../src/domain/catalog/brand";

const hexColour = fc
  .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }))
  .map((rgb) => `#${rgb.map((c) => c.toString(16).padStart(2, "0")).join("")}`);

describe("a shop's accent keeps WCAG AA contrast whatever the seller picks", () => {
  it("computes the WCAG ratio (known pairs)", () => {
    expect(contrastRatio("#ffffff", "#000000")).toBeCloseTo(21, 5);
    expect(contrastRatio("#777777", "#ffffff")).toBeCloseTo(4.48, 2);
    expect(contrastRatio("#4b2fd6", "#ffffff")).toBeGreaterThan(7);
  });

  it("the text on an accent-filled button reaches 4.5:1 for every colour", () => {
    fc.assert(
      fc.property(hexColour, (accent) => contrastRatio(inkOn(accent), accent) >= AA),
      { numRuns: 5000 },
    );
  });

  it("the accent used as link text reaches 4.5:1 on the light and the dark page", () => {
    fc.assert(
      fc.property(hexColour, (accent) => {
        const light = accentAsText(accent, LIGHT_BACKGROUNDS);
        const dark = accentAsText(accent, DARK_BACKGROUNDS);
        return (
          LIGHT_BACKGROUNDS.every((bg) => contrastRatio(light, bg) >= AA) &&
          DARK_BACKGROUNDS.every((bg) => contrastRatio(dark, bg) >= AA)
        );
      }),
      { numRuns: 5000 },
    );
  });

  it("control: picked colours as they are would fail, so the adjustment is doing the work", () => {
    // A bright yellow as link text on white, and white text on it, are both far under AA.
    expect(contrastRatio("#ffd400", "#ffffff")).toBeLessThan(AA);
    expect(inkOn("#ffd400")).toBe("#000000");
    expect(accentAsText("#ffd400", LIGHT_BACKGROUNDS)).not.toBe("#ffd400");
    // A dark navy stays itself on light pages (no needless change) and is lightened for the dark scheme.
    expect(accentAsText("#1d2b64", LIGHT_BACKGROUNDS)).toBe("#1d2b64");
    expect(accentAsText("#1d2b64", DARK_BACKGROUNDS)).not.toBe("#1d2b64");
    expect(inkOn("#1d2b64")).toBe("#ffffff");
  });

  it("writes the stylesheet with the accent, its ink and a text shade per scheme", () => {
    const css = brandStylesheet("#ffd400");
    expect(css).toContain("--accent:#ffd400;--accent-ink:#000000;--accent-text:#");
    expect(css).toContain("@media (prefers-color-scheme: dark)");
  });
});

describe("stored brand fields are parsed again on every read", () => {
  it("keeps only http(s) links", () => {
    const stored = JSON.stringify([
      { label: "Site", url: "https://band.example" },
      { label: "Bad", url: "javascript:alert(1)" },
    ]);
    expect(parseStoredLinks(stored)).toEqual([]);
    expect(parseStoredLinks(JSON.stringify([{ label: "Site", url: "https://band.example" }]))).toEqual([
      { label: "Site", url: "https://band.example" },
    ]);
    expect(parseStoredLinks("not json")).toEqual([]);
  });

  it("ignores a picture descriptor that is not what an upload writes", () => {
    expect(parseStoredPicture(null)).toBeUndefined();
    expect(parseStoredPicture('{"id":"x","files":[]}')).toBeUndefined();
  });
});
