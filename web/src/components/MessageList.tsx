// A conversation's messages as chat bubbles. The inbox shows, for each bot message, why it said
// what it said: the intent, the guardrail verdict, and the knowledge it cited.
import type { Message } from "../api/types";
import { UserText } from "./UserText";
import { when } from "./format";

const AUTHOR: Record<string, string> = { customer: "Customer", bot: "Bot", agent: "Agent", flow: "Retention flow" };

export function MessageList({ messages, details, label }: { messages: Message[]; details: boolean; label: string }) {
  return (
    <ol className="messages" aria-label={label}>
      {messages.map((m) => (
        <li key={m.id} className={`bubble ${m.direction} by-${m.sent_by ?? "unknown"}`} data-sent-by={m.sent_by ?? ""}>
          <div className="bubble-author">{AUTHOR[m.sent_by ?? ""] ?? m.direction}</div>
          <p className="bubble-body">
            {m.body === null ? <em>({m.kind})</em> : <UserText>{m.body}</UserText>}
          </p>
          <div className="bubble-meta">
            {when(m.created_at)}
            {m.status && <> · {m.status}</>}
          </div>
          {details && <Explanation m={m} />}
        </li>
      ))}
    </ol>
  );
}

function Explanation({ m }: { m: Message }) {
  const verdict = guardrailSummary(m.guardrail);
  if (!m.intent && !verdict && m.cited_chunk_ids.length === 0) return null;
  return (
    <div className="explain">
      {m.intent && (
        <span className="tag intent">
          intent: {m.intent}
          {m.intent_confidence !== null && ` (${Math.round(m.intent_confidence * 100)}%)`}
        </span>
      )}
      {verdict && <span className={`tag verdict ${verdict.ok ? "ok" : "flagged"}`}>guardrail: {verdict.text}</span>}
      {m.cited_chunk_ids.length > 0 && (
        <span className="tag" data-testid="cited-sources" title={m.cited_chunk_ids.join("\n")}>
          cited:{" "}
          {m.cited_sources.length > 0 ? (
            [...new Set(m.cited_sources.map((s) => s.title))].map((title, i) => (
              <span key={title}>
                {i > 0 && ", "}
                <UserText>{title}</UserText>
              </span>
            ))
          ) : (
            <span className="muted">a source since changed or removed</span>
          )}
        </span>
      )}
      {m.guardrail && (
        <details>
          <summary>Verdict details</summary>
          <pre className="wrap">{JSON.stringify(m.guardrail, null, 2)}</pre>
        </details>
      )}
    </div>
  );
}

/**
 * The guardrail JSON in one phrase: the input check, then the last draft's output check
 * (`{input, output: [{passed, problems}], retrieval}`, as the conversation manager records it).
 */
function guardrailSummary(g: Record<string, unknown> | null): { ok: boolean; text: string } | null {
  if (!g) return null;
  const input = g.input;
  if (input !== undefined && input !== "ok") {
    const blocked = typeof input === "object" && input !== null && "blocked" in input;
    return { ok: false, text: blocked ? "input blocked" : `input ${String(input)}` };
  }
  const drafts = Array.isArray(g.output) ? (g.output as { passed?: boolean; problems?: string[] }[]) : [];
  const last = drafts[drafts.length - 1];
  if (!last) return { ok: true, text: "input ok" };
  if (last.passed) return { ok: true, text: drafts.length > 1 ? "passed on retry" : "passed" };
  return { ok: false, text: `blocked: ${(last.problems ?? []).join("; ")}` };
}
