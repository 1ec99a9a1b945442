import { ApiError } from '@ioc/core';
import type { FastifyError, FastifyInstance } from 'fastify';

/** Body of every error answer: a stable code and a message that says what to fix. */
export interface ErrorBody {
  code: string;
  message: string;
  details?: unknown;
  requestId?: string;
}

/**
 * Maps every failure to `{code, message}`: our ApiErrors as they are, schema validation to
 * 400 INVALID_REQUEST naming the field, anything unexpected to 500 without internals.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
    if (error instanceof ApiError) {
      request.log.info({ code: error.code, status: error.statusCode }, error.message);
      return reply
        .status(error.statusCode)
        .send({ code: error.code, message: error.message, details: error.details });
    }
    if ('validation' in error && error.validation) {
      request.log.info({ err: error.message }, 'invalid request');
      return reply.status(400).send({ code: 'INVALID_REQUEST', message: error.message });
    }
    const status = error.statusCode ?? 500;
    if (status < 500) {
      request.log.info({ err: error.message, status }, 'request refused');
      return reply
        .status(status)
        .send({ code: error.code ?? 'BAD_REQUEST', message: error.message } satisfies ErrorBody);
    }
    request.log.error({ err: error }, 'request failed');
    return reply.status(500).send({
      code: 'INTERNAL_ERROR',
      message: `the server failed to handle this request; quote request id ${request.id} to the administrator`,
      requestId: String(request.id),
    } satisfies ErrorBody);
  });

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({
      code: 'NOT_FOUND',
      message: `no route ${request.method} ${request.url.split('?')[0]}; see /api/docs`,
    } satisfies ErrorBody);
  });
}
