import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { type ServiceDeps, StartupError } from '@ioc/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MediaService, start } from './index.js';
import type { WorkerDied, WorkerStarted } from './media-worker.js';
import { isProcessAlive } from './process-exit.js';
import { freePortRange, mediaConfig, serviceDeps, workerChildPids } from './test-support.js';
import { assertWorkerBinary } from './worker-binary.js';

// Real mediasoup workers (the binary `npm run setup` builds), real sockets.

describe('media service with two real workers', () => {
  let port: number;
  let deps: ServiceDeps;
  let media: MediaService;

  beforeAll(async () => {
    port = await freePortRange(2);
    deps = serviceDeps();
    media = await start(mediaConfig({ workers: 2, port, listenIp: '127.0.0.1' }), {
      ...deps,
      restartDelayMs: { min: 200, max: 1000 },
    });
  });

  afterAll(async () => {
    await media?.stop();
  });

  it('runs one worker process per configured worker and reports media up', async () => {
    expect(media.workers).toHaveLength(2);
    const pids = media.workers.map((worker) => worker.pid);
    expect(new Set(pids).size).toBe(2);
    expect(workerChildPids().sort()).toEqual([...pids].sort());
    const report = await deps.health.report();
    expect(report.components.media).toMatchObject({ status: 'up' });
    expect(report.components.media?.reason).toContain(`pids ${pids.join(', ')}`);
  });

  it('creates routers round robin whose WebRtcTransports use the worker ports', async () => {
    const first = await media.createRouter();
    const second = await media.createRouter();
    try {
      expect([first.worker.index, second.worker.index].sort()).toEqual([0, 1]);
      const mimeTypes = first.router.rtpCapabilities.codecs?.map((codec) => codec.mimeType);
      expect(mimeTypes).toEqual(expect.arrayContaining(['audio/opus', 'video/VP8', 'video/H264']));

      for (const { router, webRtcServer, worker } of [first, second]) {
        const transport = await router.createWebRtcTransport({
          webRtcServer,
          enableUdp: true,
          enableTcp: true,
        });
        const candidates = transport.iceCandidates.map((c) => `${c.protocol} ${c.ip}:${c.port}`);
        const own = port + worker.index;
        expect(candidates.sort()).toEqual([`tcp 127.0.0.1:${own}`, `udp 127.0.0.1:${own}`]);
      }
      expect(media.pool.routerCount(first.worker)).toBe(1);
    } finally {
      first.router.close();
      second.router.close();
    }
    expect(media.pool.routerCount(first.worker)).toBe(0);
  });

  it('exposes worker state and resource usage as metrics on scrape', async () => {
    const text = await deps.metrics.metrics();
    expect(text).toContain('ioc_media_workers{state="running"} 2');
    expect(text).toContain('ioc_media_workers{state="down"} 0');
    expect(text).toContain('ioc_media_worker_restarts_total{worker="1"} 0');
    const rss = /ioc_media_worker_max_rss_bytes\{worker="0"\} (\d+)/.exec(text);
    expect(Number(rss?.[1])).toBeGreaterThan(1_000_000);
    expect(text).toMatch(/ioc_media_worker_cpu_seconds\{worker="1",mode="user"\} [\d.]+/);
  });

  it('restarts a worker whose process is killed, on the same port', async () => {
    const victim = media.workers[1];
    if (!victim?.pid) throw new Error('worker 1 is not running');
    const oldPid = victim.pid;
    const { router } = await media.createRouter(); // round robin: worker 0
    const onVictim = await media.createRouter(); // worker 1
    expect(onVictim.worker).toBe(victim);

    const died = once(media.pool, 'died') as Promise<[WorkerDied]>;
    const restarted = once(media.pool, 'started') as Promise<[WorkerStarted]>;
    process.kill(oldPid, 'SIGKILL');

    const [death] = await died;
    expect(death).toMatchObject({ index: 1, pid: oldPid });
    const whileDown = await deps.health.report();
    expect(whileDown.components.media?.status).toBe('down');
    expect(whileDown.components.media?.reason).toContain(`worker 1: worker process ${oldPid} died`);
    expect(onVictim.router.closed).toBe(true);
    expect(router.closed).toBe(false);
    // While worker 1 is down, new routers go to the worker that runs.
    const meanwhile = await media.createRouter();
    expect(meanwhile.worker.index).toBe(0);

    const [restart] = await restarted;
    expect(restart).toMatchObject({ index: 1, restart: true });
    expect(restart.pid).not.toBe(oldPid);
    expect(isProcessAlive(oldPid)).toBe(false);
    expect(victim.pid).toBe(restart.pid);
    expect(victim.restarts).toBe(1);
    expect((await deps.health.report()).components.media?.status).toBe('up');
    expect(await deps.metrics.metrics()).toContain('ioc_media_worker_restarts_total{worker="1"} 1');

    const again = await media.createRouter();
    expect(again.worker).toBe(victim);
    const transport = await again.router.createWebRtcTransport({
      webRtcServer: again.webRtcServer,
    });
    expect(transport.iceCandidates[0]?.port).toBe(port + 1);
    router.close();
    meanwhile.router.close();
    again.router.close();
  });

  it('stop() ends every worker process and withdraws health and metrics', async () => {
    const pids = media.workers.map((worker) => worker.pid as number);
    await media.stop();
    expect(pids.filter(isProcessAlive)).toEqual([]);
    expect(workerChildPids()).toEqual([]);
    expect(media.workers.every((worker) => !worker.alive)).toBe(true);
    expect((await deps.health.report()).components.media).toBeUndefined();
    expect(await deps.metrics.metrics()).not.toContain('ioc_media_');
    await media.stop(); // stopping twice is harmless
  });
});

describe('media service start-up failures', () => {
  it('refuses a WebRTC port taken on UDP, naming the setting to change', async () => {
    const port = await freePortRange(1);
    const socket: Socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(port, '127.0.0.1', resolve));
    try {
      const failure = start(mediaConfig({ workers: 1, port }), serviceDeps());
      await expect(failure).rejects.toBeInstanceOf(StartupError);
      await expect(failure).rejects.toThrow(
        `udp port ${port} on 127.0.0.1 (media.port) is already in use; stop the other process or set IOC_MEDIA_PORT to a free port`,
      );
      expect(workerChildPids()).toEqual([]);
    } finally {
      socket.close();
    }
  });

  it("refuses when a later worker's port is taken on TCP", async () => {
    const port = await freePortRange(2);
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(port + 1, '127.0.0.1', resolve));
    try {
      await expect(start(mediaConfig({ workers: 2, port }), serviceDeps())).rejects.toThrow(
        `port ${port + 1} on 127.0.0.1 (media.port + 1) is already in use`,
      );
      expect(workerChildPids()).toEqual([]);
    } finally {
      server.close();
    }
  });

  it('refuses a listen address that is not an IP and a port range past 65535', async () => {
    await expect(
      start(mediaConfig({ workers: 1, listenIp: 'localhost' }), serviceDeps()),
    ).rejects.toThrow('media.listenIp = "localhost" is not an IP address; set IOC_MEDIA_LISTEN_IP');
    await expect(start(mediaConfig({ workers: 3, port: 65534 }), serviceDeps())).rejects.toThrow(
      'media.port 65534 leaves no room for 3 workers (ports up to 65536)',
    );
    expect(workerChildPids()).toEqual([]);
  });

  it('tells to run npm run setup when the worker binary is missing', () => {
    expect(() => assertWorkerBinary('/nonexistent/mediasoup-worker')).toThrow(StartupError);
    expect(() => assertWorkerBinary('/nonexistent/mediasoup-worker')).toThrow(
      /mediasoup worker binary \/nonexistent\/mediasoup-worker .*run `npm run setup`/,
    );
  });

  it('restarts a killed worker with the default restart delay (as ioc start runs it)', async () => {
    const media = await start(mediaConfig({ workers: 1, port: 0 }), serviceDeps());
    try {
      const [worker] = media.workers;
      if (!worker?.pid) throw new Error('worker 0 is not running');
      const restarted = once(media.pool, 'started') as Promise<[WorkerStarted]>;
      process.kill(worker.pid, 'SIGKILL');
      const [restart] = await restarted;
      expect(restart).toMatchObject({ index: 0, restart: true });
    } finally {
      await media.stop();
    }
  });

  it('with port 0 lets each worker pick a free port', async () => {
    const deps = serviceDeps();
    const media = await start(mediaConfig({ workers: 1, port: 0 }), deps);
    try {
      const { router, webRtcServer } = await media.createRouter();
      const transport = await router.createWebRtcTransport({ webRtcServer });
      expect(transport.iceCandidates[0]?.port).toBeGreaterThan(0);
    } finally {
      await media.stop();
    }
    expect(workerChildPids()).toEqual([]);
  });
});
