// Requests and events of the conference signalling (./protocol.ts) over one socket.io socket:
// every request gets its Reply within a time limit, or fails with a coded error the page
// can explain.
import type { Socket } from 'socket.io-client';
import type { Reply, SignallingError, SignallingEvents, SignallingRequests } from './protocol';

/** A request that failed: the server's code (e.g. FORBIDDEN), or TIMEOUT / DISCONNECTED. */
export class SignallingRequestError extends Error implements SignallingError {
  constructor(
    readonly code: string,
    message: string,
    readonly request: string,
  ) {
    super(message);
    this.name = 'SignallingRequestError';
  }
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** Checks that an acknowledgement has the Reply shape; anything else is a protocol error. */
export function readReply<T>(request: string, answer: unknown): T {
  if (typeof answer !== 'object' || answer === null || !('ok' in answer)) {
    throw new SignallingRequestError('BAD_REPLY', `${request}: the answer is not a Reply`, request);
  }
  const reply = answer as Reply<T>;
  if (reply.ok) return reply.data;
  const error = reply.error as Partial<SignallingError> | undefined;
  throw new SignallingRequestError(
    typeof error?.code === 'string' ? error.code : 'BAD_REPLY',
    typeof error?.message === 'string' ? error.message : `${request} failed`,
    request,
  );
}

export class SignallingChannel {
  readonly #socket: Socket;
  readonly #timeoutMs: number;

  constructor(socket: Socket, { timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS } = {}) {
    this.#socket = socket;
    this.#timeoutMs = timeoutMs;
  }

  get socket(): Socket {
    return this.#socket;
  }

  async request<K extends keyof SignallingRequests>(
    name: K,
    payload: SignallingRequests[K][0],
    { timeoutMs = this.#timeoutMs } = {},
  ): Promise<SignallingRequests[K][1]> {
    if (!this.#socket.connected) {
      throw new SignallingRequestError('DISCONNECTED', `${name}: not connected`, name);
    }
    let answer: unknown;
    try {
      answer = await this.#socket.timeout(timeoutMs).emitWithAck(name, payload);
    } catch {
      // socket.io rejects with "operation has timed out" when no ack came in time.
      throw new SignallingRequestError(
        this.#socket.connected ? 'TIMEOUT' : 'DISCONNECTED',
        `${name}: no answer within ${timeoutMs} ms`,
        name,
      );
    }
    return readReply<SignallingRequests[K][1]>(name, answer);
  }

  on<K extends keyof SignallingEvents>(
    name: K,
    listener: (event: SignallingEvents[K]) => void,
  ): () => void {
    // socket.io's typing is loose for untyped sockets; the protocol types the payload.
    const handler = listener as (...args: unknown[]) => void;
    this.#socket.on(name as string, handler);
    return () => {
      this.#socket.off(name as string, handler);
    };
  }
}
