// One EventSource on /api/v1/live per tab, shared by every screen. Screens subscribe to event
// names and refetch what they show; after a reconnect (events may have been missed) or the
// server's `resync`, every subscriber refetches.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";

export type LiveStatus = "connecting" | "open" | "down";
export type LiveEventName = "message" | "conversation" | "activity";
type Listener = (name: LiveEventName | "resync", data: unknown) => void;

interface LiveState {
  status: LiveStatus;
  subscribe: (listener: Listener) => () => void;
}

const LiveContext = createContext<LiveState | null>(null);

export function LiveProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<LiveStatus>("connecting");
  const listeners = useRef(new Set<Listener>());

  useEffect(() => {
    const source = new EventSource("/api/v1/live");
    let opened = false;
    const emit: Listener = (name, data) => listeners.current.forEach((l) => l(name, data));
    source.onopen = () => {
      setStatus("open");
      if (opened) emit("resync", null);
      opened = true;
    };
    // EventSource retries by itself; CLOSED means it gave up (e.g. a 404 or 401 answer).
    source.onerror = () => setStatus(source.readyState === EventSource.CLOSED ? "down" : "connecting");
    for (const name of ["message", "conversation", "activity", "resync"] as const) {
      source.addEventListener(name, (e) => {
        let data: unknown = null;
        try {
          data = JSON.parse((e as MessageEvent<string>).data);
        } catch {
          // A malformed payload still says "something changed": subscribers refetch.
        }
        emit(name, data);
      });
    }
    return () => source.close();
  }, []);

  // Stable, so a status change does not make every screen subscribe again.
  const subscribe = useCallback((listener: Listener) => {
    listeners.current.add(listener);
    return () => {
      listeners.current.delete(listener);
    };
  }, []);
  const value = useMemo(() => ({ status, subscribe }), [status, subscribe]);

  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

export function useLiveStatus(): LiveStatus {
  const state = useContext(LiveContext);
  return state?.status ?? "down";
}

/**
 * Calls `onEvent` for the named live events (and for every resync). The latest callback is
 * used, so callers need not memoize it.
 */
export function useLive(names: LiveEventName[], onEvent: (name: LiveEventName | "resync", data: unknown) => void) {
  const subscribe = useContext(LiveContext)?.subscribe;
  const callback = useRef(onEvent);
  callback.current = onEvent;
  const key = names.join(",");
  useEffect(() => {
    if (!subscribe) return;
    const wanted = new Set(key.split(","));
    return subscribe((name, data) => {
      if (name === "resync" || wanted.has(name)) callback.current(name, data);
    });
  }, [subscribe, key]);
}

/**
 * Reloads on the named live events, at most once per `everyMs` (a busy store sends many
 * message events; an expensive report need not follow each one).
 */
export function useLiveReload(names: LiveEventName[], reload: () => void, everyMs = 0) {
  const timer = useRef<number | null>(null);
  const last = useRef(0);
  useLive(names, () => {
    if (timer.current !== null) return;
    const wait = Math.max(0, last.current + everyMs - Date.now());
    timer.current = window.setTimeout(() => {
      timer.current = null;
      last.current = Date.now();
      reload();
    }, wait);
  });
  useEffect(
    () => () => {
      if (timer.current !== null) window.clearTimeout(timer.current);
    },
    [],
  );
}
