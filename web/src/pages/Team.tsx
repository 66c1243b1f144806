// The merchant's team: members and their roles. Owners and admins add, re-role and remove
// members (only an owner touches owners; the API keeps the last owner).
import { useState } from "react";
import { api, errorText } from "../api/client";
import type { Role, User } from "../api/types";
import { useApi } from "../api/useApi";
import { useCan, useSession } from "../auth/session";
import { ActionButton } from "../components/ActionButton";
import { Field, Form, optional, required } from "../components/Form";
import { ErrorNote, Loading } from "../components/Status";
import { UserText } from "../components/UserText";
import { when } from "../components/format";

const ROLES: Role[] = ["viewer", "agent", "admin", "owner"];

export function TeamPage() {
  const users = useApi<User[]>("/api/v1/users");
  const admin = useCan("admin");
  const owner = useCan("owner");
  const { session } = useSession();
  const [roleError, setRoleError] = useState<string | null>(null);
  // Admins may not create or change owners.
  const grantable = owner ? ROLES : ROLES.filter((r) => r !== "owner");
  return (
    <section>
      <h1>Team</h1>
      <ErrorNote error={users.error} />
      {roleError && (
        <p className="error" role="alert">
          {roleError}
        </p>
      )}
      {users.loading && !users.data && <Loading what="the team" />}
      {users.data && (
        <div className="table-wrap">
          <table aria-label="Team" className="stack-on-phone">
            <thead>
              <tr>
                <th scope="col">Member</th>
                <th scope="col">Role</th>
                <th scope="col">Last log-in</th>
                {admin && (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {users.data.map((u) => {
                const editable = admin && u.id !== session?.user.id && (owner || u.role !== "owner");
                return (
                  <tr key={u.id}>
                    <td data-label="Member">
                      <UserText className="strong">{u.display_name ?? u.email}</UserText>
                      {u.display_name && (
                        <div className="muted">
                          <UserText>{u.email}</UserText>
                        </div>
                      )}
                    </td>
                    <td data-label="Role">
                      {editable ? (
                        <select
                          aria-label={`Role of ${u.email}`}
                          value={u.role}
                          onChange={async (e) => {
                            setRoleError(null);
                            try {
                              await api.patch(`/api/v1/users/${u.id}`, { role: e.target.value });
                            } catch (err) {
                              setRoleError(errorText(err));
                            }
                            users.reload();
                          }}
                        >
                          {grantable.map((r) => (
                            <option key={r}>{r}</option>
                          ))}
                        </select>
                      ) : (
                        u.role
                      )}
                    </td>
                    <td data-label="Last log-in">{when(u.last_login_at)}</td>
                    {admin && (
                      <td>
                        {editable && (
                          <ActionButton
                            kind="danger"
                            label={`Remove ${u.email}`}
                            onClick={async () => {
                              await api.del(`/api/v1/users/${u.id}`);
                              users.reload();
                            }}
                          >
                            Remove
                          </ActionButton>
                        )}
                      </td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {admin && (
        <div className="card">
          <h2>Add a member</h2>
          <p className="muted">Changing a member's role logs them out, so the new role applies at once.</p>
          <Form
            label="Add a member"
            submitLabel="Add member"
            reset
            onSubmit={async (d) => {
              await api.post("/api/v1/users", {
                email: required(d, "email"),
                password: required(d, "password"),
                role: required(d, "role"),
                display_name: optional(d, "display_name"),
              });
              users.reload();
            }}
          >
            <Field label="Email" name="email" type="email" required autoComplete="off" />
            <Field label="Name (optional)" name="display_name" maxLength={100} />
            <Field label="First password" name="password" type="password" minLength={10} required autoComplete="new-password" />
            <label className="field">
              <span className="field-label">Role</span>
              <select name="role" defaultValue="agent">
                {grantable.map((r) => (
                  <option key={r}>{r}</option>
                ))}
              </select>
            </label>
          </Form>
        </div>
      )}
    </section>
  );
}
