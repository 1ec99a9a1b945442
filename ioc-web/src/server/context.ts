import type {
  AdminUnitTree,
  ApiTokens,
  AuditLog,
  HealthRegistry,
  Principal,
  SessionStore,
  UserAccounts,
} from '@ioc/core';
import type { DeviceCatalogue, DeviceRegistry } from '@ioc/devices';
import type { Registry } from 'prom-client';
import type { CallerAccess } from './access/caller-access.js';
import type { OidcSignIn } from './oidc/oidc-sign-in.js';
import type { RoomStore } from './rooms/room-store.js';
import type { AlertDesk } from './routes/alerts.js';
import type { ConferenceDesk } from './routes/conferences.js';
import type { KpiDesk } from './routes/kpi.js';
import type { NotificationAdmin } from './routes/notifications.js';
import type { OpcuaAdmin } from './routes/opcua.js';
import type { RuleAdmin } from './routes/rules.js';
import type { TelemetryAtReader } from './telemetry-at.js';

/** Everything the HTTP routes need, handed in by the process that hosts the web service. */
export interface WebContext {
  health: HealthRegistry;
  metrics: Registry;
  units: AdminUnitTree;
  unitDataset: string;
  accounts: UserAccounts;
  sessions: SessionStore;
  tokens: ApiTokens;
  audit: AuditLog;
  devices: DeviceRegistry;
  catalogue: DeviceCatalogue;
  /** Downlink to a device's `commands` topic; undefined when no broker runs in this process. */
  sendCommand?: (deviceId: string, payload: unknown) => Promise<void>;
  /** Telemetry history and latest values; undefined when ingest does not run in this process. */
  telemetry?: TelemetryReader;
  /** Sensor values at a past instant (time travel); undefined when InfluxDB is not at hand. */
  telemetryAt?: TelemetryAtReader;
  /** Alerts (list, history, acknowledge, assign, comment, resolve); undefined without ingest. */
  alerts?: AlertDesk;
  /** OPC-UA servers, node mappings and browsing; undefined when ingest does not run here. */
  opcua?: OpcuaAdmin;
  /** Public-service KPIs (submit, definitions, roll-ups); undefined without ingest. */
  kpi?: KpiDesk;
  /** Alert notification subscriptions and deliveries; undefined without ingest. */
  notifications?: NotificationAdmin;
  /** Video conferences (schedule, cancel, join links, attendance); undefined without media. */
  conferences?: ConferenceDesk;
  /** Alert rules (read by all, changed by admins); undefined without ingest. */
  rules?: RuleAdmin;
  /** Operating rooms and their members; without it, room operators and viewers see nothing. */
  rooms?: RoomStore;
  /** Whether a device is online now; undefined when no broker runs in this process. */
  presence?: PresenceReader;
  sessionTtlHours: number;
  /** Sign-in through the provincial SSO (OpenID Connect); undefined when auth.oidc is unset. */
  oidc?: OidcSignIn;
}

/** The broker's presence authority, as the live channel's snapshots need it. */
export interface PresenceReader {
  stateOf(deviceId: string): { state: 'online' | 'offline'; at: string } | undefined;
}

/** Read side of ingest, as the web service needs it. */
export interface TelemetryReader {
  query(query: {
    device: string;
    metric: string;
    from: Date;
    to: Date;
    every: string;
    aggregate?: 'mean' | 'min' | 'max' | 'last';
  }): Promise<Array<{ ts: string; value: number | boolean | null }>>;
  latest(
    deviceId: string,
  ):
    | { deviceId: string; values: Record<string, { value: number | boolean; ts: number }> }
    | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller; set by the authentication hook on every protected route. */
    principal?: Principal;
    /** What the caller may see and act on (their rooms' scopes); set with `principal`. */
    access?: CallerAccess;
  }
  interface FastifyContextConfig {
    /** Routes reachable without credentials (login, health). */
    public?: boolean;
  }
}
