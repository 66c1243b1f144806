// The agents' inbox: conversations (needing attention first), one thread with the bot's
// reasoning, take over / release, and replies by hand. Live events refetch what changed.
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { api } from "../api/client";
import type { Conversation, ConversationSummary, Template } from "../api/types";
import { useApi } from "../api/useApi";
import { Can, useCan } from "../auth/session";
import { ActionButton } from "../components/ActionButton";
import { Form, required } from "../components/Form";
import { MessageList } from "../components/MessageList";
import { Empty, ErrorNote, Loading } from "../components/Status";
import { UserText } from "../components/UserText";
import { when } from "../components/format";
import { useLive } from "../live/live";

interface LiveChange {
  conversation_id?: string;
}

export function InboxPage() {
  const { id } = useParams();
  const [attentionOnly, setAttentionOnly] = useState(false);
  const list = useApi<ConversationSummary[]>(`/api/v1/conversations${attentionOnly ? "?needs_attention=true" : ""}`);
  const thread = useApi<Conversation>(id ? `/api/v1/conversations/${id}` : null);

  useLive(["message", "conversation"], (name, data) => {
    list.reload();
    const changed = (data as LiveChange | null)?.conversation_id;
    if (id && (name === "resync" || changed === id)) thread.reload();
  });

  return (
    <section className={id ? "inbox has-thread" : "inbox"}>
      <div className="inbox-list">
        <h1>Inbox</h1>
        <label className="toggle">
          <input type="checkbox" checked={attentionOnly} onChange={(e) => setAttentionOnly(e.target.checked)} /> Needs
          attention only
        </label>
        <ErrorNote error={list.error} />
        {list.loading && !list.data && <Loading what="conversations" />}
        {list.data && list.data.length === 0 && (
          <Empty>{attentionOnly ? "Nothing needs attention." : "No conversations yet."}</Empty>
        )}
        <ul className="conversations" aria-label="Conversations">
          {list.data?.map((c) => (
            <li key={c.id}>
              <Link
                to={`/inbox/${c.id}`}
                className={c.id === id ? "conversation-link current" : "conversation-link"}
                aria-current={c.id === id ? "page" : undefined}
              >
                <UserText className="strong">{c.customer_name ?? "Unknown customer"}</UserText>
                <span className="conversation-tags">
                  {c.needs_attention && <span className="tag attention">needs attention</span>}
                  <span className={`tag state-${c.state}`}>{c.state}</span>
                </span>
                {c.handoff_reason && (
                  <span className="muted small-text">
                    <UserText>{c.handoff_reason}</UserText>
                  </span>
                )}
                <span className="muted small-text">{when(c.updated_at)}</span>
              </Link>
            </li>
          ))}
        </ul>
      </div>
      {id && (
        <div className="inbox-thread">
          <ErrorNote error={thread.error} />
          {thread.loading && !thread.data && <Loading what="the conversation" />}
          {thread.data && <Thread conversation={thread.data} onChange={thread.reload} />}
        </div>
      )}
    </section>
  );
}

function Thread({ conversation, onChange }: { conversation: Conversation; onChange: () => void }) {
  const c = conversation.conversation;
  const navigate = useNavigate();
  return (
    <article aria-label="Conversation">
      <header className="thread-head">
        <button type="button" className="back" onClick={() => navigate("/inbox")}>
          ← All conversations
        </button>
        <h2>
          <UserText>{c.customer_name ?? "Unknown customer"}</UserText>
        </h2>
        <p>
          <span className={`tag state-${c.state}`} data-testid="conversation-state">
            {c.state === "human" ? "a person is handling this" : c.state === "bot" ? "the bot is answering" : "closed"}
          </span>{" "}
          {c.needs_attention && <span className="tag attention">needs attention</span>}{" "}
          <Link to={`/customers/${c.customer_id}`}>Customer details</Link>
        </p>
        {c.handoff_reason && (
          <p className="muted">
            Handed over: <UserText>{c.handoff_reason}</UserText>
          </p>
        )}
        {c.taken_over_by && (
          <p className="muted" data-testid="taken-over-by">
            Taken over by <UserText>{c.taken_over_by}</UserText>
            {c.taken_over_at && <> at {new Date(c.taken_over_at).toLocaleString()}</>}
          </p>
        )}
        <Can min="agent">
          <div className="row-actions">
            {/* After the bot handed off, no one holds the conversation yet: taking it over says who does. */}
            {!c.taken_over_by && (
              <ActionButton
                kind="primary"
                onClick={async () => {
                  await api.post(`/api/v1/conversations/${c.id}/take-over`);
                  onChange();
                }}
              >
                Take over
              </ActionButton>
            )}
            {c.state === "human" && (
              <ActionButton
                onClick={async () => {
                  await api.post(`/api/v1/conversations/${c.id}/release`);
                  onChange();
                }}
              >
                Release to bot
              </ActionButton>
            )}
          </div>
        </Can>
      </header>
      <MessageList messages={conversation.messages} details label="Messages" />
      <Can min="agent">
        <ReplyBox conversation={c} onSent={onChange} />
      </Can>
    </article>
  );
}

function ReplyBox({ conversation, onSent }: { conversation: ConversationSummary; onSent: () => void }) {
  const agent = useCan("agent");
  const templates = useApi<Template[]>(agent && !conversation.window_open ? "/api/v1/templates" : null);
  if (conversation.window_open) {
    return (
      <Form
        label="Reply"
        submitLabel="Send reply"
        reset
        onSubmit={async (d) => {
          await api.post(`/api/v1/conversations/${conversation.id}/reply`, { text: required(d, "text") });
          onSent();
        }}
      >
        <label className="field">
          <span className="field-label">Your reply</span>
          <textarea name="text" dir="auto" required maxLength={4096} rows={3} />
        </label>
      </Form>
    );
  }
  const approved = templates.data?.filter((t) => t.status === "approved" && t.meta_template_name) ?? [];
  return (
    <div>
      <p className="muted">
        The customer last wrote more than 24 hours ago: WhatsApp accepts only an approved template now.
      </p>
      <ErrorNote error={templates.error} />
      {templates.data && approved.length === 0 && <Empty>No approved template with a Meta name.</Empty>}
      {approved.length > 0 && (
        <Form
          label="Send a template"
          submitLabel="Send template"
          onSubmit={async (d) => {
            await api.post(`/api/v1/conversations/${conversation.id}/reply`, { template_id: required(d, "template_id") });
            onSent();
          }}
        >
          <label className="field">
            <span className="field-label">Template</span>
            <select name="template_id">
              {approved.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name} ({t.flow})
                </option>
              ))}
            </select>
          </label>
        </Form>
      )}
    </div>
  );
}
