// What the retention flows achieved over a date range: totals, per flow and stage, and per day.
import { useState } from "react";
import type { AnalyticsReport, Counts } from "../api/types";
import { useApi } from "../api/useApi";
import { DailyChart } from "../components/DailyChart";
import { ErrorNote, Loading } from "../components/Status";
import { count, isoDay, money, percent } from "../components/format";
import { useLiveReload } from "../live/live";
import { Table } from "../components/Table";

const DAY_MS = 86_400_000;
/** Message statuses move the counts; the report is recomputed at most this often. */
const LIVE_REFRESH_MS = 5000;

export function AnalyticsPage() {
  const [to, setTo] = useState(() => isoDay(new Date()));
  const [from, setFrom] = useState(() => isoDay(new Date(Date.now() - 29 * DAY_MS)));
  const report = useApi<AnalyticsReport>(`/api/v1/analytics?from=${from}&to=${to}`);
  useLiveReload(["message"], report.reload, LIVE_REFRESH_MS);
  const r = report.data;
  return (
    <section>
      <h1>Analytics</h1>
      <div className="filters">
        <label className="field">
          <span className="field-label">From</span>
          <input type="date" value={from} max={to} onChange={(e) => e.target.value && setFrom(e.target.value)} />
        </label>
        <label className="field">
          <span className="field-label">To</span>
          <input type="date" value={to} min={from} onChange={(e) => e.target.value && setTo(e.target.value)} />
        </label>
      </div>
      <ErrorNote error={report.error} feature="Analytics" />
      {report.loading && !r && <Loading what="analytics" />}
      {r && (
        <>
          <Totals t={r.totals} />
          <p className="muted">
            Orders count as a result when placed within {r.attribution_window_days} days of a message.{" "}
            {r.holdout_percent > 0 && `${r.holdout_percent}% of customers are held out as a control group.`}
          </p>
          <div className="card">
            <h2>Per day</h2>
            <DailyChart days={r.daily} />
          </div>
          <div className="card">
            <h2>Per flow</h2>
            <Table label="Per flow" columns={["Flow", "Stage", "Sent", "Delivered", "Read", "Replied", "Opted out", "Failed", "Held out", "Repeat orders", "Revenue"]}>
              {r.flows.map((f) => (
                <tr key={`${f.flow}-${f.stage}`}>
                  <th scope="row">{f.flow}</th>
                  <td>{f.stage === "t3" ? "day 3" : "day 14"}</td>
                  <td>{count(f.sent)}</td>
                  <td>{count(f.delivered)}</td>
                  <td>{count(f.read)}</td>
                  <td>{count(f.replied)}</td>
                  <td>{count(f.opted_out)}</td>
                  <td>{count(f.failed)}</td>
                  <td>{count(f.held_out)}</td>
                  <td>{count(f.attributed_orders)}</td>
                  <td>{money(f.attributed_revenue_cents, null)}</td>
                </tr>
              ))}
            </Table>
          </div>
        </>
      )}
    </section>
  );
}

function Totals({ t }: { t: Counts }) {
  const cards: [string, string, string?][] = [
    ["Sent", count(t.sent), `${count(t.scheduled)} scheduled`],
    ["Delivered", count(t.delivered), percent(t.delivered, t.sent)],
    ["Read", count(t.read), percent(t.read, t.delivered)],
    ["Replied", count(t.replied), percent(t.replied, t.delivered)],
    ["Opted out", count(t.opted_out), percent(t.opted_out, t.delivered)],
    ["Failed", count(t.failed)],
    ["Repeat orders", count(t.attributed_orders)],
    ["Attributed revenue", money(t.attributed_revenue_cents, null)],
  ];
  return (
    <dl className="stat-cards" aria-label="Totals">
      {cards.map(([label, value, sub]) => (
        <div key={label} className="stat-card">
          <dt>{label}</dt>
          <dd data-testid={`total-${label.toLowerCase().replace(/ /g, "-")}`}>{value}</dd>
          {sub && <dd className="muted">{sub}</dd>}
        </div>
      ))}
    </dl>
  );
}
