// Alert notifications: subscriptions, webhook and e-mail delivery with retries (see README.md).
export {
  NotificationService,
  type NotificationServiceEvents,
  type NotificationServiceOptions,
} from './notification-service.js';
export { signWebhookBody, verifyWebhookSignature } from './signature.js';
export { isNotifiable, wantsNotification } from './subscription-filter.js';
export {
  DEFAULT_NOTIFIED_CHANGES,
  NOTIFIABLE_CHANGES,
  NOTIFICATION_DELIVERY_STATUSES,
  type NotifiableChange,
  type NotificationChannel,
  type NotificationDelivery,
  type NotificationDeliveryQuery,
  type NotificationDeliveryStatus,
  type NotificationEvent,
  type NotificationSubscription,
  type NotificationSubscriptionInput,
  type NotificationSubscriptionPatch,
  type TestNotificationResult,
} from './types.js';
