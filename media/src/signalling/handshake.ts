import { ApiError, type Principal } from '@ioc/core';
import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Socket } from 'socket.io';
import type { Admission, ConferenceAdmission } from '../conferences/conference.js';
import { ConferenceError } from '../rooms/conference-error.js';

export type Handshake = Socket['handshake'];

/** `io('/conference', { auth })`: which conference, and a unit's join token or a viewer flag. */
const HandshakeAuth = TypeCompiler.Compile(
  Type.Object({
    conferenceId: Type.String({ minLength: 1, maxLength: 64 }),
    token: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    asViewer: Type.Optional(Type.Boolean()),
  }),
);

export interface HandshakeDeps {
  admission: Pick<ConferenceAdmission, 'admit'>;
  /** The signed-in user behind the handshake (session cookie or API token), if any. */
  authenticate(handshake: Handshake): Promise<Principal | undefined>;
}

/**
 * Who is connecting and in which role: a join token goes to `admit` as is; otherwise the
 * signed-in user does; nobody at all is UNAUTHENTICATED. Throws ConferenceError.
 */
export async function admitHandshake(
  handshake: Handshake,
  deps: HandshakeDeps,
): Promise<Admission> {
  const auth: unknown = handshake.auth;
  if (!HandshakeAuth.Check(auth)) {
    const first = HandshakeAuth.Errors(auth).First();
    const field = first?.path ? `auth${first.path.replaceAll('/', '.')}` : 'auth';
    throw new ConferenceError(
      'INVALID_REQUEST',
      `handshake ${field} is invalid (${first?.message ?? 'expected { conferenceId, token?, asViewer? }'})`,
    );
  }
  const { conferenceId, token, asViewer } = auth;
  try {
    if (token) return await deps.admission.admit({ conferenceId, token });
    const user = await deps.authenticate(handshake);
    if (!user) {
      throw new ConferenceError(
        'UNAUTHENTICATED',
        'sign in, or open the join link your unit received, to join this conference',
      );
    }
    return await deps.admission.admit({ conferenceId, user, ...(asViewer ? { asViewer } : {}) });
  } catch (err) {
    if (err instanceof ApiError) throw new ConferenceError(err.code, err.message);
    throw err;
  }
}
