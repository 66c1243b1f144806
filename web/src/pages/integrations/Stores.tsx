// Connected stores. Connecting Shopify answers the webhook URL to paste into the app; the
// secret is write-only on the server, so the one typed here is echoed once, right after.
import { useState } from "react";
import { api } from "../../api/client";
import type { Integration } from "../../api/types";
import { useApi } from "../../api/useApi";
import { Can } from "../../auth/session";
import { ActionButton } from "../../components/ActionButton";
import { Field, Form, required } from "../../components/Form";
import { CopyButton } from "../../components/CopyButton";
import { Empty, ErrorNote, Loading } from "../../components/Status";
import { UserText } from "../../components/UserText";
import { when } from "../../components/format";

export function StoresSection() {
  const list = useApi<Integration[]>("/api/v1/integrations");
  const [created, setCreated] = useState<{ integration: Integration; secret: string } | null>(null);

  return (
    <section aria-labelledby="stores-title" className="card">
      <h2 id="stores-title">Stores</h2>
      <ErrorNote error={list.error} />
      {list.loading && !list.data && <Loading what="integrations" />}
      {list.data && list.data.length === 0 && <Empty>No store connected yet.</Empty>}
      {list.data && list.data.length > 0 && (
        <ul className="rows">
          {list.data.map((i) => (
            <li key={i.id} className="row">
              <div className="grow">
                <strong>
                  <UserText>{i.name}</UserText>
                </strong>{" "}
                <span className="tag">{i.kind}</span> <span className={`tag status-${i.status}`}>{i.status}</span>
                {i.shop_domain && (
                  <div className="muted">
                    <UserText>{i.shop_domain}</UserText>
                  </div>
                )}
                {i.webhook_url && (
                  <div className="mono wrap">
                    Webhook URL: <code>{i.webhook_url}</code>
                  </div>
                )}
                <div className="muted">Last event: {when(i.last_event_at)}</div>
              </div>
              <Can min="admin">
                <div className="row-actions">
                  <ActionButton
                    onClick={async () => {
                      await api.patch(`/api/v1/integrations/${i.id}`, {
                        status: i.status === "active" ? "paused" : "active",
                      });
                      list.reload();
                    }}
                  >
                    {i.status === "active" ? "Pause" : "Resume"}
                  </ActionButton>
                  <ActionButton
                    kind="danger"
                    onClick={async () => {
                      await api.del(`/api/v1/integrations/${i.id}`);
                      list.reload();
                    }}
                  >
                    Delete
                  </ActionButton>
                </div>
              </Can>
            </li>
          ))}
        </ul>
      )}

      <Can min="admin">
        {created && (
          <div className="shown-once" role="status" aria-label="New Shopify connection">
            <h3>
              Connected <UserText>{created.integration.name}</UserText>
            </h3>
            <p>In your Shopify app, subscribe the order, customer and product topics to this URL:</p>
            <p className="mono wrap" data-testid="webhook-url">
              <code>{created.integration.webhook_url}</code> <CopyButton text={created.integration.webhook_url ?? ""} />
            </p>
            <p>
              Signing secret (shown this once; Revive keeps it encrypted):{" "}
              <code className="wrap" data-testid="webhook-secret">
                {created.secret}
              </code>
            </p>
            <button type="button" onClick={() => setCreated(null)}>
              Done
            </button>
          </div>
        )}
        <h3>Connect Shopify</h3>
        <Form
          label="Connect Shopify"
          submitLabel="Connect Shopify"
          reset
          onSubmit={async (d) => {
            const secret = required(d, "webhook_secret").trim();
            const integration = await api.post<Integration>("/api/v1/integrations", {
              kind: "shopify",
              name: required(d, "name"),
              shop_domain: required(d, "shop_domain"),
              webhook_secret: secret,
            });
            setCreated({ integration, secret });
            list.reload();
          }}
        >
          <Field label="Name" name="name" required maxLength={100} />
          <Field label="Shop domain" name="shop_domain" placeholder="your-store.myshopify.com" required />
          <Field
            label="Webhook signing secret"
            name="webhook_secret"
            type="password"
            autoComplete="off"
            minLength={8}
            required
            hint="Your Shopify app's client secret."
          />
        </Form>
      </Can>
    </section>
  );
}
