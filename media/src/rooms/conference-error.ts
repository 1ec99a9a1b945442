import type { SignallingError } from '../signalling/protocol.js';

/**
 * A refusal the client can act on: its code and message go back in the reply
 * (`{ ok: false, error }`), never a stack trace.
 */
export class ConferenceError extends Error {
  override readonly name = 'ConferenceError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  toJSON(): SignallingError {
    return { code: this.code, message: this.message };
  }
}

export function notFound(what: string, id: string): ConferenceError {
  return new ConferenceError('NOT_FOUND', `${what} ${id} is not one of yours in this conference`);
}

export function forbidden(message: string): ConferenceError {
  return new ConferenceError('FORBIDDEN', message);
}
