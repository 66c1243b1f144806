// A button that runs an API call: disabled while it runs, and the failure shown beside it, so
// every write control reports its own outcome without a page-level error store.
import { useState } from "react";
import { errorText } from "../api/client";

interface Props {
  onClick: () => Promise<unknown>;
  children: React.ReactNode;
  kind?: "primary" | "secondary" | "danger";
  disabled?: boolean;
  label?: string;
}

export function ActionButton({ onClick, children, kind = "secondary", disabled, label }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      await onClick();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="action">
      <button type="button" className={kind} onClick={run} disabled={busy || disabled} aria-label={label}>
        {children}
      </button>
      {error && (
        <span className="error inline" role="alert">
          {error}
        </span>
      )}
    </span>
  );
}
