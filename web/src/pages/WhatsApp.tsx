// The merchant's WhatsApp number. Tokens and secrets are write-only: the API says only whether
// it holds them.
import { api } from "../api/client";
import type { WhatsAppAccount } from "../api/types";
import { useApi } from "../api/useApi";
import { Can } from "../auth/session";
import { ActionButton } from "../components/ActionButton";
import { Field, Form, optional, required } from "../components/Form";
import { ErrorNote, Loading } from "../components/Status";
import { when } from "../components/format";

export function WhatsAppPage() {
  const account = useApi<WhatsAppAccount>("/api/v1/whatsapp-account");
  const a = account.data?.account;
  return (
    <section>
      <h1>WhatsApp</h1>
      <ErrorNote error={account.error} />
      {account.loading && !account.data && <Loading what="the WhatsApp account" />}
      {account.data?.mode === "sandbox" && (
        <p className="card">
          <strong>Sandbox.</strong> No number is connected: messages are recorded as delivered and nothing leaves
          Revive. Play a customer in the phone simulator.
        </p>
      )}
      {a && (
        <div className="card">
          <h2>Connected number</h2>
          <dl className="facts">
            <dt>Phone number id</dt>
            <dd className="mono">{a.phone_number_id}</dd>
            <dt>Business account</dt>
            <dd className="mono">{a.waba_id ?? "—"}</dd>
            <dt>Messages per second</dt>
            <dd>{a.messages_per_second}</dd>
            <dt>Own app secret</dt>
            <dd>{a.has_app_secret ? "yes" : "no (the platform's app)"}</dd>
            <dt>Last status webhook</dt>
            <dd>{when(a.statuses_seen_at)}</dd>
            <dt>Webhook URL</dt>
            <dd className="mono wrap">{account.data?.webhook_url}</dd>
          </dl>
          <Can min="admin">
            <ActionButton
              kind="danger"
              onClick={async () => {
                await api.del("/api/v1/whatsapp-account");
                account.reload();
              }}
            >
              Disconnect
            </ActionButton>
          </Can>
        </div>
      )}
      <Can min="admin">
        <div className="card">
          <h2>{a ? "Update the connection" : "Connect a number"}</h2>
          <Form
            label="Connect WhatsApp"
            submitLabel={a ? "Save" : "Connect"}
            onSubmit={async (d) => {
              const mps = optional(d, "messages_per_second");
              await api.put("/api/v1/whatsapp-account", {
                phone_number_id: required(d, "phone_number_id").trim(),
                waba_id: optional(d, "waba_id"),
                access_token: required(d, "access_token").trim(),
                app_secret: optional(d, "app_secret"),
                verify_token: optional(d, "verify_token"),
                messages_per_second: mps ? Number(mps) : undefined,
              });
              account.reload();
            }}
          >
            <Field label="Phone number id" name="phone_number_id" required defaultValue={a?.phone_number_id} inputMode="numeric" />
            <Field label="WhatsApp Business Account id (optional)" name="waba_id" defaultValue={a?.waba_id ?? ""} />
            <Field label="Access token" name="access_token" type="password" autoComplete="off" required minLength={20} />
            <Field label="App secret (optional; left empty keeps the stored one)" name="app_secret" type="password" autoComplete="off" />
            <Field label="Verify token (optional)" name="verify_token" type="password" autoComplete="off" />
            <Field
              label="Messages per second"
              name="messages_per_second"
              type="number"
              min={1}
              max={1000}
              defaultValue={a?.messages_per_second ?? 80}
            />
          </Form>
        </div>
      </Can>
    </section>
  );
}
