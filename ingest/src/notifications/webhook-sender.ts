import { errorMessage } from '@ioc/core';
import { signWebhookBody } from './signature.js';
import type { AttemptResult } from './types.js';

/** One POST of a notification to a webhook subscription. */
export interface WebhookRequest {
  url: string;
  secret: string;
  deliveryId: string;
  /** The alert change kind (or `test`), sent as `X-IOC-Event: alert.<change>`. */
  change: string;
  /** The exact JSON; signed as these bytes. */
  body: string;
  /** 1 for the first attempt. */
  attempt: number;
}

export interface WebhookPostOptions {
  /** The whole exchange (connect, answer, body) must finish within this, in ms. */
  timeoutMs: number;
  /** Aborts the request (service stopping). */
  signal?: AbortSignal;
  /** Epoch ms, for `X-IOC-Timestamp`. */
  now: () => number;
}

const USER_AGENT = 'IOC-Notifications/1';
/** How much of a refusal's body is kept in the delivery log. */
const ERROR_BODY_CHARS = 300;
const ERROR_BODY_BYTES = 4096;

/**
 * POSTs the body with its HMAC signature and classifies the answer: 2xx delivered; network
 * errors, timeouts, 5xx and 429 worth retrying; any other status (4xx, redirects) permanent,
 * since sending the same request again would get the same answer. Never throws.
 */
export async function postWebhook(
  request: WebhookRequest,
  options: WebhookPostOptions,
): Promise<AttemptResult> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: 'POST',
      body: request.body,
      redirect: 'manual',
      signal,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': USER_AGENT,
        'x-ioc-event': `alert.${request.change}`,
        'x-ioc-delivery': request.deliveryId,
        'x-ioc-attempt': String(request.attempt),
        'x-ioc-timestamp': String(Math.floor(options.now() / 1000)),
        'x-ioc-signature': signWebhookBody(request.secret, request.body),
      },
    });
  } catch (err) {
    return { ok: false, retryable: true, status: null, error: networkError(err, timeout, options) };
  }
  let text: string;
  try {
    text = await readSnippet(response);
  } catch (err) {
    if (response.ok) {
      return {
        ok: false,
        retryable: true,
        status: response.status,
        error: networkError(err, timeout, options),
      };
    }
    text = '';
  }
  const status = response.status;
  if (status >= 200 && status < 300) return { ok: true, status };
  const answer = `HTTP ${status}${text ? `: ${text}` : ''}`;
  if (status === 429 || status >= 500) {
    return {
      ok: false,
      retryable: true,
      status,
      error: answer,
      retryAfterMs: retryAfter(response.headers.get('retry-after'), options.now()),
    };
  }
  if (status >= 300 && status < 400) {
    const location = response.headers.get('location');
    return {
      ok: false,
      retryable: false,
      status,
      error: `HTTP ${status}: the endpoint redirects${location ? ` to ${location}` : ''}; configure the final URL (redirects are not followed)`,
    };
  }
  return { ok: false, retryable: false, status, error: answer };
}

function networkError(err: unknown, timeout: AbortSignal, options: WebhookPostOptions): string {
  if (timeout.aborted) return `no answer within ${options.timeoutMs} ms`;
  if (options.signal?.aborted) return 'cancelled: the notification service is stopping';
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.message ?? 'network error'} (${cause.code})`;
  return errorMessage(cause ?? err);
}

/** The start of the answer's body; the rest is discarded unread (a receiver may send a lot). */
async function readSnippet(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  while (bytes < ERROR_BODY_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    bytes += value.length;
  }
  await reader.cancel().catch(() => {});
  const text = Buffer.concat(chunks).toString('utf8', 0, Math.min(bytes, ERROR_BODY_BYTES));
  return text.replace(/\s+/g, ' ').trim().slice(0, ERROR_BODY_CHARS);
}

/** Retry-After in seconds or as an HTTP date; undefined when absent or unreadable. */
function retryAfter(header: string | null, now: number): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
