import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StartupError } from '../errors.js';
import { type LoadConfigOptions, loadConfig } from './index.js';

const scratch = mkdtempSync(join(tmpdir(), 'ioc-config-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A fresh working directory holding `files` (name -> contents; objects are written as JSON). */
function project(files: Record<string, string | object> = {}): string {
  const dir = mkdtempSync(join(scratch, 'project-'));
  for (const [name, contents] of Object.entries(files)) {
    writeFileSync(
      join(dir, name),
      typeof contents === 'string' ? contents : JSON.stringify(contents),
    );
  }
  return dir;
}

/** The one-line message of the StartupError that loadConfig throws. */
function failure(options: LoadConfigOptions): string {
  let thrown: unknown;
  try {
    loadConfig(options);
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(StartupError);
  expect(thrown).toMatchObject({ code: 'CONFIG_INVALID' });
  const { message } = thrown as StartupError;
  expect(message).not.toContain('\n');
  return message;
}

describe('loadConfig: where values come from', () => {
  it('uses the schema defaults when there is no file, environment or override', () => {
    const cwd = project();
    expect(loadConfig({ env: {}, cwd })).toEqual({
      dataDir: join(cwd, 'var'),
      demo: false,
      log: { level: 'info' },
      web: { host: '127.0.0.1', port: 8080 },
      mqtt: {
        host: '127.0.0.1',
        port: 1883,
        tlsPort: 8883,
        maxPayloadBytes: 65536,
        maxInflight: 100,
        deviceRatePerSecond: 20,
      },
      influx: {
        token: '',
        database: 'ioc',
        org: '',
        managed: { host: '127.0.0.1', port: 8186, rpcPort: 8187, binary: 'influxd' },
      },
      sql: {},
      alerts: {
        escalationMinutes: { critical: 5, major: 15, minor: 60, warning: 240, info: 0 },
        escalationMaxLevel: 3,
        storm: { threshold: 10, windowSeconds: 300 },
      },
      ingest: { offlineAfterMissedReports: 3 },
      notifications: {
        smtp: { port: 587, secure: false, starttls: 'required', from: 'IOC <ioc@localhost>' },
      },
      media: {
        workers: 0,
        listenIp: '127.0.0.1',
        port: 40000,
        conference: {
          lastN: 9,
          routerConsumerBudget: 400,
          statsIntervalS: 5,
          maxParticipants: 400,
        },
      },
      simulators: {
        devices: 300,
        kpiHistoryDays: 365,
        reportSpeed: 10,
        seed: 1,
        opcua: { host: '127.0.0.1', port: 4840, username: 'ioc' },
      },
      units: { dataset: 'da-nang-2025' },
      auth: { sessionTtlHours: 12 },
    });
  });

  it('reads the MQTT TLS files and limits from the environment', () => {
    const env = {
      IOC_MQTT_TLS_PORT: '18883',
      IOC_MQTT_TLS_CERT: 'certs/mqtt.crt',
      IOC_MQTT_TLS_KEY: 'certs/mqtt.key',
      IOC_MQTT_TLS_CA: 'certs/devices-ca.crt',
      IOC_MQTT_MAX_PAYLOAD: '4096',
      IOC_MQTT_MAX_INFLIGHT: '10',
      IOC_MQTT_DEVICE_RATE: '0.5',
    };
    expect(loadConfig({ env, cwd: project() }).mqtt).toEqual({
      host: '127.0.0.1',
      port: 1883,
      tlsPort: 18883,
      tls: {
        certFile: 'certs/mqtt.crt',
        keyFile: 'certs/mqtt.key',
        caFile: 'certs/devices-ca.crt',
      },
      maxPayloadBytes: 4096,
      maxInflight: 10,
      deviceRatePerSecond: 0.5,
    });
    expect(() => loadConfig({ env: { IOC_MQTT_MAX_PAYLOAD: '0' }, cwd: project() })).toThrow(
      /mqtt\.maxPayloadBytes = 0 \(from environment variable IOC_MQTT_MAX_PAYLOAD\)/,
    );
  });

  it('reads ioc.config.json over the defaults, key by key', () => {
    const cwd = project({ 'ioc.config.json': { web: { port: 9000 }, log: { level: 'debug' } } });
    const config = loadConfig({ env: {}, cwd });
    expect(config.web).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(config.log.level).toBe('debug');
    expect(config.mqtt.port).toBe(1883);
  });

  it('reads the file named by IOC_CONFIG (relative to cwd) instead of ioc.config.json', () => {
    const cwd = project({
      'ioc.config.json': { web: { port: 9000 } },
      'site.json': { web: { port: 9100 } },
    });
    expect(loadConfig({ env: { IOC_CONFIG: 'site.json' }, cwd }).web.port).toBe(9100);
    expect(loadConfig({ env: { IOC_CONFIG: join(cwd, 'site.json') } }).web.port).toBe(9100);
    // Empty counts as unset, as for every other variable.
    expect(loadConfig({ env: { IOC_CONFIG: '' }, cwd }).web.port).toBe(9000);
  });

  it('lets the environment override the file, converting numbers', () => {
    const cwd = project({ 'ioc.config.json': { web: { port: 9000 }, mqtt: { port: 1999 } } });
    const config = loadConfig({
      env: { IOC_WEB_PORT: '9001', IOC_MQTT_PORT: '', INFLUX_URL: 'https://influx.example:8086' },
      cwd,
    });
    expect(config.web.port).toBe(9001);
    expect(config.mqtt.port).toBe(1999);
    expect(config.influx.url).toBe('https://influx.example:8086');
  });

  it('lets overrides win over the environment and the file', () => {
    const cwd = project({ 'ioc.config.json': { web: { port: 9000, host: '0.0.0.0' } } });
    const config = loadConfig({
      env: { IOC_WEB_PORT: '9001' },
      cwd,
      overrides: { web: { port: 9002 } },
    });
    expect(config.web).toEqual({ host: '0.0.0.0', port: 9002 });
  });

  it('reads booleans from the environment in the usual spellings', () => {
    const cwd = project({ 'ioc.config.json': { demo: true } });
    for (const yes of ['true', 'TRUE', '1', 'yes', 'on']) {
      expect(loadConfig({ env: { IOC_DEMO: yes }, cwd: project() }).demo).toBe(true);
    }
    for (const no of ['false', '0', 'No', 'off']) {
      expect(loadConfig({ env: { IOC_DEMO: no }, cwd }).demo).toBe(false);
    }
  });

  it('reads the SSO (OpenID Connect) settings, with defaults for the claims', () => {
    const cwd = project({
      'ioc.config.json': { auth: { oidc: { roleMap: { 'ioc-dieu-hanh': 'ioc-operator' } } } },
    });
    const env = {
      IOC_OIDC_ISSUER: 'https://sso.danang.gov.vn/realms/ioc',
      IOC_OIDC_CLIENT_ID: 'ioc',
      IOC_OIDC_CLIENT_SECRET: 'client-secret',
      IOC_OIDC_DEFAULT_ROLE: 'viewer',
    };
    expect(loadConfig({ env, cwd }).auth).toEqual({
      sessionTtlHours: 12,
      oidc: {
        issuer: 'https://sso.danang.gov.vn/realms/ioc',
        clientId: 'ioc',
        clientSecret: 'client-secret',
        scopes: 'openid profile email',
        roleClaim: 'roles',
        roleMap: { 'ioc-dieu-hanh': 'ioc-operator' },
        usernameClaim: 'preferred_username',
        defaultRole: 'viewer',
      },
    });
    expect(failure({ env: { IOC_OIDC_ISSUER: env.IOC_OIDC_ISSUER }, cwd: project() })).toBe(
      'config auth.oidc.clientId is unknown or missing (from environment variable IOC_OIDC_ISSUER): expected required property',
    );
    expect(failure({ env: { ...env, IOC_OIDC_DEFAULT_ROLE: 'service' }, cwd })).toContain(
      'expected one of "admin", "ioc-operator", "room-operator", "viewer"',
    );
    expect(
      failure({ env: { ...env, IOC_OIDC_CLIENT_SECRET: '', IOC_OIDC_CLIENT_ID: '' }, cwd }),
    ).toContain('auth.oidc.clientId');
  });

  it('resolves a relative dataDir against cwd and keeps an absolute one', () => {
    const cwd = project({ 'ioc.config.json': { dataDir: 'from-file' } });
    expect(loadConfig({ env: {}, cwd }).dataDir).toBe(join(cwd, 'from-file'));
    expect(loadConfig({ env: { IOC_DATA_DIR: 'state/ioc' }, cwd }).dataDir).toBe(
      join(cwd, 'state', 'ioc'),
    );
    expect(loadConfig({ env: { IOC_DATA_DIR: '/srv/ioc' }, cwd }).dataDir).toBe('/srv/ioc');
  });
});

describe('loadConfig: one actionable line per bad value', () => {
  it('names key, value, source and expectation for a bad number', () => {
    const cwd = project();
    expect(failure({ env: { IOC_WEB_PORT: 'eighty' }, cwd })).toBe(
      'config web.port = "eighty" (from environment variable IOC_WEB_PORT): expected an integer from 0 to 65535',
    );
    expect(failure({ env: { IOC_MEDIA_WORKERS: '1.5' }, cwd })).toBe(
      'config media.workers = 1.5 (from environment variable IOC_MEDIA_WORKERS): expected an integer of at least 0',
    );
    expect(failure({ env: {}, cwd, overrides: { auth: { sessionTtlHours: 0 } } })).toBe(
      'config auth.sessionTtlHours = 0 (from command line): expected a number greater than 0',
    );
  });

  it('lists the allowed values of an enum and rejects a non-boolean', () => {
    const cwd = project();
    expect(failure({ env: { IOC_LOG_LEVEL: 'loud' }, cwd })).toBe(
      'config log.level = "loud" (from environment variable IOC_LOG_LEVEL): expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent"',
    );
    expect(failure({ env: { IOC_DEMO: 'maybe' }, cwd })).toBe(
      'config demo = "maybe" (from environment variable IOC_DEMO): expected boolean',
    );
  });

  it('explains the URL each kind of server needs, hiding a password in it', () => {
    const cwd = project();
    expect(failure({ env: { INFLUX_URL: 'localhost:8086' }, cwd })).toBe(
      `config influx.url = "localhost:8086" (from environment variable INFLUX_URL): expected string to match '^https?://' (External InfluxDB; when unset the IOC starts and supervises influxd.)`,
    );
    expect(failure({ env: { DATABASE_URL: 'postgress://ioc:S3cret@db.example/ioc' }, cwd })).toBe(
      `config sql.url = "postgress://ioc:***@db.example/ioc" (from environment variable DATABASE_URL): expected string to match '^postgres(ql)?://' (PostgreSQL URL; when unset an embedded PGlite under dataDir is used.)`,
    );
  });

  it('never echoes a password', () => {
    const message = failure({ env: { IOC_ADMIN_PASSWORD: 'hunter2' }, cwd: project() });
    expect(message).toBe(
      'config auth.adminPassword = <hidden, 7 characters> (from environment variable IOC_ADMIN_PASSWORD): expected string length greater or equal to 12',
    );
  });

  it('names a misspelt key and the file it is in', () => {
    const cwd = project({ 'ioc.config.json': { web: { prot: 8081 } } });
    const file = join(cwd, 'ioc.config.json');
    expect(failure({ env: {}, cwd })).toBe(
      `config web.prot = 8081 (from ${file}): no such setting (check spelling)`,
    );
    writeFileSync(file, JSON.stringify({ colour: 'red' }));
    expect(failure({ env: {}, cwd })).toBe(
      `config colour = "red" (from ${file}): no such setting (check spelling)`,
    );
  });

  it('blames a missing key on where its sibling was set', () => {
    expect(failure({ env: { IOC_WEB_TLS_CERT: '/etc/ioc/cert.pem' }, cwd: project() })).toBe(
      'config web.tls.keyFile is unknown or missing (from environment variable IOC_WEB_TLS_CERT): expected required property',
    );
  });

  it('refuses a file that is not a JSON object, and an IOC_CONFIG that names no file', () => {
    const cwd = project({ 'ioc.config.json': '{"web": {"port": 1,}}', 'list.json': '[1]' });
    const invalid = failure({ env: {}, cwd });
    expect(invalid).toMatch(/^config file \S+ is not valid JSON \(.+\); fix or remove it$/);
    expect(invalid).toContain(`config file ${join(cwd, 'ioc.config.json')} `);
    expect(failure({ env: { IOC_CONFIG: 'list.json' }, cwd })).toBe(
      `config file ${join(cwd, 'list.json')} must hold a JSON object`,
    );
    expect(failure({ env: { IOC_CONFIG: 'missing.json' }, cwd })).toBe(
      `config file ${join(cwd, 'missing.json')} (from IOC_CONFIG) does not exist; create it or unset IOC_CONFIG`,
    );
  });
});
