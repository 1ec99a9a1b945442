/**
 * An error that stops start-up. Its message is one line a person can act on
 * (what went wrong and how to fix it); the CLI prints it without a stack trace.
 */
export class StartupError extends Error {
  override readonly name = 'StartupError';
  constructor(
    message: string,
    readonly code = 'STARTUP_FAILED',
  ) {
    super(message);
  }
}

/** An error returned to an API client: a stable code plus a message saying what to fix. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
