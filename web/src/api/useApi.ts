// Loading a GET endpoint into a component: data, error, and a reload that keeps showing the
// previous data while the new answer is on its way (so live refetches do not flicker).
import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "./client";

export interface Loaded<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

export function useApi<T>(path: string | null): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(path !== null);
  const [generation, setGeneration] = useState(0);
  const lastPath = useRef(path);

  useEffect(() => {
    if (path === null) return;
    // A different resource must not show the previous one's data meanwhile.
    if (lastPath.current !== path) {
      setData(null);
      lastPath.current = path;
    }
    const abort = new AbortController();
    setLoading(true);
    api
      .get<T>(path, abort.signal)
      .then((d) => {
        setData(d);
        setError(null);
      })
      .catch((e: unknown) => {
        if (!abort.signal.aborted) setError(e);
      })
      .finally(() => {
        if (!abort.signal.aborted) setLoading(false);
      });
    return () => abort.abort();
  }, [path, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data, error, loading, reload };
}
