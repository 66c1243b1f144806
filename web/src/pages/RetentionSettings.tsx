// When retention messages go: offsets after delivery, the follow-up flow, quiet hours, caps.
// Viewers see the values; admins edit them.
import { api } from "../api/client";
import { FLOWS, type RetentionSettings } from "../api/types";
import { useApi } from "../api/useApi";
import { useCan } from "../auth/session";
import { Form, optional } from "../components/Form";
import { ErrorNote, Loading } from "../components/Status";

function hhmm(t: string): string {
  return t.slice(0, 5);
}

export function RetentionSettingsCard() {
  const settings = useApi<RetentionSettings>("/api/v1/settings/retention");
  const admin = useCan("admin");
  const s = settings.data;
  return (
    <div className="card">
      <h2>Timing</h2>
      <ErrorNote error={settings.error} />
      {!s && settings.loading && <Loading what="the settings" />}
      {s && !admin && (
        <dl className="facts">
          <dt>Check-in</dt>
          <dd>{s.checkin_offset_hours} hours after delivery</dd>
          <dt>Follow-up</dt>
          <dd>
            {s.followup_flow}, {s.followup_offset_hours} hours after delivery
          </dd>
          <dt>Enabled flows</dt>
          <dd>{s.enabled_flows.join(", ") || "none"}</dd>
          <dt>Quiet hours</dt>
          <dd>
            {hhmm(s.quiet_hours_start)} to {hhmm(s.quiet_hours_end)}
          </dd>
          <dt>At most</dt>
          <dd>{s.frequency_cap_per_week} messages per customer per week</dd>
          <dt>Attribution window</dt>
          <dd>{s.attribution_window_days} days</dd>
          <dt>Hold-out group</dt>
          <dd>{s.holdout_percent}%</dd>
        </dl>
      )}
      {s && admin && (
        <Form
          label="Timing settings"
          submitLabel="Save timing"
          onSubmit={async (d) => {
            const num = (n: string) => Number(d.get(n));
            const discount = optional(d, "max_discount_percent");
            const retention = optional(d, "message_retention_days");
            await api.patch("/api/v1/settings/retention", {
              checkin_offset_hours: num("checkin_offset_hours"),
              followup_offset_hours: num("followup_offset_hours"),
              followup_flow: d.get("followup_flow"),
              enabled_flows: d.getAll("enabled_flows").map(String),
              transit_estimate_days: num("transit_estimate_days"),
              quiet_hours_start: d.get("quiet_hours_start"),
              quiet_hours_end: d.get("quiet_hours_end"),
              frequency_cap_per_week: num("frequency_cap_per_week"),
              max_discount_percent: discount === undefined ? null : Number(discount),
              attribution_window_days: num("attribution_window_days"),
              holdout_percent: num("holdout_percent"),
              message_retention_days: retention === undefined ? null : Number(retention),
            });
            settings.reload();
          }}
        >
          <div className="grid-2">
            <NumberField label="Check-in: hours after delivery" name="checkin_offset_hours" value={s.checkin_offset_hours} min={1} max={2160} />
            <NumberField label="Follow-up: hours after delivery" name="followup_offset_hours" value={s.followup_offset_hours} min={1} max={4320} />
            <label className="field">
              <span className="field-label">Follow-up message</span>
              <select name="followup_flow" defaultValue={s.followup_flow}>
                <option>review</option>
                <option>replenishment</option>
                <option>upsell</option>
              </select>
            </label>
            <NumberField label="Assumed transit days" name="transit_estimate_days" value={s.transit_estimate_days} min={0} max={60} />
            <label className="field">
              <span className="field-label">Quiet hours start</span>
              <input type="time" name="quiet_hours_start" defaultValue={hhmm(s.quiet_hours_start)} required />
            </label>
            <label className="field">
              <span className="field-label">Quiet hours end</span>
              <input type="time" name="quiet_hours_end" defaultValue={hhmm(s.quiet_hours_end)} required />
            </label>
            <NumberField label="Messages per customer per week" name="frequency_cap_per_week" value={s.frequency_cap_per_week} min={0} max={50} />
            <NumberField label="Largest discount the bot may mention (%)" name="max_discount_percent" value={s.max_discount_percent} min={0} max={100} optional />
            <NumberField label="Attribution window (days)" name="attribution_window_days" value={s.attribution_window_days} min={1} max={90} />
            <NumberField label="Hold-out group (%)" name="holdout_percent" value={s.holdout_percent} min={0} max={50} />
            <NumberField label="Delete message texts after (days)" name="message_retention_days" value={s.message_retention_days} min={1} optional />
          </div>
          <fieldset className="checks">
            <legend>Enabled flows</legend>
            {FLOWS.map((f) => (
              <label key={f}>
                <input type="checkbox" name="enabled_flows" value={f} defaultChecked={s.enabled_flows.includes(f)} /> {f}
              </label>
            ))}
          </fieldset>
        </Form>
      )}
    </div>
  );
}

function NumberField(props: { label: string; name: string; value: number | null; min: number; max?: number; optional?: boolean }) {
  return (
    <label className="field">
      <span className="field-label">{props.label}</span>
      <input
        type="number"
        name={props.name}
        defaultValue={props.value ?? ""}
        min={props.min}
        max={props.max}
        required={!props.optional}
        placeholder={props.optional ? "none" : undefined}
      />
    </label>
  );
}
