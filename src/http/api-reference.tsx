import type { Hono } from "hono";
import { ApiReferencePage, type ReferenceOperation } from "../../views/api/reference";
import { openApiDocument } from "./openapi";

type Document = Awaited<ReturnType<typeof openApiDocument>>;

const SCHEME_NAMES: Record<string, string> = {
  sellerKey: "the seller's API key",
  orderToken: "the order token",
};

function operationsOf(doc: Document): ReferenceOperation[] {
  return Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    Object.entries(item ?? {}).map(([method, raw]) => {
      const op = raw as {
        summary?: string;
        security?: Record<string, unknown>[];
        requestBody?: { content?: Record<string, unknown> };
        responses?: Record<string, { description?: string }>;
      };
      const scheme = Object.keys(op.security?.[0] ?? {})[0];
      return {
        method,
        path,
        summary: op.summary ?? "",
        auth: scheme ? (SCHEME_NAMES[scheme] ?? scheme) : undefined,
        requestTypes: Object.keys(op.requestBody?.content ?? {}),
        responses: Object.entries(op.responses ?? {}).map(([status, r]) => ({
          status,
          description: r.description ?? "",
        })),
      };
    }),
  );
}

/**
 * GET /api/openapi.json (the generated document) and GET /api/docs (a page rendered from it). The document
 * is made once, on first request, from the routes `app` has by then: mount this after every API route.
 * @example apiReferenceRoutes(app)
 */
export function apiReferenceRoutes(app: Hono) {
  let document: Promise<Document> | undefined;
  const load = () => {
    document ??= openApiDocument(app);
    return document;
  };
  app.get("/api/openapi.json", async (c) => c.json(await load()));
  app.get("/api/docs", async (c) => {
    const doc = await load();
    return c.html(
      <ApiReferencePage
        title={doc.info.title}
        description={doc.info.description ?? ""}
        operations={operationsOf(doc)}
      />,
    );
  });
}
