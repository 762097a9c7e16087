import { Layout } from "../layout";

/** The parts of an OpenAPI operation the reference page shows. */
export interface ReferenceOperation {
  method: string;
  path: string;
  summary: string;
  auth: string | undefined;
  requestTypes: string[];
  responses: { status: string; description: string }[];
}

/**
 * /api/docs: the API reference, rendered on the server from the generated OpenAPI document (no script, so
 * nothing to fetch from elsewhere and nothing the CSP has to allow). The document itself is one link away.
 */
export function ApiReferencePage(props: {
  title: string;
  description: string;
  operations: ReferenceOperation[];
}) {
  return (
    <Layout title="API reference">
      {/* The layout is the page's one <main>: a second, nested one is three axe violations. */}
      <div class="page api-reference">
        <h1>{props.title}</h1>
        <p>{props.description}</p>
        <p>
          Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1).
        </p>
        {props.operations.map((op) => (
          <section class="card" id={`${op.method}-${op.path}`}>
            <h2>
              <code>
                {op.method.toUpperCase()} {op.path}
              </code>
            </h2>
            <p>{op.summary}</p>
            {op.auth ? <p>Authorization: Bearer {op.auth}</p> : null}
            {op.requestTypes.length > 0 ? <p>Body: {op.requestTypes.join(", ")}</p> : null}
            <dl>
              {op.responses.map((r) => (
                <>
                  <dt>
                    <code>{r.status}</code>
                  </dt>
                  <dd>{r.description}</dd>
                </>
              ))}
            </dl>
          </section>
        ))}
      </div>
    </Layout>
  );
}
