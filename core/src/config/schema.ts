import { type Static, Type } from '@sinclair/typebox';

const Port = (def: number, description: string) =>
  Type.Integer({ minimum: 0, maximum: 65535, default: def, description });
const Host = (def: string, description: string) =>
  Type.String({ minLength: 1, default: def, description });
/** Roles an SSO sign-in may be given (service accounts use API tokens, not the SSO). */
const SsoRole = (options: { description?: string } = {}) =>
  Type.Union(
    ['admin', 'ioc-operator', 'room-operator', 'viewer'].map((role) => Type.Literal(role)),
    options,
  );
const EscalationMinutes = (def: number) =>
  Type.Number({ minimum: 0, maximum: 10_080, default: def });

/**
 * The whole configuration of an IOC process. Defaults live here; `ioc.config.json`
 * overrides them and environment variables override the file (see `env.ts`).
 */
export const ConfigSchema = Type.Object(
  {
    dataDir: Type.String({
      minLength: 1,
      default: 'var',
      description: 'Directory for local state: PGlite data, managed InfluxDB, sockets, caches.',
    }),
    demo: Type.Boolean({ default: false, description: 'Run the demo-province simulators.' }),
    log: Type.Object(
      {
        level: Type.Union(
          ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) =>
            Type.Literal(l),
          ),
          { default: 'info' },
        ),
      },
      { default: {}, additionalProperties: false },
    ),
    web: Type.Object(
      {
        host: Host('127.0.0.1', 'Bind address of the HTTP server (app, API, socket.io, MQTT/WS).'),
        port: Port(8080, 'HTTP port.'),
        tls: Type.Optional(
          Type.Object(
            {
              certFile: Type.String({ minLength: 1, description: 'PEM certificate chain.' }),
              keyFile: Type.String({ minLength: 1, description: 'PEM private key.' }),
            },
            { additionalProperties: false, description: 'Serve HTTPS instead of HTTP.' },
          ),
        ),
        publicUrl: Type.Optional(
          Type.String({ description: 'URL users reach the server at (printed, used in links).' }),
        ),
      },
      { default: {}, additionalProperties: false },
    ),
    mqtt: Type.Object(
      {
        host: Host('127.0.0.1', 'Bind address of the MQTT TCP listener.'),
        port: Port(1883, 'MQTT TCP port.'),
        tlsPort: Port(8883, 'MQTT over TLS port (listens only when mqtt.tls is configured).'),
        tls: Type.Optional(
          Type.Object(
            {
              certFile: Type.String({ minLength: 1, description: 'PEM certificate chain.' }),
              keyFile: Type.String({ minLength: 1, description: 'PEM private key.' }),
              caFile: Type.Optional(
                Type.String({
                  minLength: 1,
                  description:
                    'PEM CA that signs device client certificates (CN = device id); ' +
                    'when unset, devices log in with their secret only.',
                }),
              ),
            },
            { additionalProperties: false, description: 'Serve MQTT over TLS on mqtt.tlsPort.' },
          ),
        ),
        maxPayloadBytes: Type.Integer({
          minimum: 1,
          maximum: 256 * 1024 * 1024,
          default: 64 * 1024,
          description: 'Largest message payload a device may publish, in bytes.',
        }),
        maxInflight: Type.Integer({
          minimum: 1,
          maximum: 65535,
          default: 100,
          description: 'QoS 2 messages one client may have awaiting PUBREL at once.',
        }),
        deviceRatePerSecond: Type.Number({
          minimum: 0,
          default: 20,
          description:
            'Messages per second one device may publish (bursts of twice that); 0 = no limit.',
        }),
      },
      { default: {}, additionalProperties: false },
    ),
    influx: Type.Object(
      {
        url: Type.Optional(
          Type.String({
            pattern: '^https?://',
            description: 'External InfluxDB; when unset the IOC starts and supervises influxd.',
          }),
        ),
        token: Type.String({
          default: '',
          description: 'Token (2.x/3.x) or "user:password" (1.x).',
        }),
        database: Type.String({ minLength: 1, default: 'ioc', description: 'Database / bucket.' }),
        org: Type.String({ default: '', description: 'Organisation (InfluxDB 2.x only).' }),
        managed: Type.Object(
          {
            host: Host('127.0.0.1', 'Bind address of the managed influxd.'),
            port: Port(8186, 'HTTP port of the managed influxd.'),
            rpcPort: Port(8187, 'RPC (backup/restore) port of the managed influxd.'),
            binary: Type.String({ minLength: 1, default: 'influxd', description: 'influxd path.' }),
          },
          { default: {}, additionalProperties: false },
        ),
      },
      { default: {}, additionalProperties: false },
    ),
    sql: Type.Object(
      {
        url: Type.Optional(
          Type.String({
            pattern: '^postgres(ql)?://',
            description: 'PostgreSQL URL; when unset an embedded PGlite under dataDir is used.',
          }),
        ),
      },
      { default: {}, additionalProperties: false },
    ),
    alerts: Type.Object(
      {
        escalationMinutes: Type.Object(
          {
            critical: EscalationMinutes(5),
            major: EscalationMinutes(15),
            minor: EscalationMinutes(60),
            warning: EscalationMinutes(240),
            info: EscalationMinutes(0),
          },
          {
            default: {},
            additionalProperties: false,
            description:
              'Minutes an alert of each severity may stay unacknowledged before it escalates (and again every such period); 0: never.',
          },
        ),
        escalationMaxLevel: Type.Integer({
          minimum: 1,
          maximum: 100,
          default: 3,
          description: 'Escalations of one unacknowledged alert at most.',
        }),
        storm: Type.Object(
          {
            threshold: Type.Integer({
              minimum: 0,
              default: 10,
              description:
                'Open alerts of one rule under one parent admin unit, raised within storm.windowSeconds, that are grouped under a storm alert; 0: never group.',
            }),
            windowSeconds: Type.Integer({
              minimum: 1,
              maximum: 86_400,
              default: 300,
              description: 'How close together the alerts of a storm must be raised, in seconds.',
            }),
          },
          { default: {}, additionalProperties: false },
        ),
      },
      { default: {}, additionalProperties: false },
    ),
    ingest: Type.Object(
      {
        opcuaMappingFile: Type.Optional(
          Type.String({
            minLength: 1,
            description:
              'JSON file of OPC-UA servers and node → device/metric mappings, written over the same servers in the database on every start.',
          }),
        ),
        offlineAfterMissedReports: Type.Number({
          minimum: 0,
          maximum: 1000,
          default: 3,
          description:
            "A device is offline after this many of its type's report intervals without a report, even while connected; 0: by connection only.",
        }),
        kpiFile: Type.Optional(
          Type.String({
            minLength: 1,
            description:
              'JSON file of KPI definitions that extend or override the shipped ones (ingest/data/kpis.json), or replace them with "replaceDefaults": true.',
          }),
        ),
        rulesFile: Type.Optional(
          Type.String({
            minLength: 1,
            description:
              'JSON file of alert rules ({"rules": [...]}) applied on every start; its rules are read-only over the API. Unset: rules from an earlier file become API-managed.',
          }),
        ),
      },
      { default: {}, additionalProperties: false },
    ),
    notifications: Type.Object(
      {
        smtp: Type.Object(
          {
            host: Type.Optional(
              Type.String({
                minLength: 1,
                description: 'SMTP server for e-mail notifications; e-mail is off when unset.',
              }),
            ),
            port: Port(587, 'SMTP port (587 submission with STARTTLS, 465 with secure, 25).'),
            secure: Type.Boolean({
              default: false,
              description: 'TLS from the first byte (SMTPS, usually port 465).',
            }),
            starttls: Type.Union(
              [Type.Literal('required'), Type.Literal('opportunistic'), Type.Literal('off')],
              {
                default: 'required',
                description:
                  'Without secure: upgrade with STARTTLS always (required), when offered, or never (off: loopback relays only).',
              },
            ),
            user: Type.Optional(Type.String({ minLength: 1, description: 'SMTP login.' })),
            password: Type.Optional(Type.String({ minLength: 1, description: 'SMTP password.' })),
            from: Type.String({
              minLength: 3,
              default: 'IOC <ioc@localhost>',
              description: 'Sender of notification e-mails, e.g. "IOC Đà Nẵng <ioc@example.vn>".',
            }),
          },
          { default: {}, additionalProperties: false },
        ),
      },
      { default: {}, additionalProperties: false },
    ),
    media: Type.Object(
      {
        workers: Type.Integer({
          minimum: 0,
          default: 0,
          description: 'mediasoup workers; 0 means one per CPU core.',
        }),
        listenIp: Host('127.0.0.1', 'Address the WebRTC server binds to.'),
        announcedAddress: Type.Optional(
          Type.String({ description: 'Address announced to browsers (public/NAT address).' }),
        ),
        port: Port(40000, 'First WebRTC port (UDP+TCP); worker i uses port + i.'),
        conference: Type.Object(
          {
            lastN: Type.Integer({
              minimum: 1,
              maximum: 50,
              default: 9,
              description:
                'Videos each endpoint receives at most: the most recent speakers, the floor and the chair (audio always flows).',
            }),
            routerConsumerBudget: Type.Integer({
              minimum: 10,
              default: 400,
              description:
                'Consumers one router carries before a room spreads to another worker (pipeToRouter).',
            }),
            statsIntervalS: Type.Integer({
              minimum: 1,
              maximum: 60,
              default: 5,
              description: 'How often endpoint stats go to the live bus (walls).',
            }),
            maxParticipants: Type.Integer({
              minimum: 2,
              default: 400,
              description: 'Peers one conference admits at once.',
            }),
          },
          { default: {}, additionalProperties: false },
        ),
      },
      { default: {}, additionalProperties: false },
    ),
    simulators: Type.Object(
      {
        devices: Type.Integer({
          minimum: 0,
          maximum: 20_000,
          default: 300,
          description: 'Simulated MQTT field devices of the demo province (0: none).',
        }),
        reportSpeed: Type.Number({
          exclusiveMinimum: 0,
          maximum: 1000,
          default: 10,
          description:
            "Demo devices report at their type's interval divided by this (kept within 10-60 s).",
        }),
        seed: Type.Integer({
          default: 1,
          description: 'Seed of the demo fleet, its storms and noise: same seed, same province.',
        }),
        kpiHistoryDays: Type.Integer({
          minimum: 0,
          maximum: 3650,
          default: 365,
          description:
            'Days of public-service KPI history the demo KPI feed pushes at start (0: no KPI feed).',
        }),
        opcua: Type.Object(
          {
            host: Host('127.0.0.1', 'Bind address of the simulated OPC-UA PLC server.'),
            port: Port(4840, 'Port of the simulated OPC-UA PLC server.'),
            username: Type.String({ minLength: 1, default: 'ioc', description: 'PLC login.' }),
            password: Type.Optional(
              Type.String({
                minLength: 8,
                description: 'PLC password; a built-in demo one is used on loopback when unset.',
              }),
            ),
          },
          { default: {}, additionalProperties: false },
        ),
      },
      { default: {}, additionalProperties: false },
    ),
    units: Type.Object(
      {
        dataset: Type.String({
          minLength: 1,
          default: 'da-nang-2025',
          description: 'Administrative-unit dataset (see core/data/units).',
        }),
      },
      { default: {}, additionalProperties: false },
    ),
    auth: Type.Object(
      {
        adminPassword: Type.Optional(
          Type.String({
            minLength: 12,
            description: 'Password of the first admin account (used only when it is created).',
          }),
        ),
        sessionTtlHours: Type.Number({ exclusiveMinimum: 0, default: 12 }),
        oidc: Type.Optional(
          Type.Object(
            {
              issuer: Type.String({
                pattern: '^https?://',
                description:
                  'Issuer URL of the SSO (OpenID Connect discovery); plain http only on loopback.',
              }),
              clientId: Type.String({ minLength: 1, description: 'Client id of the IOC.' }),
              clientSecret: Type.String({ minLength: 1, description: 'Client secret.' }),
              redirectUrl: Type.Optional(
                Type.String({
                  pattern: '^https?://',
                  description:
                    'Callback URL registered at the SSO; default: <web.publicUrl or the request origin>/api/v1/auth/oidc/callback.',
                }),
              ),
              scopes: Type.String({
                minLength: 6,
                default: 'openid profile email',
                description: 'Scopes asked for, space-separated (must include openid).',
              }),
              roleClaim: Type.String({
                minLength: 1,
                default: 'roles',
                description:
                  'Claim holding the roles or groups (a string or an array; dots reach into objects, e.g. realm_access.roles).',
              }),
              roleMap: Type.Record(Type.String(), SsoRole(), {
                default: {},
                description:
                  'Claim value → IOC role, e.g. {"ioc-dieu-hanh": "ioc-operator"}; the highest mapped role wins.',
              }),
              usernameClaim: Type.String({
                minLength: 1,
                default: 'preferred_username',
                description: 'Claim that becomes the IOC username.',
              }),
              defaultRole: Type.Optional(
                SsoRole({
                  description:
                    'Role of users none of whose claim values is mapped; unset: refused.',
                }),
              ),
            },
            {
              additionalProperties: false,
              description: 'Sign-in through the provincial SSO (OpenID Connect); off when unset.',
            },
          ),
        ),
      },
      { default: {}, additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export type AppConfig = Static<typeof ConfigSchema>;
