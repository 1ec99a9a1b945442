import type { AppConfig } from '@ioc/core';
import { errorMessage } from '@ioc/core';
import nodemailer, { type Transporter } from 'nodemailer';
import type { AlertEmail } from './email-message.js';
import type { AttemptResult } from './types.js';

export type SmtpSettings = AppConfig['notifications']['smtp'];

export interface EmailSenderOptions {
  smtp: SmtpSettings;
  /** Connect + greeting limit, in ms; default 10 s. */
  connectTimeoutMs?: number;
  /** Silence on an open connection before giving up, in ms; default 30 s. */
  socketTimeoutMs?: number;
}

/**
 * Sends notification e-mails through the configured SMTP server (pooled connections, so a
 * burst of alerts reuses a few sessions). `send` never throws; it classifies the outcome the
 * way RFC 5321 does: 5yz replies permanent, 4yz and broken connections worth retrying.
 */
export class EmailSender {
  readonly #transport: Transporter;
  readonly #from: string;

  constructor(options: EmailSenderOptions) {
    const { smtp } = options;
    if (!smtp.host) throw new Error('EmailSender needs notifications.smtp.host');
    const connectTimeout = options.connectTimeoutMs ?? 10_000;
    this.#from = smtp.from;
    this.#transport = nodemailer.createTransport({
      pool: true,
      maxConnections: 2,
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      requireTLS: !smtp.secure && smtp.starttls === 'required',
      ignoreTLS: !smtp.secure && smtp.starttls === 'off',
      auth: smtp.user ? { user: smtp.user, pass: smtp.password ?? '' } : undefined,
      connectionTimeout: connectTimeout,
      greetingTimeout: connectTimeout,
      socketTimeout: options.socketTimeoutMs ?? 30_000,
      disableFileAccess: true,
      disableUrlAccess: true,
    });
  }

  async send(recipients: string[], email: AlertEmail, deliveryId: string): Promise<AttemptResult> {
    try {
      const info = await this.#transport.sendMail({
        from: this.#from,
        to: recipients,
        subject: email.subject,
        text: email.text,
        html: email.html,
        headers: { 'X-IOC-Delivery': deliveryId },
      });
      const rejected = (info as { rejected?: unknown[] }).rejected ?? [];
      if (rejected.length > 0 && rejected.length === recipients.length) {
        return { ok: false, retryable: false, status: null, error: 'every recipient was refused' };
      }
      return { ok: true, status: replyCode((info as { response?: string }).response) };
    } catch (err) {
      const code = (err as { responseCode?: number }).responseCode;
      const message = `${errorMessage(err)}${(err as { code?: string }).code ? ` (${(err as { code?: string }).code})` : ''}`;
      // 503 "bad sequence" is about the session, not the message: a new one can succeed.
      const permanent = code !== undefined && code >= 500 && code < 600 && code !== 503;
      return { ok: false, retryable: !permanent, status: code ?? null, error: message };
    }
  }

  /** Closes the pooled connections, also those delivering a message right now. */
  close(): void {
    this.#transport.close({ force: true });
  }
}

function replyCode(response: string | undefined): number | null {
  const code = Number(response?.slice(0, 3));
  return Number.isInteger(code) && code > 0 ? code : null;
}
