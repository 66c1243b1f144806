// Customers with masked phones; one customer's consent history, orders and messages, and the
// privacy actions (export everything held, erase).
import { useState } from "react";
import { Link, useParams } from "react-router";
import { api, errorText } from "../api/client";
import type { CustomerDetail, CustomerSummary } from "../api/types";
import { useApi } from "../api/useApi";
import { Can } from "../auth/session";
import { ActionButton } from "../components/ActionButton";
import { Empty, ErrorNote, Loading } from "../components/Status";
import { UserText } from "../components/UserText";
import { money, when } from "../components/format";
import { Table } from "../components/Table";

export function CustomersPage() {
  const [q, setQ] = useState("");
  const list = useApi<CustomerSummary[]>(`/api/v1/customers?limit=100${q ? `&q=${encodeURIComponent(q)}` : ""}`);
  return (
    <section>
      <h1>Customers</h1>
      <label className="field search">
        <span className="field-label">Search by name</span>
        <input type="search" dir="auto" value={q} onChange={(e) => setQ(e.target.value)} />
      </label>
      <ErrorNote error={list.error} feature="The customer list" />
      {list.loading && !list.data && <Loading what="customers" />}
      {list.data && list.data.length === 0 && <Empty>No customers{q ? " match" : " yet"}.</Empty>}
      {list.data && list.data.length > 0 && (
        <Table label="Customers" className="stack-on-phone" columns={["Name", "Phone", "Consent", "Orders", "Last message"]}>
          {list.data.map((c) => (
            <tr key={c.id}>
              <td data-label="Name">
                <Link to={`/customers/${c.id}`}>
                  <UserText>{c.erased ? "(erased)" : (c.name ?? "Unnamed")}</UserText>
                </Link>
              </td>
              <td data-label="Phone" className="mono nowrap">
                {c.phone_masked ?? "—"}
              </td>
              <td data-label="Consent">
                <Consent c={c} />
              </td>
              <td data-label="Orders">{c.orders_count}</td>
              <td data-label="Last message">{when(c.last_message_at)}</td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}

function Consent({ c }: { c: CustomerSummary }) {
  return (
    <>
      <span className={`tag ${c.consent_utility ? "ok" : ""}`}>order updates {c.consent_utility ? "yes" : "no"}</span>{" "}
      <span className={`tag ${c.consent_marketing ? "ok" : ""}`}>marketing {c.consent_marketing ? "yes" : "no"}</span>
    </>
  );
}

export function CustomerPage() {
  const { id } = useParams();
  const customer = useApi<CustomerDetail>(`/api/v1/customers/${id}`);
  const c = customer.data;
  return (
    <section>
      <p>
        <Link to="/customers">← Customers</Link>
      </p>
      <ErrorNote error={customer.error} />
      {customer.loading && !c && <Loading what="the customer" />}
      {c && (
        <>
          <h1>
            <UserText>{c.erased ? "(erased customer)" : (c.name ?? "Unnamed customer")}</UserText>
          </h1>
          <p>
            <span className="mono">{c.phone_masked ?? "no phone"}</span> <Consent c={c} />
          </p>
          <Can min="admin">{!c.erased && <PrivacyActions customer={c} onErased={customer.reload} />}</Can>

          <div className="card">
            <h2>Consent history</h2>
            {c.consent_history.length === 0 ? (
              <Empty>No consent recorded.</Empty>
            ) : (
              <ul className="rows">
                {c.consent_history.map((h, i) => (
                  <li key={i}>
                    {when(h.at)}: {h.purpose} {h.granted ? "granted" : "withdrawn"} <span className="muted">({h.source})</span>
                  </li>
                ))}
              </ul>
            )}
          </div>

          <div className="card">
            <h2>Orders</h2>
            {c.orders.length === 0 ? (
              <Empty>No orders.</Empty>
            ) : (
              <Table columns={["Order", "Status", "Total", "Placed", "Delivered"]}>
                {c.orders.map((o) => (
                  <tr key={o.id}>
                    <td>
                      <UserText>{o.order_number}</UserText>
                    </td>
                    <td>{o.status}</td>
                    <td>{money(o.total_cents, o.currency)}</td>
                    <td>{when(o.placed_at)}</td>
                    <td>{when(o.delivered_at)}</td>
                  </tr>
                ))}
              </Table>
            )}
          </div>

          <div className="card">
            <h2>Messages</h2>
            {c.messages.length === 0 ? (
              <Empty>No messages.</Empty>
            ) : (
              <ol className="rows">
                {c.messages.map((m) => (
                  <li key={m.id}>
                    <span className="muted">
                      {when(m.created_at)} · {m.sent_by ?? m.direction}
                      {m.status && ` · ${m.status}`}:
                    </span>{" "}
                    <UserText>{m.body ?? `(${m.kind})`}</UserText>
                  </li>
                ))}
              </ol>
            )}
          </div>
        </>
      )}
    </section>
  );
}

/** Export as a file download; erase behind an explicit second step. */
function PrivacyActions({ customer, onErased }: { customer: CustomerDetail; onErased: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const [exportError, setExportError] = useState<string | null>(null);

  const download = async () => {
    setExportError(null);
    try {
      const data = await api.get<unknown>(`/api/v1/customers/${customer.id}/export`);
      const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = `customer-${customer.id}.json`;
      a.click();
      URL.revokeObjectURL(url);
    } catch (e) {
      setExportError(errorText(e));
    }
  };

  return (
    <div className="card">
      <h2>Privacy</h2>
      <div className="row-actions">
        <button type="button" onClick={download}>
          Export data (JSON)
        </button>
        {!confirming && (
          <button type="button" className="danger" onClick={() => setConfirming(true)}>
            Erase customer…
          </button>
        )}
      </div>
      {exportError && (
        <p className="error" role="alert">
          {exportError}
        </p>
      )}
      {confirming && (
        <div className="confirm" role="group" aria-label="Confirm erasure">
          <p>
            Erasing deletes this customer's messages and personal data and cancels their pending messages. Orders stay,
            anonymous. This cannot be undone.
          </p>
          <ActionButton
            kind="danger"
            onClick={async () => {
              await api.post(`/api/v1/customers/${customer.id}/erase`);
              setConfirming(false);
              onErased();
            }}
          >
            Yes, erase this customer
          </ActionButton>{" "}
          <button type="button" onClick={() => setConfirming(false)}>
            Keep
          </button>
        </div>
      )}
    </div>
  );
}
