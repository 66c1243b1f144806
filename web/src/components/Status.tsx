// How a screen says "loading", "nothing here" and "that failed". A 404 from a whole endpoint
// (not a record) means this server does not have the feature yet, and says so.
import { ApiError, errorText } from "../api/client";

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: React.ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function ErrorNote({ error, feature }: { error: unknown; feature?: string }) {
  if (!error) return null;
  let text = errorText(error);
  if (error instanceof ApiError && error.status === 404 && feature) {
    text = `${feature} is not available on this server yet (404).`;
  } else if (error instanceof ApiError && error.status === 403) {
    text = `Your role cannot see this. (${error.message})`;
  }
  return (
    <p className="error" role="alert">
      {text}
    </p>
  );
}
