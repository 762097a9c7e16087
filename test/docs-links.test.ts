import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, test } from "vitest";

/**
 * Every relative link in README.md and docs/*.md leads somewhere: the file exists and, when the link names a
 * heading (`page.md#heading`), the page has that heading under GitHub's anchor rules. Code blocks are skipped
 * (their brackets are code, not links); absolute links (http:, mailto:) are not fetched.
 */
const ROOT = new URL("..", import.meta.url).pathname;
const pages = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`),
];

/** GitHub's heading anchor: lower case, punctuation other than `-` and `_` dropped, spaces to `-`. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

function withoutCode(markdown: string): string {
  return markdown.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
}

function anchorsOf(markdown: string): Set<string> {
  const headings = markdown.replace(/```[\s\S]*?```/g, "").matchAll(/^#{1,6}\s+(.+)$/gm);
  return new Set([...headings].map((m) => anchorOf(m[1]!)));
}

function linksOf(markdown: string): string[] {
  return [...withoutCode(markdown).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!);
}

describe("documentation links", () => {
  test("anchors follow GitHub's rules", () => {
    expect(anchorOf("Runtimes: Bun by default, Node alongside")).toBe(
      "runtimes-bun-by-default-node-alongside",
    );
    expect(anchorOf("`npm run stampede`")).toBe("npm-run-stampede");
  });

  test("the pages exist and link to each other", () => {
    expect(pages.length).toBeGreaterThan(5);
    expect(linksOf(readFileSync(join(ROOT, "README.md"), "utf8")).length).toBeGreaterThan(5);
  });

  test.each(pages)("every relative link in %s resolves", (page) => {
    const markdown = readFileSync(join(ROOT, page), "utf8");
    const broken: string[] = [];
    for (const link of linksOf(markdown)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue;
      const [path = "", anchor] = link.split("#");
      const target = path === "" ? join(ROOT, page) : join(ROOT, dirname(page), decodeURIComponent(path));
      if (!existsSync(target)) {
        broken.push(`${link} (no ${relative(ROOT, target)})`);
        continue;
      }
      if (anchor && statSync(target).isFile() && target.endsWith(".md")) {
        if (!anchorsOf(readFileSync(target, "utf8")).has(anchor))
          broken.push(`${link} (no heading #${anchor})`);
      }
    }
    expect(broken).toEqual([]);
  });
});
