import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, InfluxSupervisor } from '@ioc/core';
import pg from 'pg';
import { io as socketClient } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from './free-port.js';
import {
  descendantsOf,
  type IocServer,
  iocEnvironment,
  runIoc,
  startIocServer,
} from './ioc-server.js';

// The IOC against engines it does not run itself: PostgreSQL (DATABASE_URL) and an external
// InfluxDB (INFLUX_URL), served over HTTPS. A token made by the CLI before the server starts
// (straight on the database) must work once it runs.
describe('ioc start with DATABASE_URL, INFLUX_URL and HTTPS', () => {
  let influx: InfluxSupervisor;
  let influxDir: string;
  let databaseUrl: string;
  let certDir: string;
  let ioc: IocServer;
  let offlineToken: string;

  beforeAll(async () => {
    influxDir = mkdtempSync(join(tmpdir(), 'ioc-ext-influx-'));
    influx = new InfluxSupervisor({
      dataDir: influxDir,
      host: '127.0.0.1',
      port: await freePort(),
      rpcPort: await freePort(),
      binary: 'influxd',
      logger: createLogger('silent'),
    });
    await influx.start();

    const admin = new pg.Client({ connectionString: inject('postgresUrl') });
    await admin.connect();
    const database = `ioc_e2e_${Date.now()}`;
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    const url = new URL(inject('postgresUrl'));
    url.pathname = `/${database}`;
    databaseUrl = url.toString();

    certDir = mkdtempSync(join(tmpdir(), 'ioc-ext-cert-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        join(certDir, 'key.pem'),
        '-out',
        join(certDir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );

    const external = {
      DATABASE_URL: databaseUrl,
      INFLUX_URL: influx.url,
      INFLUX_DB: 'ioc_ext',
      IOC_WEB_TLS_CERT: join(certDir, 'cert.pem'),
      IOC_WEB_TLS_KEY: join(certDir, 'key.pem'),
    };
    // The CLI works with no server running: it opens the database itself.
    const { env } = await iocEnvironment(external);
    const created = await runIoc(
      ['token', 'create', '--role', 'admin', '--name', 'before start', '--json'],
      env,
    );
    expect(created.code, created.stderr).toBe(0);
    offlineToken = (JSON.parse(created.stdout) as { token: string }).token;

    ioc = await startIocServer({ env: external });
  });

  afterAll(async () => {
    await ioc?.stop('SIGKILL');
    ioc?.cleanup();
    await influx?.stop();
    rmSync(influxDir, { recursive: true, force: true });
    rmSync(certDir, { recursive: true, force: true });
  });

  const ca = () => readFileSync(join(certDir, 'cert.pem'), 'utf8');

  it('uses PostgreSQL and the external InfluxDB, spawning no influxd and no PGlite', async () => {
    const health = await httpsJson('GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      components: { sql: { status: 'up', reason: 'postgres' }, influx: { status: 'up' } },
    });
    expect(existsSync(join(ioc.dataDir, 'influxdb'))).toBe(false);
    expect(existsSync(join(ioc.dataDir, 'pglite'))).toBe(false);
    const children = descendantsOf(ioc.process.pid as number).map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        return '';
      }
    });
    expect(children.some((cmd) => cmd.includes('influxd'))).toBe(false);

    // The IOC created its database on the external server.
    const res = await fetch(`${influx.url}/query?q=${encodeURIComponent('SHOW DATABASES')}`);
    expect(JSON.stringify(await res.json())).toContain('ioc_ext');
  });

  it('accepts the token the CLI created before the server started', async () => {
    const me = await httpsJson('GET', '/api/v1/auth/me', {
      authorization: `Bearer ${offlineToken}`,
    });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ user: { kind: 'token', role: 'admin' } });
  });

  it('serves HTTPS and marks the session cookie Secure', async () => {
    const login = await httpsJson(
      'POST',
      '/api/v1/auth/login',
      { 'content-type': 'application/json' },
      JSON.stringify({ username: 'admin', password: ioc.env.IOC_ADMIN_PASSWORD }),
    );
    expect(login.status).toBe(200);
    expect(String(login.headers['set-cookie'])).toMatch(/ioc_session=.*; Secure/i);
  });

  it('lets only authenticated clients onto the live channel', async () => {
    const url = ioc.url.replace('http:', 'https:');
    const anonymous = socketClient(url, {
      transports: ['websocket'],
      ca: ca(),
      reconnection: false,
    });
    const refused = await new Promise<Error>((resolve) => anonymous.once('connect_error', resolve));
    anonymous.close();
    expect(refused.message).toBe('UNAUTHENTICATED');

    const client = socketClient(url, {
      transports: ['websocket'],
      ca: ca(),
      reconnection: false,
      auth: { token: offlineToken },
    });
    try {
      const hello = await new Promise<{ user: { role: string } }>((resolve, reject) => {
        client.once('hello', resolve);
        client.once('connect_error', reject);
      });
      expect(hello.user.role).toBe('admin');
    } finally {
      client.close();
    }
  });

  function httpsJson(
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: string,
  ): Promise<{
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: unknown;
  }> {
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: ioc.ports.web, path, method, headers, ca: ca() },
        (res) => {
          let text = '';
          res.on('data', (chunk) => {
            text += chunk;
          });
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: text ? JSON.parse(text) : null,
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
});
