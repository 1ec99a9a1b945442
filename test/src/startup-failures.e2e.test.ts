import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from './free-port.js';
import { iocEnvironment, processesMentioning, runIoc } from './ioc-server.js';

// Each failure must stop start-up with one actionable line, a non-zero exit, no stack trace,
// and nothing left running (no influxd, no mediasoup worker).
describe('ioc start refuses to start, clearly', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  async function startExpectingFailure(
    extraEnv: NodeJS.ProcessEnv,
    prepare?: (dataDir: string) => void,
  ) {
    const { env, dataDir } = await iocEnvironment(extraEnv);
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    prepare?.(dataDir);
    const result = await runIoc(['start'], env);
    const lines = result.stderr.trim().split('\n');
    expect(result.code, result.stderr).toBe(1);
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^ioc: /);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(processesMentioning(dataDir)).toEqual([]);
    return lines[0] as string;
  }

  it('names a port already in use and how to change it', async () => {
    const port = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    cleanups.push(() => blocker.close());
    const line = await startExpectingFailure({ IOC_WEB_PORT: String(port) });
    expect(line).toBe(
      `ioc: port ${port} on 127.0.0.1 (web.port) is already in use; stop the other process or set IOC_WEB_PORT to a free port`,
    );
  });

  it('says how to get influxd when it is missing', async () => {
    const line = await startExpectingFailure({ IOC_INFLUXD_BIN: '/nonexistent/influxd' });
    expect(line).toContain('influxd');
    expect(line).toMatch(/apt-get install influxdb|INFLUX_URL/);
  });

  it('says which DATABASE_URL is unreachable, without its password', async () => {
    const port = await freePort();
    const line = await startExpectingFailure({
      DATABASE_URL: `postgres://ioc:s3cret-pw@127.0.0.1:${port}/ioc`,
    });
    expect(line).toContain(`127.0.0.1:${port}`);
    expect(line).toContain('DATABASE_URL');
    expect(line).not.toContain('s3cret-pw');
  });

  it('names a bad config value, where it came from and what is expected', async () => {
    const line = await startExpectingFailure({ IOC_WEB_PORT: 'eighty' });
    expect(line).toBe(
      'ioc: config web.port = "eighty" (from environment variable IOC_WEB_PORT): expected an integer from 0 to 65535',
    );
  });

  it('names an unknown key in the config file', async () => {
    const line = await startExpectingFailure({}, (dataDir) =>
      writeFileSync(join(dataDir, 'ioc.config.json'), JSON.stringify({ web: { prot: 8080 } })),
    );
    expect(line).toContain('web.prot');
    expect(line).toContain('ioc.config.json');
  });

  it('reports a config file that is not JSON', async () => {
    const line = await startExpectingFailure({}, (dataDir) =>
      writeFileSync(join(dataDir, 'ioc.config.json'), '{ "web": '),
    );
    expect(line).toContain('is not valid JSON');
  });
});
