// Who is logged in, and what their role lets them do. Write controls ask `useCan` so a viewer
// never sees a button the API would refuse.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { api, ApiError, setCsrfToken, setOnUnauthorized } from "../api/client";
import type { Role, Session } from "../api/types";

const RANK: Record<Role, number> = { viewer: 0, agent: 1, admin: 2, owner: 3 };

interface SessionState {
  session: Session | null;
  /** False until /auth/me has answered once. */
  checked: boolean;
  signedIn: (s: Session) => void;
  signOut: () => Promise<void>;
}

const SessionContext = createContext<SessionState | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(null);
  const [checked, setChecked] = useState(false);

  useEffect(() => {
    setOnUnauthorized(() => {
      setCsrfToken(null);
      setSession(null);
    });
    return () => setOnUnauthorized(null);
  }, []);

  useEffect(() => {
    api
      .get<Session>("/api/v1/auth/me")
      .then((s) => {
        setCsrfToken(s.csrf_token);
        setSession(s);
      })
      .catch((e: unknown) => {
        // 401 is simply "not logged in"; anything else is left for the login page to show.
        if (!(e instanceof ApiError && e.status === 401)) console.error(e);
      })
      .finally(() => setChecked(true));
  }, []);

  const signedIn = useCallback((s: Session) => {
    setCsrfToken(s.csrf_token);
    setSession(s);
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api.post("/api/v1/auth/logout");
    } finally {
      setCsrfToken(null);
      setSession(null);
    }
  }, []);

  return (
    <SessionContext.Provider value={{ session, checked, signedIn, signOut }}>{children}</SessionContext.Provider>
  );
}

export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error("useSession outside SessionProvider");
  return state;
}

/** Whether the logged-in user's role is at least `min`. */
export function useCan(min: Role): boolean {
  const { session } = useSession();
  return session !== null && RANK[session.user.role] >= RANK[min];
}

/** Renders its children only for roles of at least `min`. */
export function Can({ min, children }: { min: Role; children: ReactNode }) {
  return useCan(min) ? <>{children}</> : null;
}
