// The API's response shapes, as the Rust handlers serialize them (crates/api/src/routes).

export type Role = "viewer" | "agent" | "admin" | "owner";

export interface User {
  id: string;
  email: string;
  role: Role;
  display_name: string | null;
  created_at: string;
  last_login_at: string | null;
}

export interface Merchant {
  id: string;
  name: string;
  timezone: string;
  created_at: string;
}

export interface Session {
  user: User;
  merchant: Merchant;
  csrf_token: string;
}

export interface Integration {
  id: string;
  kind: "shopify" | "csv" | "api";
  name: string;
  status: "active" | "paused";
  shop_domain: string | null;
  rotating_secret: boolean;
  created_at: string;
  updated_at: string;
  last_event_at: string | null;
  webhook_url?: string;
}

export interface ApiKey {
  id: string;
  name: string;
  display_prefix: string;
  scopes: string[];
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

export interface CreatedKey {
  api_key: ApiKey;
  key: string;
}

export interface RowError {
  line: number;
  reason: string;
}

export interface ImportReport {
  id: string;
  status: "processing" | "completed" | "failed";
  filename: string | null;
  bytes: number;
  rows_total: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  errors: RowError[];
  errors_truncated: boolean;
  failure: string | null;
  created_at: string;
  finished_at: string | null;
}

export interface WhatsAppAccount {
  mode: "sandbox" | "meta";
  account: {
    id: string;
    phone_number_id: string;
    waba_id: string | null;
    messages_per_second: number;
    has_access_token: boolean;
    has_app_secret: boolean;
    has_verify_token: boolean;
    statuses_seen_at: string | null;
    created_at: string;
    updated_at: string;
  } | null;
  webhook_url: string | null;
}

export const FLOWS = ["checkin", "review", "replenishment", "upsell"] as const;
export type Flow = (typeof FLOWS)[number];

export interface Template {
  id: string;
  flow: Flow;
  name: string;
  language: string;
  category: "utility" | "marketing";
  body: string;
  variables: string[];
  meta_template_name: string | null;
  status: "draft" | "approved" | "rejected";
  created_at: string;
  updated_at: string;
}

export interface RetentionSettings {
  checkin_offset_hours: number;
  followup_offset_hours: number;
  followup_flow: "review" | "replenishment" | "upsell";
  enabled_flows: Flow[];
  transit_estimate_days: number;
  quiet_hours_start: string;
  quiet_hours_end: string;
  frequency_cap_per_week: number;
  max_discount_percent: number | null;
  attribution_window_days: number;
  holdout_percent: number;
  message_retention_days: number | null;
}

export interface Source {
  id: string;
  kind: "product" | "faq" | "document";
  title: string;
  format: "text" | "markdown" | "html";
  status: "pending" | "embedding" | "ready" | "failed";
  error: string | null;
  chunks_total: number;
  chunks_done: number;
  embedding_model: string | null;
  product_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface Hit {
  chunk_id: string;
  source_id: string;
  source_title: string;
  source_kind: string;
  content: string;
  score: number;
}

export interface SearchOut {
  model: string;
  results: Hit[];
}

export interface Product {
  id: string;
  external_id: string;
  title: string;
  description: string | null;
  url: string | null;
  price_cents: number | null;
  currency: string | null;
  tags: string[];
  source_id: string | null;
  source_status: string | null;
  created_at: string;
  updated_at: string;
}

export interface ConversationSummary {
  id: string;
  customer_id: string;
  customer_name: string | null;
  state: "bot" | "human" | "closed";
  needs_attention: boolean;
  handoff_reason: string | null;
  last_inbound_at: string | null;
  window_open: boolean;
  /** The e-mail of the user holding the conversation, while someone does. */
  taken_over_by: string | null;
  taken_over_at: string | null;
  updated_at: string;
}

export interface CitedSource {
  chunk_id: string;
  source_id: string;
  title: string;
}

export interface Message {
  id: string;
  direction: "inbound" | "outbound";
  kind: string;
  body: string | null;
  sent_by: "customer" | "bot" | "agent" | "flow" | null;
  status: string | null;
  intent: string | null;
  intent_confidence: number | null;
  guardrail: Record<string, unknown> | null;
  cited_chunk_ids: string[];
  /** The cited chunks' sources that still exist. */
  cited_sources: CitedSource[];
  created_at: string;
}

export interface Conversation {
  conversation: ConversationSummary;
  messages: Message[];
}

export interface ScheduledMessage {
  id: string;
  customer_id: string;
  order_id: string;
  flow: Flow;
  due_at: string;
  status: string;
  attempts: number;
  reason: string | null;
  trail: { at: string; event: string; detail?: string | null }[];
  created_at: string;
}

export interface CustomerSummary {
  id: string;
  name: string | null;
  phone_masked: string | null;
  consent_marketing: boolean;
  consent_utility: boolean;
  orders_count: number;
  last_message_at: string | null;
  erased: boolean;
}

export interface CustomerDetail extends CustomerSummary {
  consent_history: { purpose: string; granted: boolean; source: string; at: string }[];
  orders: {
    id: string;
    order_number: string | null;
    status: string;
    total_cents: number | null;
    currency: string | null;
    placed_at: string | null;
    delivered_at: string | null;
  }[];
  messages: {
    id: string;
    direction: string;
    kind: string;
    body: string | null;
    sent_by: string | null;
    status: string | null;
    created_at: string;
  }[];
}

export interface Counts {
  scheduled: number;
  sent: number;
  delivered: number;
  read: number;
  replied: number;
  opted_out: number;
  failed: number;
  held_out: number;
  attributed_orders: number;
  attributed_revenue_cents: number;
}

export interface AnalyticsReport {
  from: string;
  to: string;
  attribution_window_days: number;
  holdout_percent: number;
  totals: Counts;
  flows: ({ flow: Flow; stage: "t3" | "t14" } & Counts)[];
  daily: ({ date: string } & Counts)[];
}

export interface AuditEntry {
  id: number;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  details: unknown;
  at: string;
}

