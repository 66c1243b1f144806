// Retention messages waiting, sent, skipped or failed, each with its "why" trail; agents can
// cancel, send now, and replay failed or dead-lettered ones.
import { useState } from "react";
import { Link } from "react-router";
import { api } from "../api/client";
import { FLOWS, type ScheduledMessage } from "../api/types";
import { useApi } from "../api/useApi";
import { Can } from "../auth/session";
import { ActionButton } from "../components/ActionButton";
import { Empty, ErrorNote, Loading } from "../components/Status";
import { UserText } from "../components/UserText";
import { when } from "../components/format";

const STATUSES = ["scheduled", "sending", "sent", "skipped", "cancelled", "failed", "dead"];

const QUEUE_LABELS: Record<string, string> = {
  pending: "Due, waiting",
  scheduled: "Due later",
  running: "Sending",
  failed: "Failed",
  dead: "Dead-lettered",
};

interface QueueStats {
  send_message: Record<string, number>;
}

export function ScheduledPage() {
  const [status, setStatus] = useState("");
  const [flow, setFlow] = useState("");
  const query = new URLSearchParams({ limit: "200", ...(status && { status }), ...(flow && { flow }) });
  const list = useApi<ScheduledMessage[]>(`/api/v1/scheduled-messages?${query}`);
  const stats = useApi<QueueStats>("/api/v1/queue-stats");
  const queue = stats.data?.send_message;

  const act = (m: ScheduledMessage, action: "cancel" | "send-now" | "replay") => async () => {
    await api.post(`/api/v1/scheduled-messages/${m.id}/${action}`);
    list.reload();
    stats.reload();
  };

  return (
    <section>
      <h1>Scheduled messages</h1>
      {queue && (
        <dl className="stats" aria-label="Send queue">
          {Object.entries(QUEUE_LABELS).map(([k, label]) => (
            <div key={k}>
              <dt>{label}</dt>
              <dd>{queue?.[k]}</dd>
            </div>
          ))}
          <div>
            <dt>Oldest wait</dt>
            <dd>{queue?.oldest_pending_secs}s</dd>
          </div>
        </dl>
      )}
      <div className="filters">
        <label className="field">
          <span className="field-label">Status</span>
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">Flow</span>
          <select value={flow} onChange={(e) => setFlow(e.target.value)}>
            <option value="">any</option>
            {FLOWS.map((f) => (
              <option key={f}>{f}</option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNote error={list.error} />
      {list.loading && !list.data && <Loading what="scheduled messages" />}
      {list.data && list.data.length === 0 && <Empty>No messages match.</Empty>}
      <ul className="cards" aria-label="Scheduled messages">
        {list.data?.map((m) => (
          <li key={m.id} className="row card" data-status={m.status}>
            <div className="grow">
              <strong>{m.flow}</strong> <span className={`tag status-${m.status}`}>{m.status}</span>{" "}
              <span className="muted">due {when(m.due_at)}</span>
              {m.attempts > 0 && <span className="muted"> · {m.attempts} attempts</span>}
              {m.reason && (
                <p>
                  <UserText>{m.reason}</UserText>
                </p>
              )}
              <p className="muted">
                <Link to={`/customers/${m.customer_id}`}>Customer</Link>
              </p>
              <details>
                <summary>
                  Why: {m.trail.length} {m.trail.length === 1 ? "step" : "steps"}
                </summary>
                <ol className="trail">
                  {m.trail.map((t, i) => (
                    <li key={i}>
                      <span className="muted">{when(t.at)}</span> <strong>{t.event}</strong>{" "}
                      {t.detail && <UserText>{t.detail}</UserText>}
                    </li>
                  ))}
                </ol>
              </details>
            </div>
            <Can min="agent">
              <div className="row-actions">
                {m.status === "scheduled" && (
                  <>
                    <ActionButton onClick={act(m, "send-now")}>Send now</ActionButton>
                    <ActionButton kind="danger" onClick={act(m, "cancel")}>
                      Cancel
                    </ActionButton>
                  </>
                )}
                {(m.status === "failed" || m.status === "dead") && (
                  <ActionButton onClick={act(m, "replay")}>Replay</ActionButton>
                )}
              </div>
            </Can>
          </li>
        ))}
      </ul>
    </section>
  );
}
