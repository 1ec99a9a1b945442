import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { HealthRegistry, LiveBus, type Logger, loadConfig } from '@ioc/core';
import * as media from '@ioc/media';
import { Registry } from 'prom-client';
import { type BenchmarkResult, median } from './report.js';
import { encodeClip, FfmpegSender, ffmpegVersion } from './sfu-ffmpeg.js';
import { ProvinceMeeting } from './sfu-meeting.js';
import type { SfuLoadOptions } from './sfu-options.js';
import { runQueueWaitSeconds, udpDropsOfProcess, udpDropsOnPorts } from './sfu-proc.js';
import {
  describeStep,
  type RampStep,
  type RampWindow,
  type StopReason,
  sfuResults,
} from './sfu-report.js';
import type { RtpSender, SenderTarget } from './sfu-rtp-sender.js';
import { UdpSinks } from './sfu-sinks.js';
import { SyntheticRtpSender } from './sfu-synthetic-rtp.js';
import type { Teardown } from './teardown.js';
import { processCpuSeconds } from './thread-cpu.js';

export interface SfuBenchOptions extends SfuLoadOptions {
  /** Measured windows per ramp step (the median is used). */
  rounds: number;
  logger: Logger;
  teardown: Teardown;
  progress: (line: string) => void;
}

/**
 * Below this share of packets delivered the worker no longer keeps up (or, on a busy machine,
 * no longer gets the CPU it needs): more endpoints would only measure the backlog.
 */
const SATURATED_BELOW = 0.9;
/** Saturated steps in a row that end the ramp (one alone may be another process's burst). */
const SATURATED_STEPS_TO_STOP = 2;

/**
 * Issue 6's SFU benchmark: a province-wide meeting on real mediasoup workers without browsers.
 * The chair and the speakers send VP8 + Opus RTP from ffmpeg into PlainTransport producers on
 * one worker; the producers are piped to a second worker where commune endpoints are added in
 * steps, each a PlainTransport (SRTP) to a UDP sink consuming every sender's video and audio.
 * At each step: CPU of each worker from /proc, packets counted at the sinks against what the
 * producers received. The ramp stops at the target CPU (80 % of one core), when delivery
 * falls below 90 % at two steps in a row, at the endpoint limit or out of time. Figures: see
 * `sfuResults`.
 */
export async function benchSfu(options: SfuBenchOptions): Promise<BenchmarkResult[]> {
  const { rounds, logger, teardown, progress } = options;
  const senders = options.speakers + 1;

  const ffmpeg = options.source === 'node' ? null : await ffmpegVersion();
  if (!ffmpeg && options.source === 'ffmpeg') {
    throw new Error(
      'sfu: ffmpeg not found; install it (`npm run setup -- --for-bench` does, or `apt-get install ffmpeg`), set FFMPEG_BIN, or use BENCH_SFU_SOURCE=node',
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'ioc-bench-sfu-'));
  teardown.defer('remove sfu files', () => rm(dir, { recursive: true, force: true }));
  let startSender: (target: SenderTarget) => RtpSender;
  let sourceNote: string;
  if (ffmpeg) {
    progress(`sfu: encoding the ${options.videoKbps} kbit/s VP8 + Opus clip with ffmpeg ${ffmpeg}`);
    const clip = await encodeClip(dir, options.videoKbps);
    startSender = (target) => new FfmpegSender(clip, target);
    sourceNote = `each ffmpeg ${ffmpeg} looping a 640×360 30 fps clip (VP8 at ${options.videoKbps} kbit/s CBR, keyframe every second; Opus 32 kbit/s stereo) with \`-c copy -re\` as real RTP (1,200-byte packets, RTCP sender reports)`;
  } else {
    if (options.source === 'auto') progress('sfu: ffmpeg not found; synthetic RTP from Node');
    startSender = (target) => new SyntheticRtpSender(target, options.videoKbps);
    sourceNote = `each a synthetic Node sender in this process (ffmpeg ${options.source === 'node' ? 'not used: BENCH_SFU_SOURCE=node' : 'not installed'}): RTP with valid VP8 and Opus headers and random payloads, 30 frames/s at ${options.videoKbps} kbit/s with a keyframe (4× an average frame) every second, 1,200-byte packets, and an 80-byte Opus packet every 20 ms; no RTCP`;
  }

  const config = loadConfig({
    env: {},
    cwd: dir,
    overrides: {
      dataDir: dir,
      media: { workers: options.workers, port: 0, listenIp: '127.0.0.1' },
    },
  });
  const service = await media.start(config, {
    logger,
    health: new HealthRegistry(),
    metrics: new Registry(),
    bus: new LiveBus(),
  });
  teardown.defer('stop the mediasoup workers', () => service.stop());
  const ingress = await service.createRouter();
  const edge = options.workers > 1 ? await service.createRouter() : ingress;
  if (options.workers > 1 && edge.worker === ingress.worker) {
    throw new Error('sfu: the ingress and edge routers landed on the same worker');
  }

  const sinks = UdpSinks.start();
  teardown.defer('close the UDP sinks', () => sinks.close());
  const meeting = await ProvinceMeeting.open(
    { ingress, edge, senders, startSender, srtp: options.srtp },
    (sender) => teardown.defer('stop a sender', () => sender.stop()),
  );
  await meeting.waitUntilFlowing(15_000);
  const perEndpoint = meeting.consumersPerEndpoint;
  progress(
    `sfu: ${senders} senders flowing (${perEndpoint} producers on worker ${ingress.worker.index}), endpoints on worker ${edge.worker.index}`,
  );

  const measureWindow = async (): Promise<RampWindow> => {
    const pids = {
      edge: edge.worker.pid,
      ingress: ingress.worker.pid,
      bench: process.pid,
      senders: meeting.senderPids,
    };
    const cpu = async () => ({
      edge: (await processCpuSeconds(pids.edge)) ?? Number.NaN,
      ingress: (await processCpuSeconds(pids.ingress)) ?? Number.NaN,
      bench: (await processCpuSeconds(pids.bench)) ?? Number.NaN,
      senders: (await Promise.all(pids.senders.map(processCpuSeconds))).reduce<number>(
        (sum, seconds) => sum + (seconds ?? 0),
        0,
      ),
    });
    const drops = async () => ({
      sinks: (await udpDropsOnPorts(sinks.ports)) ?? 0,
      edge: (await udpDropsOfProcess(pids.edge)) ?? 0,
      ingress: (await udpDropsOfProcess(pids.ingress)) ?? 0,
      edgeWait: (await runQueueWaitSeconds(pids.edge)) ?? 0,
    });
    const dropsBefore = await drops();
    const packetsBefore = await meeting.producerPackets();
    const packetsFrom = performance.now();
    const cpuBefore = await cpu();
    const cpuFrom = performance.now();
    sinks.reset();
    await delay(options.windowSeconds * 1000);
    const counted = await sinks.counts();
    const cpuAfter = await cpu();
    const cpuSeconds = (performance.now() - cpuFrom) / 1000;
    const packetsAfter = await meeting.producerPackets();
    const packetsSeconds = (performance.now() - packetsFrom) / 1000;
    const dropsAfter = await drops();
    meeting.assertSending();
    if (!edge.worker.alive || !ingress.worker.alive)
      throw new Error('sfu: a mediasoup worker died');

    const receivedPps = (packetsAfter - packetsBefore) / packetsSeconds;
    const perSink = counted.sinks.map((sink) => sink.rtpPackets / counted.seconds);
    const deliveredPps = perSink.reduce((sum, pps) => sum + pps, 0);
    const sinkDrops = dropsAfter.sinks - dropsBefore.sinks;
    const endpoints = perSink.length;
    // What the worker sent: counted at the sinks, plus what their kernel buffers dropped.
    const forwardedPps = deliveredPps + sinkDrops / counted.seconds;
    const perConsumerPps = receivedPps / perEndpoint;
    return {
      edgeCpu: (cpuAfter.edge - cpuBefore.edge) / cpuSeconds,
      ingressCpu: (cpuAfter.ingress - cpuBefore.ingress) / cpuSeconds,
      benchCpu: (cpuAfter.bench - cpuBefore.bench) / cpuSeconds,
      sendersCpu: (cpuAfter.senders - cpuBefore.senders) / cpuSeconds,
      receivedPps,
      deliveredPps,
      deliveredShare: endpoints === 0 ? 1 : deliveredPps / (receivedPps * endpoints),
      servedConsumers: perConsumerPps > 0 ? forwardedPps / perConsumerPps : 0,
      worstEndpointShare: endpoints === 0 ? 1 : Math.min(...perSink) / receivedPps,
      sinkDrops,
      edgeSocketDrops: dropsAfter.edge - dropsBefore.edge,
      ingressSocketDrops: dropsAfter.ingress - dropsBefore.ingress,
      // The drops and schedstat reads bracket the CPU window closely enough for a share.
      edgeWaitShare: (dropsAfter.edgeWait - dropsBefore.edgeWait) / cpuSeconds,
    };
  };

  const steps: RampStep[] = [];
  const started = performance.now();
  let stop: StopReason | undefined;
  let saturatedInARow = 0;
  for (let endpoints = 0; !stop; endpoints += options.stepEndpoints) {
    const target = Math.min(endpoints, options.maxEndpoints);
    const adding = target - meeting.endpoints;
    if (adding > 0) await meeting.addEndpoints(await sinks.open(adding));
    await delay(options.warmupSeconds * 1000);
    const windows: RampWindow[] = [];
    for (let round = 0; round < rounds; round++) windows.push(await measureWindow());
    const step: RampStep = { endpoints: target, consumers: target * perEndpoint, windows };
    steps.push(step);
    progress(`sfu: ${describeStep(step)}`);
    const saturated = median(windows.map((w) => w.deliveredShare)) < SATURATED_BELOW;
    saturatedInARow = saturated ? saturatedInARow + 1 : 0;
    if (median(windows.map((w) => w.edgeCpu)) >= options.targetCpu) stop = 'target';
    else if (saturatedInARow >= SATURATED_STEPS_TO_STOP) stop = 'saturated';
    else if (target >= options.maxEndpoints) stop = 'max-endpoints';
    else if ((performance.now() - started) / 1000 >= options.maxRampSeconds) stop = 'time';
  }
  const rampSeconds = (performance.now() - started) / 1000;

  return sfuResults({
    options,
    steps,
    stop: stop as StopReason,
    saturatedBelow: SATURATED_BELOW,
    perEndpoint,
    senders,
    sourceNote,
    rampSeconds,
    edgeWorker: edge.worker.index,
    ingressWorker: ingress.worker.index,
  });
}
