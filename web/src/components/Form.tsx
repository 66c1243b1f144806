// A form whose submit runs an API call and shows the API's field errors next to the fields.
import { useState, type FormEvent, type ReactNode } from "react";
import { ApiError, errorText } from "../api/client";

interface FormProps {
  onSubmit: (data: FormData) => Promise<unknown>;
  submitLabel: string;
  children: ReactNode;
  /** Clear the inputs after a success. */
  reset?: boolean;
  label?: string;
}

export function Form({ onSubmit, submitLabel, children, reset, label }: FormProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    setBusy(true);
    setError(null);
    try {
      await onSubmit(new FormData(form));
      if (reset) form.reset();
    } catch (err) {
      setError(err instanceof ApiError ? err.describe() : errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} aria-label={label} className="form">
      {children}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Working…" : submitLabel}
        </button>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </div>
    </form>
  );
}

interface FieldProps extends React.InputHTMLAttributes<HTMLInputElement> {
  label: string;
  name: string;
  hint?: string;
}

export function Field({ label, hint, ...input }: FieldProps) {
  return (
    <label className="field">
      <span className="field-label">{label}</span>
      <input dir="auto" {...input} />
      {hint && <span className="hint">{hint}</span>}
    </label>
  );
}

/** A form value as a trimmed string, or undefined when left empty (the API's "left out"). */
export function optional(data: FormData, name: string): string | undefined {
  const v = String(data.get(name) ?? "").trim();
  return v === "" ? undefined : v;
}

export function required(data: FormData, name: string): string {
  return String(data.get(name) ?? "");
}
