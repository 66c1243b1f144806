// API keys: created with scopes, the key itself shown once (the server keeps only its hash).
import { useState } from "react";
import { api } from "../../api/client";
import type { ApiKey, CreatedKey } from "../../api/types";
import { useApi } from "../../api/useApi";
import { ActionButton } from "../../components/ActionButton";
import { CopyButton } from "../../components/CopyButton";
import { Field, Form, optional, required } from "../../components/Form";
import { ErrorNote } from "../../components/Status";
import { UserText } from "../../components/UserText";
import { when } from "../../components/format";
import { Table } from "../../components/Table";

const SCOPES = [
  "events:write",
  "imports:write",
  "customers:read",
  "messages:read",
  "messages:write",
  "knowledge:read",
  "knowledge:write",
  "conversations:read",
  "conversations:write",
  "analytics:read",
];

export function ApiKeysSection() {
  const keys = useApi<ApiKey[]>("/api/v1/api-keys");
  const [created, setCreated] = useState<CreatedKey | null>(null);

  return (
    <section aria-labelledby="keys-title" className="card">
      <h2 id="keys-title">API keys</h2>
      {created && (
        <div className="shown-once" role="status" aria-label="New API key">
          <p>
            <strong>Copy this key now.</strong> It is shown this once; Revive keeps only a hash of it.
          </p>
          <p className="mono wrap">
            <code data-testid="new-api-key">{created.key}</code> <CopyButton text={created.key} />
          </p>
          <button type="button" onClick={() => setCreated(null)}>
            I have saved it
          </button>
        </div>
      )}
      <ErrorNote error={keys.error} />
      {keys.data && keys.data.length > 0 && (
        <Table columns={["Name", "Key", "Scopes", "Last used", { hidden: "Actions" }]}>
          {keys.data.map((k) => (
            <tr key={k.id}>
              <td>
                <UserText>{k.name}</UserText>
              </td>
              <td className="mono">{k.display_prefix}…</td>
              <td className="wrap">{k.scopes.join(", ")}</td>
              <td>{when(k.last_used_at)}</td>
              <td>
                {k.revoked_at ? (
                  <span className="tag">revoked</span>
                ) : (
                  <ActionButton
                    kind="danger"
                    label={`Revoke ${k.name}`}
                    onClick={async () => {
                      await api.del(`/api/v1/api-keys/${k.id}`);
                      keys.reload();
                    }}
                  >
                    Revoke
                  </ActionButton>
                )}
              </td>
            </tr>
          ))}
        </Table>
      )}
      <h3>Create a key</h3>
      <Form
        label="Create API key"
        submitLabel="Create key"
        reset
        onSubmit={async (d) => {
          const expires = optional(d, "expires_at");
          const made = await api.post<CreatedKey>("/api/v1/api-keys", {
            name: required(d, "name"),
            scopes: d.getAll("scopes").map(String),
            expires_at: expires ? new Date(expires).toISOString() : undefined,
          });
          setCreated(made);
          keys.reload();
        }}
      >
        <Field label="Key name" name="name" required maxLength={100} />
        <fieldset className="checks">
          <legend>Scopes</legend>
          {SCOPES.map((s) => (
            <label key={s}>
              <input type="checkbox" name="scopes" value={s} defaultChecked={s === "events:write"} /> {s}
            </label>
          ))}
        </fieldset>
        <Field label="Expires (optional)" name="expires_at" type="date" />
      </Form>
    </section>
  );
}
