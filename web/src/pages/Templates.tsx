// Message templates per flow, and the timing rules that decide when each flow's message goes.
import { api } from "../api/client";
import { FLOWS, type Template } from "../api/types";
import { useApi } from "../api/useApi";
import { Can, useCan } from "../auth/session";
import { ActionButton } from "../components/ActionButton";
import { Field, Form, optional, required } from "../components/Form";
import { Empty, ErrorNote } from "../components/Status";
import { UserText } from "../components/UserText";
import { RetentionSettingsCard } from "./RetentionSettings";

export function TemplatesPage() {
  const templates = useApi<Template[]>("/api/v1/templates");
  const admin = useCan("admin");
  return (
    <section>
      <h1>Templates &amp; timing</h1>
      <RetentionSettingsCard />
      <div className="card">
        <h2>Templates</h2>
        <p className="muted">
          Variables: <code>{"{{first_name}}"}</code> <code>{"{{name}}"}</code> <code>{"{{order_number}}"}</code>{" "}
          <code>{"{{product}}"}</code> <code>{"{{store}}"}</code>. Set a template to approved once Meta approved it;
          changing its text makes it a draft again.
        </p>
        <ErrorNote error={templates.error} />
        {templates.data && templates.data.length === 0 && <Empty>No templates yet.</Empty>}
        <ul className="rows">
          {templates.data?.map((t) => (
            <li key={t.id} className="row">
              <div className="grow">
                <strong>
                  <UserText>{t.name}</UserText>
                </strong>{" "}
                <span className="tag">{t.flow}</span> <span className="tag">{t.category}</span>{" "}
                <span className="tag">{t.language}</span> <span className={`tag status-${t.status}`}>{t.status}</span>
                <p className="bubble-preview">
                  <UserText>{t.body}</UserText>
                </p>
                {t.meta_template_name && <p className="muted mono">Meta name: {t.meta_template_name}</p>}
              </div>
              {admin && (
                <div className="row-actions">
                  {t.status !== "approved" && (
                    <ActionButton
                      onClick={async () => {
                        await api.patch(`/api/v1/templates/${t.id}`, { status: "approved" });
                        templates.reload();
                      }}
                    >
                      Mark approved
                    </ActionButton>
                  )}
                  <ActionButton
                    kind="danger"
                    label={`Delete template ${t.name}`}
                    onClick={async () => {
                      await api.del(`/api/v1/templates/${t.id}`);
                      templates.reload();
                    }}
                  >
                    Delete
                  </ActionButton>
                </div>
              )}
            </li>
          ))}
        </ul>
        <Can min="admin">
          <h3>New template</h3>
          <Form
            label="New template"
            submitLabel="Add template"
            reset
            onSubmit={async (d) => {
              await api.post("/api/v1/templates", {
                flow: required(d, "flow"),
                name: required(d, "name"),
                language: required(d, "language"),
                category: required(d, "category"),
                body: required(d, "body"),
                meta_template_name: optional(d, "meta_template_name"),
              });
              templates.reload();
            }}
          >
            <label className="field">
              <span className="field-label">Flow</span>
              <select name="flow" defaultValue="checkin">
                {FLOWS.map((f) => (
                  <option key={f}>{f}</option>
                ))}
              </select>
            </label>
            <Field label="Name" name="name" required maxLength={100} />
            <Field label="Language" name="language" required defaultValue="en" minLength={2} maxLength={15} />
            <label className="field">
              <span className="field-label">Category</span>
              <select name="category" defaultValue="utility">
                <option>utility</option>
                <option>marketing</option>
              </select>
            </label>
            <label className="field">
              <span className="field-label">Body</span>
              <textarea name="body" dir="auto" required maxLength={1024} rows={4} />
            </label>
            <Field label="Meta template name (optional)" name="meta_template_name" />
          </Form>
        </Can>
      </div>
    </section>
  );
}
