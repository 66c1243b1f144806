// Who did what, newest first; new entries arrive live.
import type { AuditEntry } from "../api/types";
import { useApi } from "../api/useApi";
import { Empty, ErrorNote, Loading } from "../components/Status";
import { UserText } from "../components/UserText";
import { when } from "../components/format";
import { useLiveReload } from "../live/live";

export function ActivityPage() {
  const log = useApi<AuditEntry[]>("/api/v1/audit-log?limit=200");
  // The live event carries only a summary; refetching gives the entry with its details.
  useLiveReload(["activity"], log.reload);
  return (
    <section>
      <h1>Activity</h1>
      <ErrorNote error={log.error} />
      {log.loading && !log.data && <Loading what="activity" />}
      {log.data && log.data.length === 0 && <Empty>Nothing yet.</Empty>}
      <ol className="rows activity" aria-label="Activity">
        {log.data?.map((e) => (
          <li key={e.id}>
            <span className="muted">{when(e.at)}</span> <strong>{e.action}</strong>{" "}
            <span className="muted">
              by {e.actor_type}
              {e.target_type && (
                <>
                  {" "}
                  on {e.target_type} <UserText className="mono">{e.target_id}</UserText>
                </>
              )}
            </span>
          </li>
        ))}
      </ol>
    </section>
  );
}
