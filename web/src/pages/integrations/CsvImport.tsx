// CSV order imports: the upload's progress, then the import's (a large file answers 202 and is
// polled), then the row report with each rejected row's line number.
import { useEffect, useState } from "react";
import { api, errorText, upload } from "../../api/client";
import type { ImportReport } from "../../api/types";
import { useApi } from "../../api/useApi";
import { Can } from "../../auth/session";
import { ErrorNote } from "../../components/Status";
import { UserText } from "../../components/UserText";
import { count, when } from "../../components/format";
import { Table } from "../../components/Table";

/** How often a running import is asked for its counts. */
const POLL_MS = 1000;

type Phase =
  | { kind: "idle" }
  | { kind: "uploading"; fraction: number }
  | { kind: "importing"; report: ImportReport }
  | { kind: "done"; report: ImportReport }
  | { kind: "failed"; message: string };

export function CsvImportSection() {
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });
  const history = useApi<ImportReport[]>("/api/v1/imports");

  // Poll the import the server is still working on.
  const importingId = phase.kind === "importing" ? phase.report.id : null;
  useEffect(() => {
    if (!importingId) return;
    let stopped = false;
    const timer = window.setInterval(async () => {
      try {
        const report = await api.get<ImportReport>(`/api/v1/imports/${importingId}`);
        if (stopped) return;
        setPhase(report.status === "processing" ? { kind: "importing", report } : { kind: "done", report });
      } catch (e) {
        if (!stopped) setPhase({ kind: "failed", message: errorText(e) });
      }
    }, POLL_MS);
    return () => {
      stopped = true;
      window.clearInterval(timer);
    };
  }, [importingId]);

  useEffect(() => {
    if (phase.kind === "done") history.reload();
  }, [phase.kind, history.reload]);

  const submit = async (e: React.FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const file = data.get("file");
    if (!(file instanceof File) || file.size === 0) {
      setPhase({ kind: "failed", message: "Choose a CSV file first." });
      return;
    }
    const country = String(data.get("default_country") ?? "").trim();
    const form = new FormData();
    form.append("file", file, file.name);
    const query = country ? `?default_country=${encodeURIComponent(country)}` : "";
    setPhase({ kind: "uploading", fraction: 0 });
    try {
      const { status, body } = await upload<ImportReport>(`/api/v1/imports/orders${query}`, form, (fraction) =>
        setPhase({ kind: "uploading", fraction }),
      );
      setPhase(status === 202 ? { kind: "importing", report: body } : { kind: "done", report: body });
    } catch (err) {
      setPhase({ kind: "failed", message: errorText(err) });
    }
  };

  return (
    <section aria-labelledby="csv-title" className="card">
      <h2 id="csv-title">Import orders from a CSV file</h2>
      <p>
        One row per order event; <code>order_id</code> and <code>phone</code> are required. Start from the{" "}
        <a href="/api/v1/imports/orders/sample.csv" download>
          sample file
        </a>
        .
      </p>
      <Can min="admin">
        <form onSubmit={submit} className="form" aria-label="Upload orders CSV">
          <label className="field">
            <span className="field-label">CSV file</span>
            <input type="file" name="file" accept=".csv,text/csv" required />
          </label>
          <label className="field">
            <span className="field-label">Country for phones without a + (optional)</span>
            <input name="default_country" maxLength={2} placeholder="DE" className="short" />
          </label>
          <div className="form-actions">
            <button type="submit" className="primary" disabled={phase.kind === "uploading" || phase.kind === "importing"}>
              Upload
            </button>
          </div>
        </form>
        <ImportProgress phase={phase} />
      </Can>

      <h3>Recent imports</h3>
      <ErrorNote error={history.error} />
      {history.data && history.data.length === 0 && <p className="muted">None yet.</p>}
      {history.data && history.data.length > 0 && (
        <Table columns={["File", "When", "Status", "Rows", "Accepted", "Rejected"]}>
          {history.data.map((r) => (
            <tr key={r.id}>
              <td>
                <UserText>{r.filename}</UserText>
              </td>
              <td>{when(r.created_at)}</td>
              <td>{r.status}</td>
              <td>{count(r.rows_total)}</td>
              <td>{count(r.accepted)}</td>
              <td>{count(r.rejected)}</td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}

function ImportProgress({ phase }: { phase: Phase }) {
  switch (phase.kind) {
    case "idle":
      return null;
    case "failed":
      return (
        <p className="error" role="alert">
          Import failed: {phase.message}
        </p>
      );
    case "uploading":
      return (
        <div className="progress-block">
          <label>
            Uploading… {Math.round(phase.fraction * 100)}%
            <progress max={1} value={phase.fraction} />
          </label>
        </div>
      );
    case "importing":
      return (
        <div className="progress-block">
          <label>
            Importing… {count(phase.report.accepted + phase.report.duplicates + phase.report.rejected)} rows so far
            {/* No value: the row count is known only at the end. */}
            <progress />
          </label>
        </div>
      );
    case "done":
      return <ImportReportView report={phase.report} />;
  }
}

function ImportReportView({ report }: { report: ImportReport }) {
  return (
    <div className="report" role="status" aria-label="Import report">
      <progress max={1} value={1} aria-label="Import finished" />
      <h3>
        Import {report.status}: <UserText>{report.filename}</UserText>
      </h3>
      {report.failure && <p className="error">{report.failure}</p>}
      <dl className="stats">
        <div>
          <dt>Rows</dt>
          <dd data-testid="rows-total">{count(report.rows_total)}</dd>
        </div>
        <div>
          <dt>Accepted</dt>
          <dd data-testid="rows-accepted">{count(report.accepted)}</dd>
        </div>
        <div>
          <dt>Duplicates</dt>
          <dd>{count(report.duplicates)}</dd>
        </div>
        <div>
          <dt>Rejected</dt>
          <dd data-testid="rows-rejected">{count(report.rejected)}</dd>
        </div>
      </dl>
      {report.errors.length > 0 && (
        <div className="table-wrap">
          <table aria-label="Rejected rows">
            <thead>
              <tr>
                <th scope="col">Line</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {report.errors.map((e) => (
                <tr key={e.line}>
                  <td>Line {e.line}</td>
                  <td>
                    <UserText>{e.reason}</UserText>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {report.errors_truncated && <p className="muted">Only the first rejected rows are listed.</p>}
        </div>
      )}
    </div>
  );
}
