// The phone simulator: play a customer of this (sandbox) store and watch the bot answer, as it
// would on WhatsApp. The conversation is the real one the inbox shows.
import { useEffect, useRef } from "react";
import { Link, useSearchParams } from "react-router";
import { api } from "../api/client";
import type { Conversation, Product } from "../api/types";
import { useApi } from "../api/useApi";
import { useCan, useSession } from "../auth/session";
import { Form, optional, required } from "../components/Form";
import { Empty, ErrorNote } from "../components/Status";
import { UserText } from "../components/UserText";
import { money } from "../components/format";
import { useLive } from "../live/live";

export function SimulatorPage() {
  const agent = useCan("agent");
  return (
    <section>
      <h1>Phone simulator</h1>
      <p className="muted">
        Write as a customer of your store. Messages go through the same path as WhatsApp's, on the sandbox:
        nothing is sent to a real phone.
      </p>
      <div className="simulator">
        <DemoStore />
        {agent ? <Phone /> : <p className="card">Playing a customer needs the agent role or higher.</p>}
      </div>
    </section>
  );
}

function DemoStore() {
  const { session } = useSession();
  const products = useApi<Product[]>("/api/v1/products?limit=6");
  return (
    <div className="demo-store" aria-label="Demo store">
      <h2>
        <UserText>{session?.merchant.name}</UserText>
      </h2>
      <p className="muted">Your store, as a customer sees it.</p>
      {products.data && products.data.length === 0 && (
        <Empty>
          No products yet: <Link to="/knowledge">add some</Link> so the bot has something to talk about.
        </Empty>
      )}
      <ul className="store-grid">
        {products.data?.map((p) => (
          <li key={p.id} className="store-item">
            <UserText className="strong">{p.title}</UserText>
            <span>{money(p.price_cents, p.currency)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

function Phone() {
  const [params, setParams] = useSearchParams();
  const conversationId = params.get("conversation");
  const thread = useApi<Conversation>(conversationId ? `/api/v1/conversations/${conversationId}` : null);
  const end = useRef<HTMLLIElement>(null);

  useLive(["message", "conversation"], (name, data) => {
    const changed = (data as { conversation_id?: string } | null)?.conversation_id;
    if (conversationId && (name === "resync" || changed === conversationId)) thread.reload();
  });

  const count = thread.data?.messages.length ?? 0;
  useEffect(() => {
    end.current?.scrollIntoView({ block: "end" });
  }, [count]);

  return (
    <div className="phone" aria-label="Simulated phone">
      <div className="phone-screen">
        <div className="phone-header">
          <UserText className="strong">
            {thread.data?.conversation.customer_name ?? params.get("name") ?? "WhatsApp"}
          </UserText>
          {conversationId && (
            <button type="button" className="small" onClick={() => setParams({})}>
              New customer
            </button>
          )}
        </div>
        <ErrorNote error={thread.error} />
        <ol className="phone-chat" aria-label="Phone chat" aria-live="polite">
          {thread.data?.messages.map((m) => (
            // The customer is the one holding this phone: their messages are on the right.
            <li key={m.id} className={m.direction === "inbound" ? "chat-mine" : "chat-theirs"} data-sent-by={m.sent_by ?? ""}>
              <UserText>{m.body ?? `(${m.kind})`}</UserText>
            </li>
          ))}
          <li ref={end} className="chat-end" aria-hidden="true" />
        </ol>
        <Form
          label="Send as the customer"
          submitLabel="Send"
          reset
          onSubmit={async (d) => {
            // Later messages must come from the same number, or they would start another conversation.
            const name = optional(d, "name") ?? params.get("name") ?? undefined;
            const phone = optional(d, "phone") ?? params.get("phone") ?? undefined;
            const sent = await api.post<{ conversation_id: string }>("/api/v1/simulator/messages", {
              text: required(d, "text"),
              name,
              phone,
            });
            if (sent.conversation_id !== conversationId) {
              setParams({ conversation: sent.conversation_id, ...(name && { name }), ...(phone && { phone }) });
            } else {
              thread.reload();
            }
          }}
        >
          {!conversationId && (
            <details className="phone-who">
              <summary>Customer name and number</summary>
              <label className="field">
                <span className="field-label">Name</span>
                <input name="name" dir="auto" maxLength={100} />
              </label>
              <label className="field">
                <span className="field-label">Phone (international form)</span>
                <input name="phone" maxLength={32} placeholder="+61 491 570 156" />
              </label>
            </details>
          )}
          <label className="field">
            <span className="field-label">Message</span>
            <input name="text" dir="auto" required maxLength={4096} autoComplete="off" />
          </label>
        </Form>
      </div>
    </div>
  );
}
