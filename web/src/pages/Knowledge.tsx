// What the bot answers from: knowledge sources with their embedding progress, the product
// catalog, and a box to ask a question and see which chunks come back.
import { useEffect, useState } from "react";
import { api } from "../api/client";
import type { Product, Source } from "../api/types";
import { useApi } from "../api/useApi";
import { Can, useCan } from "../auth/session";
import { ActionButton } from "../components/ActionButton";
import { Field, Form, required } from "../components/Form";
import { Empty, ErrorNote } from "../components/Status";
import { UserText } from "../components/UserText";
import { money, when } from "../components/format";
import { SearchBox } from "./knowledge/SearchBox";
import { Table } from "../components/Table";

/** How often sources still embedding are asked for their progress. */
const PROGRESS_POLL_MS = 1500;

export function KnowledgePage() {
  return (
    <section>
      <h1>Knowledge base</h1>
      <SearchBox />
      <SourcesCard />
      <ProductsCard />
    </section>
  );
}

function SourcesCard() {
  const sources = useApi<Source[]>("/api/v1/knowledge/sources");
  const admin = useCan("admin");
  const [editing, setEditing] = useState<string | null>(null);
  const working = sources.data?.some((s) => s.status === "pending" || s.status === "embedding") ?? false;

  // Embedding runs in the background; follow it while any source is unfinished.
  const { reload } = sources;
  useEffect(() => {
    if (!working) return;
    const timer = window.setInterval(reload, PROGRESS_POLL_MS);
    return () => window.clearInterval(timer);
  }, [working, reload]);

  return (
    <div className="card">
      <h2>Sources</h2>
      <ErrorNote error={sources.error} />
      {sources.data && sources.data.length === 0 && <Empty>No knowledge yet: add an FAQ, a document or products.</Empty>}
      <ul className="rows" aria-label="Knowledge sources">
        {sources.data?.map((s) => (
          <li key={s.id} className="row">
            <div className="grow">
              <strong>
                <UserText>{s.title}</UserText>
              </strong>{" "}
              <span className="tag">{s.kind}</span>{" "}
              <span className={`tag status-${s.status}`} data-testid="source-status">
                {s.status}
              </span>
              <div className="muted">
                {s.status === "embedding" || s.status === "pending" ? (
                  <label>
                    {s.chunks_done} of {s.chunks_total || "?"} chunks embedded{" "}
                    <progress max={s.chunks_total || undefined} value={s.chunks_total ? s.chunks_done : undefined} />
                  </label>
                ) : (
                  <>
                    {s.chunks_total} {s.chunks_total === 1 ? "chunk" : "chunks"} · {s.embedding_model ?? "no model yet"} · updated {when(s.updated_at)}
                  </>
                )}
              </div>
              {s.error && <p className="error">{s.error}</p>}
              {editing === s.id && (
                <SourceForm
                  source={s}
                  onSaved={() => {
                    setEditing(null);
                    reload();
                  }}
                />
              )}
            </div>
            {admin && !s.product_id && (
              <div className="row-actions">
                <button type="button" onClick={() => setEditing(editing === s.id ? null : s.id)} aria-expanded={editing === s.id}>
                  {editing === s.id ? "Cancel edit" : "Edit"}
                </button>
                <ActionButton
                  kind="danger"
                  label={`Delete source ${s.title}`}
                  onClick={async () => {
                    await api.del(`/api/v1/knowledge/sources/${s.id}`);
                    reload();
                  }}
                >
                  Delete
                </ActionButton>
              </div>
            )}
          </li>
        ))}
      </ul>
      <Can min="admin">
        <h3>Add a source</h3>
        <SourceForm onSaved={reload} />
      </Can>
    </div>
  );
}

/** Creates a source, or replaces one (the server keeps no text to prefill: paste it again). */
function SourceForm({ source, onSaved }: { source?: Source; onSaved: () => void }) {
  return (
    <Form
      label={source ? `Edit source ${source.title}` : "Add a knowledge source"}
      submitLabel={source ? "Save source" : "Add source"}
      reset={!source}
      onSubmit={async (d) => {
        const body = {
          kind: required(d, "kind"),
          title: required(d, "title"),
          format: required(d, "format"),
          content: required(d, "content"),
        };
        if (source) await api.put(`/api/v1/knowledge/sources/${source.id}`, body);
        else await api.post("/api/v1/knowledge/sources", body);
        onSaved();
      }}
    >
      <div className="grid-2">
        <label className="field">
          <span className="field-label">Kind</span>
          <select name="kind" defaultValue={source?.kind ?? "faq"}>
            <option>faq</option>
            <option>document</option>
            <option>product</option>
          </select>
        </label>
        <label className="field">
          <span className="field-label">Format</span>
          <select name="format" defaultValue={source?.format ?? "text"}>
            <option>text</option>
            <option>markdown</option>
            <option>html</option>
          </select>
        </label>
      </div>
      <Field label="Title" name="title" required maxLength={200} defaultValue={source?.title} />
      <label className="field">
        <span className="field-label">Content</span>
        <textarea name="content" dir="auto" required rows={6} />
        {source && <span className="hint">Unchanged text is not embedded again.</span>}
      </label>
    </Form>
  );
}

function ProductsCard() {
  const products = useApi<Product[]>("/api/v1/products");
  return (
    <div className="card">
      <h2>Products</h2>
      <ErrorNote error={products.error} feature="The product catalog" />
      {products.data && products.data.length === 0 && (
        <Empty>No products yet. Shopify stores send them through the product webhooks.</Empty>
      )}
      {products.data && products.data.length > 0 && (
        <Table columns={["Product", "Price", "Knowledge", { hidden: "Actions" }]}>
          {products.data.map((p) => (
            <tr key={p.id}>
              <td>
                {p.url ? (
                  <a href={p.url} rel="noreferrer noopener" target="_blank">
                    <UserText>{p.title}</UserText>
                  </a>
                ) : (
                  <UserText>{p.title}</UserText>
                )}
                <div className="muted mono">{p.external_id}</div>
              </td>
              <td>{money(p.price_cents, p.currency)}</td>
              <td>{p.source_status ?? "—"}</td>
              <td>
                <Can min="admin">
                  <ActionButton
                    kind="danger"
                    label={`Delete product ${p.title}`}
                    onClick={async () => {
                      await api.del(`/api/v1/products/${p.id}`);
                      products.reload();
                    }}
                  >
                    Delete
                  </ActionButton>
                </Can>
              </td>
            </tr>
          ))}
        </Table>
      )}
      <Can min="admin">
        <h3>Add a product</h3>
        <Form
          label="Add a product"
          submitLabel="Add product"
          reset
          onSubmit={async (d) => {
            const price = String(d.get("price") ?? "").trim();
            await api.post("/api/v1/products", {
              external_id: required(d, "external_id"),
              title: required(d, "title"),
              description: String(d.get("description") ?? "") || undefined,
              description_format: "text",
              url: String(d.get("url") ?? "").trim() || undefined,
              price: price || undefined,
              currency: price ? String(d.get("currency") ?? "").trim() || undefined : undefined,
            });
            products.reload();
          }}
        >
          <div className="grid-2">
            <Field label="Product id" name="external_id" required />
            <Field label="Title" name="title" required />
            <Field label="Price" name="price" inputMode="decimal" placeholder="12.50" />
            <Field label="Currency" name="currency" maxLength={3} placeholder="EUR" />
          </div>
          <Field label="Link" name="url" type="url" />
          <label className="field">
            <span className="field-label">Description</span>
            <textarea name="description" dir="auto" rows={3} />
          </label>
        </Form>
      </Can>
    </div>
  );
}
