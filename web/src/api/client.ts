// The one place that talks to the Revive API: same-origin JSON calls with the session cookie,
// the CSRF header on writes, and the API's error shape turned into an ApiError.

export interface ErrorBody {
  error: { code: string; message: string; fields?: Record<string, string[]> };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: Record<string, string[]> = {},
  ) {
    super(message);
  }

  /** One line for the UI: the message, then each field's reasons. */
  describe(): string {
    const details = Object.entries(this.fields).map(([field, reasons]) => `${field}: ${reasons.join(", ")}`);
    return [this.message, ...details].join(" — ");
  }
}

// The API also sets it in the readable `revive_csrf` cookie; the login answer's copy is kept
// here so a fresh tab works before /auth/me has been read.
let csrfToken: string | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

// Called when the API answers 401 to a signed-in call: the session expired or was revoked (a
// role change ends a member's sessions), and the app goes back to the log-in page.
let onUnauthorized: (() => void) | null = null;

export function setOnUnauthorized(callback: (() => void) | null): void {
  onUnauthorized = callback;
}

function csrfFromCookie(): string | null {
  const match = document.cookie.match(/(?:^|;\s*)revive_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : null;
}

async function toError(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as ErrorBody;
    return new ApiError(res.status, body.error.code, body.error.message, body.error.fields ?? {});
  } catch {
    return new ApiError(res.status, "unknown", `${res.status} ${res.statusText}`);
  }
}

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export async function request<T>(method: Method, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (method !== "GET") {
    const token = csrfToken ?? csrfFromCookie();
    if (token) headers["X-CSRF-Token"] = token;
  }
  let payload: BodyInit | undefined;
  if (body instanceof FormData) {
    payload = body;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const res = await fetch(path, { method, headers, body: payload, credentials: "same-origin", signal });
  if (!res.ok) {
    const error = await toError(res);
    if (res.status === 401 && !path.startsWith("/api/v1/auth/")) onUnauthorized?.();
    throw error;
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const api = {
  get: <T>(path: string, signal?: AbortSignal) => request<T>("GET", path, undefined, signal),
  post: <T>(path: string, body?: unknown) => request<T>("POST", path, body ?? {}),
  put: <T>(path: string, body: unknown) => request<T>("PUT", path, body),
  patch: <T>(path: string, body: unknown) => request<T>("PATCH", path, body),
  del: (path: string) => request<void>("DELETE", path),
};

/**
 * A multipart upload through XMLHttpRequest, because fetch cannot report upload progress.
 * Resolves with the status (201 finished, 202 still importing) and the parsed body.
 */
export function upload<T>(
  path: string,
  form: FormData,
  onProgress: (fraction: number) => void,
): Promise<{ status: number; body: T }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    const token = csrfToken ?? csrfFromCookie();
    if (token) xhr.setRequestHeader("X-CSRF-Token", token);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onerror = () => reject(new ApiError(0, "network", "the upload did not reach the server"));
    xhr.onload = () => {
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(xhr.responseText);
      } catch {
        // An empty or non-JSON body: described by the status below.
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve({ status: xhr.status, body: parsed as T });
      } else {
        const err = (parsed as ErrorBody | null)?.error;
        reject(new ApiError(xhr.status, err?.code ?? "unknown", err?.message ?? `${xhr.status}`, err?.fields ?? {}));
      }
    };
    xhr.send(form);
  });
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.describe();
  if (e instanceof Error) return e.message;
  return String(e);
}
