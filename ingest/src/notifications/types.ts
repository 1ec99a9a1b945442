import type { AlertChangeKind, AlertSeverity, LiveEvents } from '@ioc/core';

export type NotificationChannel = 'webhook' | 'email';

/** Alert changes a subscription may ask for. `retriggered` never notifies (no spam). */
export const NOTIFIABLE_CHANGES = [
  'raised',
  'acknowledged',
  'assigned',
  'escalated',
  'resolved',
  'cleared',
] as const satisfies readonly AlertChangeKind[];
export type NotifiableChange = (typeof NOTIFIABLE_CHANGES)[number];

/** What a subscription gets when it names no change kinds. */
export const DEFAULT_NOTIFIED_CHANGES: readonly NotifiableChange[] = [
  'raised',
  'escalated',
  'resolved',
  'cleared',
];

/** Least to most severe. */
export const SEVERITY_ORDER: readonly AlertSeverity[] = [
  'info',
  'warning',
  'minor',
  'major',
  'critical',
];

/** A subscription as the API shows it: never the webhook secret. */
export interface NotificationSubscription {
  id: string;
  name: string;
  channel: NotificationChannel;
  /** Webhook URL; null for e-mail. */
  url: string | null;
  /** E-mail addresses; empty for a webhook. */
  recipients: string[];
  /** The least severe level that is notified. */
  minSeverity: AlertSeverity;
  /** Empty: every sector. */
  sectors: string[];
  /** Admin-unit subtree (that unit and below); null: everywhere. */
  unit: string | null;
  changes: NotifiableChange[];
  enabled: boolean;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

/** What creating a subscription takes; the store validates it (codes in `subscription-input.ts`). */
export interface NotificationSubscriptionInput {
  name: string;
  channel: NotificationChannel;
  url?: string;
  /** HMAC key; one is generated (and returned once) when omitted. */
  secret?: string;
  recipients?: string[];
  minSeverity?: AlertSeverity;
  sectors?: string[];
  unit?: string | null;
  changes?: string[];
  enabled?: boolean;
}

/** A change to a subscription; the channel is fixed at creation. */
export type NotificationSubscriptionPatch = Partial<Omit<NotificationSubscriptionInput, 'channel'>>;

/** A subscription with what sending needs (the secret stays inside ingest). */
export interface StoredSubscription extends NotificationSubscription {
  secret: string | null;
}

export type NotificationDeliveryStatus =
  | 'pending'
  | 'delivered'
  | 'failed'
  | 'dropped'
  | 'cancelled';
export const NOTIFICATION_DELIVERY_STATUSES: readonly NotificationDeliveryStatus[] = [
  'pending',
  'delivered',
  'failed',
  'dropped',
  'cancelled',
];

/** One notification of one subscription, with its attempts (table `notification_deliveries`). */
export interface NotificationDelivery {
  id: string;
  subscriptionId: string;
  alertId: string;
  change: AlertChangeKind | 'test';
  status: NotificationDeliveryStatus;
  attempts: number;
  /** HTTP status of the last webhook answer or SMTP reply code; null when none came. */
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  finishedAt: string | null;
}

export interface NotificationDeliveryQuery {
  status?: NotificationDeliveryStatus;
  subscriptionId?: string;
  limit?: number;
}

/** The body of a notification: the bus event as is (`change` is `test` for a test). */
export type NotificationEvent = Omit<LiveEvents['alert.changed'], 'change'> & {
  change: AlertChangeKind | 'test';
};

/** The outcome of one attempt to hand a notification over. */
export type AttemptResult =
  | { ok: true; status: number | null }
  | {
      ok: false;
      /** Worth trying again (network error, timeout, 5xx, 429, SMTP 4xx). */
      retryable: boolean;
      status: number | null;
      error: string;
      /** The receiver's Retry-After, when it sent one. */
      retryAfterMs?: number;
    };

/** What `sendTest` reports. */
export interface TestNotificationResult {
  deliveryId: string;
  delivered: boolean;
  status: number | null;
  error: string | null;
  ms: number;
}
