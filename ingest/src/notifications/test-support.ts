// Helpers for this folder's tests: a manual clock, a real HTTP webhook receiver, a real SMTP
// sink (smtp-server, in process), a small MIME reader, and sample alerts.
import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AlertSnapshot, LiveEvents } from '@ioc/core';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { Clock, ClockTimer } from '../clock.js';

/** A clock that moves only when told to; `advance` fires due timers in time order. */
export class ManualClock implements Clock {
  #now: number;
  #timers: Array<{ at: number; seq: number; fn: () => void }> = [];
  #seq = 0;

  constructor(start = Date.UTC(2026, 2, 5, 1, 30)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(fn: () => void, ms: number): ClockTimer {
    const timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    this.#timers.push(timer);
    return { cancel: () => (this.#timers = this.#timers.filter((t) => t !== timer)) };
  }

  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const next = this.#timers
        .filter((t) => t.at <= end)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
    }
    this.#now = end;
  }
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body bytes as received. */
  body: Buffer;
}

export interface ScriptedAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Never answer (until the receiver closes): a hung endpoint. */
  hang?: boolean;
}

/** A real HTTP server that records every request and answers as `answer` says. */
export class WebhookReceiver extends EventEmitter<{ request: [ReceivedRequest] }> {
  readonly requests: ReceivedRequest[] = [];
  #server: Server;
  #answer: (request: ReceivedRequest, index: number) => ScriptedAnswer;

  private constructor(answer: (request: ReceivedRequest, index: number) => ScriptedAnswer) {
    super();
    this.#answer = answer;
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const received: ReceivedRequest = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks),
        };
        const answer = this.#answer(received, this.requests.length);
        this.requests.push(received);
        this.emit('request', received);
        if (answer.hang) return;
        res.writeHead(answer.status, answer.headers).end(answer.body ?? '');
      });
    });
  }

  static async start(
    answer: (request: ReceivedRequest, index: number) => ScriptedAnswer = () => ({ status: 204 }),
  ): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(answer);
    receiver.#server.listen(0, '127.0.0.1');
    await once(receiver.#server, 'listening');
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  answerWith(answer: (request: ReceivedRequest, index: number) => ScriptedAnswer): void {
    this.#answer = answer;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

export interface SunkMail {
  from: string;
  to: string[];
  raw: string;
  user: string | undefined;
}

/** A real SMTP server in this process (no TLS, optional login) that keeps what it receives. */
export class SmtpSink extends EventEmitter<{ mail: [SunkMail] }> {
  readonly messages: SunkMail[] = [];
  readonly #server: SMTPServer;

  private constructor(options: SMTPServerOptions) {
    super();
    this.#server = new SMTPServer({
      logger: false,
      disabledCommands: ['STARTTLS'],
      authOptional: true,
      allowInsecureAuth: true,
      ...options,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const mail: SunkMail = {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
            user: session.user as string | undefined,
          };
          this.messages.push(mail);
          this.emit('mail', mail);
          callback();
        });
      },
    });
  }

  static async start(options: SMTPServerOptions = {}): Promise<SmtpSink> {
    const sink = new SmtpSink(options);
    sink.#server.listen(0, '127.0.0.1');
    await once(sink.#server.server, 'listening');
    return sink;
  }

  get port(): number {
    return (this.#server.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

export interface ReadMail {
  headers: Map<string, string>;
  subject: string;
  text: string;
  html: string;
}

/**
 * Reads what nodemailer sends (UTF-8 only): unfolds headers, decodes RFC 2047 encoded
 * words, splits multipart/alternative and undoes quoted-printable or base64.
 */
export function readMail(raw: string): ReadMail {
  const { headers, body } = splitEntity(raw);
  const boundary = /boundary="?([^";]+)"?/i.exec(headers.get('content-type') ?? '')?.[1];
  const parts = boundary
    ? body
        .split(`--${boundary}`)
        .slice(1, -1)
        .map((part) => splitEntity(part.replace(/^\r\n/, '')))
    : [{ headers, body }];
  const partOf = (type: string) =>
    parts.find((p) => (p.headers.get('content-type') ?? 'text/plain').startsWith(type));
  return {
    headers,
    subject: decodeWords(headers.get('subject') ?? ''),
    text: decodeBody(partOf('text/plain')),
    html: decodeBody(partOf('text/html')),
  };
}

function splitEntity(raw: string): { headers: Map<string, string>; body: string } {
  const end = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, end).replace(/\r\n[ \t]+/g, ' ');
  const headers = new Map<string, string>();
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body: raw.slice(end + 4) };
}

function decodeWords(value: string): string {
  // Adjacent encoded words join without the space between them (RFC 2047 §6.2).
  const joined = value.replace(/(\?=)\s+(=\?)/g, '$1$2');
  return joined.replace(/(?:=\?UTF-8\?([QB])\?([^?]*)\?=)+/gi, (run) => {
    const bytes: Buffer[] = [];
    for (const [, encoding, text] of run.matchAll(/=\?UTF-8\?([QB])\?([^?]*)\?=/gi)) {
      bytes.push(
        encoding?.toUpperCase() === 'B'
          ? Buffer.from(text ?? '', 'base64')
          : qpBytes((text ?? '').replaceAll('_', ' ')),
      );
    }
    return Buffer.concat(bytes).toString('utf8');
  });
}

function decodeBody(part: { headers: Map<string, string>; body: string } | undefined): string {
  if (!part) return '';
  const encoding = (part.headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  const body = part.body.replace(/\r\n$/, '');
  if (encoding === 'base64')
    return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') return qpBytes(body.replace(/=\r\n/g, '')).toString('utf8');
  return body;
}

function qpBytes(text: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text.slice(i + 1, i + 3);
    if (text[i] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
      out.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      out.push(...Buffer.from(text[i] as string, 'utf8'));
    }
  }
  return Buffer.from(out);
}

let serial = 0;

/** An alert as the alert store would publish it; override what a test is about. */
export function sampleAlert(overrides: Partial<AlertSnapshot> = {}): AlertSnapshot {
  const at = '2026-03-05T01:30:00.000Z';
  return {
    id: `alert-${++serial}`,
    ruleId: 'rule-water-level',
    source: 'wl-hai-chau-01',
    severity: 'major',
    state: 'active',
    message: {
      vi: 'Mực nước sông Hàn vượt ngưỡng báo động 2: 3,2 m',
      en: 'Han river level above alarm level 2: 3.2 m',
    },
    deviceId: 'wl-hai-chau-01',
    unit: '20242',
    sector: 'environment',
    metric: 'water_level',
    value: 3.2,
    count: 1,
    raisedAt: at,
    lastSeenAt: at,
    acknowledgedAt: null,
    acknowledgedBy: null,
    assignee: null,
    endedAt: null,
    endedBy: null,
    escalationLevel: 0,
    parentId: null,
    ...overrides,
  };
}

export function alertChanged(
  change: LiveEvents['alert.changed']['change'],
  alert: AlertSnapshot,
  actor: string | null = null,
): LiveEvents['alert.changed'] {
  return { change, alert, actor, at: alert.lastSeenAt };
}
