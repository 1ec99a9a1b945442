import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StartupError } from '../errors.js';
import { renderInfluxdConfig } from './influxd-config.js';
import { isProcessAlive, waitForProcessExit } from './stale-influxd.js';
import { InfluxSupervisor, type InfluxSupervisorOptions } from './supervisor.js';
import { supervisorOptions } from './test-support.js';

const running: InfluxSupervisor[] = [];

async function startSupervisor(options: InfluxSupervisorOptions): Promise<InfluxSupervisor> {
  const supervisor = new InfluxSupervisor(options);
  running.push(supervisor);
  await supervisor.start();
  return supervisor;
}

async function ping(url: string): Promise<Response> {
  return fetch(`${url}/ping`);
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

describe('InfluxSupervisor', () => {
  it('starts influxd from its own config, writes a pid file and stops without leaving it', async () => {
    const options = await supervisorOptions();
    const supervisor = new InfluxSupervisor(options);
    running.push(supervisor);
    const ready = once(supervisor, 'ready');
    await supervisor.start();
    const pid = supervisor.pid;
    expect(pid).toBeTypeOf('number');
    expect(await ready).toEqual([{ pid, url: `http://127.0.0.1:${options.port}` }]);

    const res = await ping(supervisor.url);
    expect(res.status).toBe(204);
    expect(res.headers.get('x-influxdb-version')).toMatch(/^1\./);

    expect(supervisor.configPath).toBe(join(options.dataDir, 'influxdb', 'influxdb.conf'));
    const config = await readFile(supervisor.configPath, 'utf8');
    expect(config).toContain(`bind-address = "127.0.0.1:${options.rpcPort}"`);
    expect(config).toContain(`bind-address = "127.0.0.1:${options.port}"`);
    expect(config).toContain(`dir = "${join(options.dataDir, 'influxdb', 'meta')}"`);
    expect(config).toContain('reporting-disabled = true');
    expect(await readFile(supervisor.pidFile, 'utf8')).toBe(`${pid}\n`);

    const exit = once(supervisor, 'exit');
    await supervisor.stop();
    expect(await exit).toEqual([{ pid, code: 0, signal: null, expected: true }]);
    expect(await isProcessAlive(pid ?? 0)).toBe(false);
    expect(() => process.kill(pid ?? 0, 0)).toThrow(/ESRCH/);
    await expect(readFile(supervisor.pidFile)).rejects.toThrow(/ENOENT/);
    await expect(ping(supervisor.url)).rejects.toThrow();
    await supervisor.stop(); // idempotent
  });

  it('restarts influxd after it is killed and serves again', async () => {
    const supervisor = await startSupervisor(
      await supervisorOptions({ restartDelayMs: { min: 50, max: 1000 } }),
    );
    const firstPid = supervisor.pid ?? 0;
    const exit = once(supervisor, 'exit');
    const restart = once(supervisor, 'restart');
    const readyAgain = once(supervisor, 'ready');
    process.kill(firstPid, 'SIGKILL');

    expect(await exit).toEqual([{ pid: firstPid, code: null, signal: 'SIGKILL', expected: false }]);
    expect(await restart).toEqual([{ attempt: 1, delayMs: 50 }]);
    const [{ pid: secondPid }] = await readyAgain;
    expect(secondPid).not.toBe(firstPid);
    expect(supervisor.pid).toBe(secondPid);
    expect((await ping(supervisor.url)).status).toBe(204);
    expect(await readFile(supervisor.pidFile, 'utf8')).toBe(`${secondPid}\n`);
  });

  it('stops an influxd left running by a killed IOC (named in the pid file)', async () => {
    const options = await supervisorOptions();
    // What a SIGKILLed IOC leaves behind: its influxd, its config and its pid file.
    const dir = join(options.dataDir, 'influxdb');
    const configPath = join(dir, 'influxdb.conf');
    await mkdir(dir, { recursive: true });
    await writeFile(configPath, renderInfluxdConfig({ dir, ...options }));
    const stale = spawn('influxd', ['-config', configPath], { stdio: 'ignore' });
    const staleExit = once(stale, 'exit');
    await writeFile(join(dir, 'influxd.pid'), `${stale.pid}\n`);
    await expect
      .poll(() =>
        ping(`http://127.0.0.1:${options.port}`).then(
          (r) => r.status,
          () => 0,
        ),
      )
      .toBe(204);

    const supervisor = await startSupervisor(options);
    await staleExit;
    expect(stale.exitCode ?? stale.signalCode).not.toBeNull();
    expect(supervisor.pid).not.toBe(stale.pid);
    expect((await ping(supervisor.url)).status).toBe(204);
  });

  it('leaves a process alone when the pid file names something that is not our influxd', async () => {
    const options = await supervisorOptions();
    const dir = join(options.dataDir, 'influxdb');
    await mkdir(dir, { recursive: true });
    const bystander = spawn('sleep', ['30'], { stdio: 'ignore' });
    await writeFile(join(dir, 'influxd.pid'), `${bystander.pid}\n`);
    try {
      const supervisor = await startSupervisor(options);
      expect(await isProcessAlive(bystander.pid ?? 0)).toBe(true);
      expect(await readFile(supervisor.pidFile, 'utf8')).toBe(`${supervisor.pid}\n`);
    } finally {
      bystander.kill();
    }
  });

  it('refuses to start when the HTTP port is taken, naming the key and env var', async () => {
    const options = await supervisorOptions();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(options.port, '127.0.0.1', resolve));
    try {
      const supervisor = new InfluxSupervisor(options);
      const error = await supervisor.start().catch((err: unknown) => err);
      expect(error).toBeInstanceOf(StartupError);
      expect((error as StartupError).message).toBe(
        `port ${options.port} on 127.0.0.1 (influx.managed.port) is already in use; stop the other process or set IOC_INFLUX_PORT to a free port`,
      );
      expect(supervisor.pid).toBeUndefined();
    } finally {
      blocker.close();
    }
  });

  it('refuses to start when the RPC port is taken', async () => {
    const options = await supervisorOptions();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(options.rpcPort, '127.0.0.1', resolve));
    try {
      await expect(new InfluxSupervisor(options).start()).rejects.toThrow(
        `port ${options.rpcPort} on 127.0.0.1 (influx.managed.rpcPort) is already in use; stop the other process or set IOC_INFLUX_RPC_PORT to a free port`,
      );
    } finally {
      blocker.close();
    }
  });

  it('rejects port 0 and equal HTTP and RPC ports', async () => {
    const options = await supervisorOptions();
    await expect(new InfluxSupervisor({ ...options, port: 0 }).start()).rejects.toThrow(
      'influx.managed.port must be a fixed port between 1 and 65535, got 0; set IOC_INFLUX_PORT',
    );
    await expect(
      new InfluxSupervisor({ ...options, rpcPort: options.port }).start(),
    ).rejects.toThrow(/influx.managed.port and influx.managed.rpcPort are both \d+/);
  });

  it('explains a missing influxd binary in one line', async () => {
    const options = await supervisorOptions({ binary: 'influxd-not-installed-here' });
    const error = await new InfluxSupervisor(options).start().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(StartupError);
    expect((error as StartupError).code).toBe('INFLUXD_NOT_FOUND');
    expect((error as StartupError).message).toBe(
      'influxd not found (looked for "influxd-not-installed-here" on PATH); install it with `apt-get install influxdb` or set INFLUX_URL to an external server',
    );
    await expect(
      new InfluxSupervisor({ ...options, binary: '/nonexistent/influxd' }).start(),
    ).rejects.toThrow('influxd not found (looked for "/nonexistent/influxd"');
  });

  it('surfaces influxd’s last error line when it dies during start-up', async () => {
    const options = await supervisorOptions();
    // A file where influxd wants its meta directory makes the real influxd fail at start.
    const metaPath = join(options.dataDir, 'influxdb', 'meta');
    await mkdir(join(options.dataDir, 'influxdb'), { recursive: true });
    await writeFile(metaPath, 'not a directory');
    const supervisor = new InfluxSupervisor(options);
    const error = await supervisor.start().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(StartupError);
    expect((error as StartupError).message).toMatch(
      /^influxd exited during start-up \(code 1\): run: .*meta.*not a directory/,
    );
    expect((error as StartupError).message).not.toContain('\n');
    await expect(readFile(supervisor.pidFile)).rejects.toThrow(/ENOENT/);
  });

  it('stop() during a pending restart cancels it and leaves nothing running', async () => {
    const supervisor = await startSupervisor(
      await supervisorOptions({ restartDelayMs: { min: 60_000, max: 60_000 } }),
    );
    const pid = supervisor.pid ?? 0;
    const restart = once(supervisor, 'restart');
    process.kill(pid, 'SIGKILL');
    await restart;
    await supervisor.stop();
    expect(await waitForProcessExit(pid, 1000)).toBe(true);
    expect(supervisor.pid).toBeUndefined();
    await expect(ping(supervisor.url)).rejects.toThrow();
  });
});
