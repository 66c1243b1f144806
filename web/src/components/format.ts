// Display formats shared by the screens.

export function when(iso: string | null | undefined): string {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function money(cents: number | null | undefined, currency: string | null | undefined): string {
  if (cents === null || cents === undefined) return "—";
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: currency ?? "EUR" }).format(cents / 100);
  } catch {
    // An unknown currency code: the plain amount is still right.
    return `${(cents / 100).toFixed(2)} ${currency ?? ""}`.trim();
  }
}

export function count(n: number): string {
  return new Intl.NumberFormat().format(n);
}

export function percent(part: number, whole: number): string {
  return whole > 0 ? `${Math.round((part / whole) * 100)}%` : "—";
}

/** `YYYY-MM-DD` of a date in UTC, as the analytics range expects. */
export function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}
