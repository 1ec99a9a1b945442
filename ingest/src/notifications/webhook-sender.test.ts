import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, retryDelay } from './retry-policy.js';
import { signWebhookBody, verifyWebhookSignature } from './signature.js';
import { WebhookReceiver } from './test-support.js';
import { postWebhook, type WebhookRequest } from './webhook-sender.js';

const SECRET = 'a-webhook-secret-of-32-characters';
const NOW = Date.UTC(2026, 2, 5, 1, 30, 15);

describe('postWebhook against a real HTTP server', () => {
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
  });
  afterAll(() => receiver.close());

  const request = (
    path: string,
    body = '{"change":"raised","note":"Cảnh báo"}',
  ): WebhookRequest => ({
    url: `${receiver.url}${path}`,
    secret: SECRET,
    deliveryId: 'd-1',
    change: 'raised',
    body,
    attempt: 2,
  });
  const post = (path: string, timeoutMs = 5000) =>
    postWebhook(request(path), { timeoutMs, now: () => NOW });

  it('POSTs the exact body with signature, timestamp, delivery id and event headers', async () => {
    receiver.answerWith(() => ({ status: 204 }));
    const result = await post('/hook');
    expect(result).toEqual({ ok: true, status: 204 });
    const received = receiver.requests.at(-1);
    expect(received?.method).toBe('POST');
    expect(received?.path).toBe('/hook');
    expect(received?.body.toString('utf8')).toBe('{"change":"raised","note":"Cảnh báo"}');
    expect(received?.headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      'x-ioc-event': 'alert.raised',
      'x-ioc-delivery': 'd-1',
      'x-ioc-attempt': '2',
      'x-ioc-timestamp': String(Math.floor(NOW / 1000)),
    });
    const signature = received?.headers['x-ioc-signature'] as string;
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(SECRET, received?.body as Buffer, signature)).toBe(true);
    expect(
      verifyWebhookSignature('another-secret-of-some-length', received?.body as Buffer, signature),
    ).toBe(false);
    expect(verifyWebhookSignature(SECRET, Buffer.from('{"change":"cleared"}'), signature)).toBe(
      false,
    );
    expect(verifyWebhookSignature(SECRET, received?.body as Buffer, undefined)).toBe(false);
  });

  it('signs like any HMAC-SHA256 implementation (RFC 4231 test case 2)', () => {
    expect(signWebhookBody('Jefe', 'what do ya want for nothing?')).toBe(
      'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('retries 5xx and 429, honouring Retry-After; keeps the start of the answer', async () => {
    receiver.answerWith(() => ({ status: 503, body: 'maintenance\n until 9h' }));
    expect(await post('/down')).toEqual({
      ok: false,
      retryable: true,
      status: 503,
      error: 'HTTP 503: maintenance until 9h',
      retryAfterMs: undefined,
    });
    receiver.answerWith(() => ({ status: 429, headers: { 'retry-after': '120' } }));
    expect(await post('/busy')).toMatchObject({
      ok: false,
      retryable: true,
      status: 429,
      retryAfterMs: 120_000,
    });
  });

  it('fails for good on other 4xx and on redirects (they are not followed)', async () => {
    receiver.answerWith(() => ({ status: 400, body: '{"error":"bad payload"}' }));
    expect(await post('/bad')).toEqual({
      ok: false,
      retryable: false,
      status: 400,
      error: 'HTTP 400: {"error":"bad payload"}',
    });
    const before = receiver.requests.length;
    receiver.answerWith(() => ({
      status: 301,
      headers: { location: 'https://elsewhere.vn/hook' },
    }));
    const moved = await post('/moved');
    expect(moved).toMatchObject({ ok: false, retryable: false, status: 301 });
    expect(!moved.ok && moved.error).toContain('https://elsewhere.vn/hook');
    expect(receiver.requests.length).toBe(before + 1);
  });

  it('gives up on an endpoint that does not answer in time, and retries later', async () => {
    receiver.answerWith(() => ({ status: 200, hang: true }));
    const result = await post('/slow', 300);
    expect(result).toEqual({
      ok: false,
      retryable: true,
      status: null,
      error: 'no answer within 300 ms',
    });
  });

  it('retries when nobody listens', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const result = await postWebhook(
      { ...request('/'), url: `http://127.0.0.1:${closed}/hook` },
      { timeoutMs: 5000, now: () => NOW },
    );
    expect(result).toMatchObject({ ok: false, retryable: true, status: null });
    expect(!result.ok && result.error).toContain('ECONNREFUSED');
  });
});

describe('retry delays', () => {
  it('grow with each attempt (equal jitter keeps every wait above the one before)', () => {
    for (const random of [() => 0, () => 0.5, () => 0.999_999]) {
      const waits = [1, 2, 3, 4, 5].map((n) =>
        retryDelay(DEFAULT_RETRY_POLICY, n, undefined, random),
      );
      for (let i = 1; i < waits.length - 1; i++)
        expect(waits[i]).toBeGreaterThan(waits[i - 1] as number);
      expect(Math.max(...waits)).toBeLessThanOrEqual(DEFAULT_RETRY_POLICY.maxDelayMs);
    }
    expect(retryDelay(DEFAULT_RETRY_POLICY, 1, undefined, () => 0)).toBe(15_000);
    expect(retryDelay(DEFAULT_RETRY_POLICY, 2, undefined, () => 0)).toBe(30_000);
  });

  it('spread 6 attempts over roughly 10 minutes', () => {
    const total = (random: () => number) =>
      [1, 2, 3, 4, 5].reduce(
        (sum, n) => sum + retryDelay(DEFAULT_RETRY_POLICY, n, undefined, random),
        0,
      );
    expect(total(() => 0)).toBeGreaterThanOrEqual(6 * 60_000);
    expect(total(() => 0.999_999)).toBeLessThanOrEqual(13 * 60_000);
  });

  it("wait at least as long as the receiver's Retry-After, up to the maximum", () => {
    expect(retryDelay(DEFAULT_RETRY_POLICY, 1, 90_000, () => 0)).toBe(90_000);
    expect(retryDelay(DEFAULT_RETRY_POLICY, 1, 3_600_000, () => 0)).toBe(
      DEFAULT_RETRY_POLICY.maxDelayMs,
    );
  });
});
