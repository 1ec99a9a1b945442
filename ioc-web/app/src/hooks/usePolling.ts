import { useEffect, useState } from 'react';

export interface PollState<T> {
  /** The last good answer, kept while later polls fail so the screen does not go blank. */
  data?: T;
  updatedAt?: Date;
  /** Set while the latest poll failed; cleared by the next good one. */
  error?: unknown;
}

/**
 * Calls `load` now and then `intervalMs` after each answer (never two at once, so a slow
 * server is not piled on). `load` must be stable across renders.
 */
export function usePolling<T>(
  load: (signal: AbortSignal) => Promise<T>,
  intervalMs: number,
): PollState<T> {
  const [state, setState] = useState<PollState<T>>({});

  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;

    const poll = async () => {
      try {
        const data = await load(controller.signal);
        setState({ data, updatedAt: new Date() });
      } catch (error) {
        if (controller.signal.aborted) return;
        setState((previous) => ({ ...previous, error }));
      }
      if (!controller.signal.aborted) timer = setTimeout(poll, intervalMs);
    };
    void poll();

    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [load, intervalMs]);

  return state;
}
