// Who is signed in. The session itself is the server's HttpOnly cookie; this only mirrors
// what GET /api/v1/auth/me says about it.
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
} from 'react';
import { ApiError } from './api/client';
import { currentUser, logout, type User } from './api/ioc-api';

export type SessionState =
  | { status: 'checking' }
  | { status: 'unreachable' }
  | { status: 'signed-out'; notice?: 'expired' | 'signed-out' }
  | { status: 'signed-in'; user: User };

interface SessionValue {
  state: SessionState;
  signedIn(user: User): void;
  signOut(): Promise<void>;
  /** The server refused the cookie (401) in the middle of work: ask for a new login. */
  expired(): void;
  recheck(): void;
}

// A wall display must come back by itself after a server restart or a network blip.
const recheckAfterMs = 5_000;

const SessionContext = createContext<SessionValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'checking' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    void attempt; // each new attempt asks the server again
    const controller = new AbortController();
    currentUser(controller.signal).then(
      (user) => setState({ status: 'signed-in', user }),
      (error: unknown) => {
        if (controller.signal.aborted) return;
        if (error instanceof ApiError && error.status === 401) setState({ status: 'signed-out' });
        else setState({ status: 'unreachable' });
      },
    );
    return () => controller.abort();
  }, [attempt]);

  useEffect(() => {
    if (state.status !== 'unreachable') return;
    const timer = setTimeout(() => setAttempt((n) => n + 1), recheckAfterMs);
    return () => clearTimeout(timer);
  }, [state]);

  const signedIn = useCallback((user: User) => setState({ status: 'signed-in', user }), []);
  const expired = useCallback(() => setState({ status: 'signed-out', notice: 'expired' }), []);
  const recheck = useCallback(() => {
    setState({ status: 'checking' });
    setAttempt((n) => n + 1);
  }, []);
  const signOut = useCallback(async () => {
    // Even if the server cannot be told, this browser stops showing the console.
    await logout().catch(() => undefined);
    setState({ status: 'signed-out', notice: 'signed-out' });
  }, []);

  const value = useMemo(
    () => ({ state, signedIn, signOut, expired, recheck }),
    [state, signedIn, signOut, expired, recheck],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession() must be used inside <SessionProvider>');
  return value;
}
