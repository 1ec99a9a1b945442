// The sfu benchmark's figures and notes, from the ramp's measured steps.
import { loadavg } from 'node:os';
import { type BenchmarkResult, type Measurement, measurement, median, ratioOf } from './report.js';
import { type Crossing, cpuCrossing } from './sfu-fit.js';
import type { SfuLoadOptions } from './sfu-options.js';

/** mediasoup's documentation: a worker "can typically handle over ~500 consumers in total". */
const PUBLISHED_CONSUMERS_PER_WORKER = 500;

/** One measured window at one ramp step. */
export interface RampWindow {
  /** CPU of the edge worker (the endpoints' router), in cores. */
  edgeCpu: number;
  /** CPU of the ingress worker (producers and the pipe to the edge), in cores. */
  ingressCpu: number;
  /** This process: mediasoup's control channel and the UDP sinks' thread. */
  benchCpu: number;
  /** All ffmpeg senders together (0 with synthetic senders: they run in this process). */
  sendersCpu: number;
  /** RTP packets/s the producers received, all of them together. */
  receivedPps: number;
  /** RTP packets/s counted at the sinks, all of them together. */
  deliveredPps: number;
  /** deliveredPps / (receivedPps × endpoints); 1 with no endpoint. */
  deliveredShare: number;
  /**
   * Consumers' worth of packets the worker sent (to the sinks, kernel drops there included):
   * the consumers it served in full. Equals the consumers while it keeps up.
   */
  servedConsumers: number;
  /** The worst endpoint's share of what it should have received. */
  worstEndpointShare: number;
  /** Datagrams the kernel dropped at the sinks during the window (sink too slow). */
  sinkDrops: number;
  /** Datagrams dropped at the edge worker's own sockets (the pipe from the ingress worker). */
  edgeSocketDrops: number;
  /** Datagrams dropped at the ingress worker's sockets (from the senders). */
  ingressSocketDrops: number;
  /** Share of the window the edge worker's thread was runnable but waiting for a core. */
  edgeWaitShare: number;
}

export interface RampStep {
  endpoints: number;
  consumers: number;
  windows: RampWindow[];
}

/** Why the ramp ended. */
export type StopReason = 'target' | 'saturated' | 'max-endpoints' | 'time';

export interface SfuRun {
  options: SfuLoadOptions & { rounds: number };
  steps: RampStep[];
  stop: StopReason;
  saturatedBelow: number;
  perEndpoint: number;
  senders: number;
  sourceNote: string;
  rampSeconds: number;
  edgeWorker: number;
  ingressWorker: number;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (share: number) => `${(share * 100).toFixed(1)} %`;

function stepMedian(step: RampStep, pick: (w: RampWindow) => number): number {
  return median(step.windows.map(pick));
}

/** Packets/s delivered of those expected, over all of a step's windows together. */
function pooledDelivery(step: RampStep): string {
  const mean = (pick: (w: RampWindow) => number) =>
    step.windows.reduce((sum, w) => sum + pick(w), 0) / step.windows.length;
  const delivered = mean((w) => w.deliveredPps);
  const expected = mean((w) => w.receivedPps) * step.endpoints;
  return `${fmt(delivered)} of ${fmt(expected)} packets/s delivered (${pct(delivered / expected)})`;
}

/** One line per step, for progress and the notes. */
export function describeStep(step: RampStep): string {
  const m = (pick: (w: RampWindow) => number) => stepMedian(step, pick);
  const delivery =
    step.endpoints > 0
      ? `${pooledDelivery(step)}, worst endpoint ${pct(m((w) => w.worstEndpointShare))}, ${fmt(m((w) => w.servedConsumers))} consumers served in full`
      : `${fmt(m((w) => w.receivedPps))} packets/s into the producers`;
  return (
    `${fmt(step.endpoints)} endpoints (${fmt(step.consumers)} consumers): edge worker ${pct(m((w) => w.edgeCpu))} CPU ` +
    `(waited for a core ${pct(m((w) => w.edgeWaitShare))} of the time, ${fmt(m((w) => w.edgeSocketDrops))} datagrams dropped at its sockets), ` +
    `ingress worker ${pct(m((w) => w.ingressCpu))} (${fmt(m((w) => w.ingressSocketDrops))} dropped); ${delivery}; sink drops ${fmt(m((w) => w.sinkDrops))}; ` +
    `this process ${pct(m((w) => w.benchCpu))}, ffmpeg ${pct(m((w) => w.sendersCpu))}`
  );
}

function stopNote(run: SfuRun, targetText: string): string {
  const { options } = run;
  switch (run.stop) {
    case 'target':
      return `The ramp stopped at the first step where the edge worker used ${targetText} of a core.`;
    case 'saturated':
      return `The ramp stopped when fewer than ${pct(run.saturatedBelow)} of the packets arrived at two steps in a row, before the edge worker reached ${targetText} of a core: it did not get the CPU it needed (see in the steps how long it waited for a core while other processes held them) or no longer kept up, and the packets it could not read in time were dropped at its sockets. Such steps are left out of the fit: there a starved worker's CPU per packet rose as well.`;
    case 'max-endpoints':
      return `The ramp reached its ${fmt(options.maxEndpoints)} endpoints (BENCH_SFU_MAX_ENDPOINTS) below ${targetText} of a core.`;
    case 'time':
      return `The ramp ran out of its ${fmt(options.maxRampSeconds)} s (BENCH_SFU_MAX_RAMP_S) below ${targetText} of a core.`;
  }
}

/** What the whole meeting (every endpoint at once) would take at the measured rate. */
function fullMeetingNote(run: SfuRun, crossing: Crossing | undefined): string {
  const { options, perEndpoint } = run;
  const consumers = options.maxEndpoints * perEndpoint;
  if (!crossing || !(crossing.consumers > 0)) {
    return `The full meeting (${fmt(options.maxEndpoints)} endpoints, ${fmt(consumers)} consumers) cannot be sized from this run.`;
  }
  const workers = Math.ceil(consumers / crossing.consumers);
  return `At that rate the full meeting, ${fmt(options.maxEndpoints)} endpoints × ${perEndpoint} consumers = ${fmt(consumers)} consumers, needs about ${workers} worker${workers === 1 ? '' : 's'} (cores) at ${Math.round(options.targetCpu * 100)} % for forwarding alone, plus the ingress worker; thumbnails on the low simulcast layer (fewer packets per consumer) shrink that.`;
}

/**
 * Two results. Consumers per worker at the target CPU against mediasoup's published ~500: the
 * line through edge-worker CPU against consumers served in full, over the steps where the
 * worker kept up (delivered at least `saturatedBelow`), crossed at the target: interpolated
 * between the steps that bracket it, else extrapolated. And packets/s delivered to the sinks
 * at the largest step that kept up, against full delivery (received × endpoints).
 */
export function sfuResults(run: SfuRun): BenchmarkResult[] {
  const { options, steps, perEndpoint, senders } = run;
  const last = steps[steps.length - 1] as RampStep;
  const targetText = `${Math.round(options.targetCpu * 100)} %`;
  const keptUp = steps.filter(
    (step) => stepMedian(step, (w) => w.deliveredShare) >= run.saturatedBelow,
  );
  const dropped = steps.length - keptUp.length;

  // One crossing per round index (round r of every step), and one through the step medians.
  const crossings: Crossing[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const points = keptUp.map((step) => {
      const window = step.windows[round] as RampWindow;
      return { consumers: window.servedConsumers, cpu: window.edgeCpu };
    });
    const crossing = cpuCrossing(points, options.targetCpu);
    if (crossing) crossings.push(crossing);
  }
  const medianCrossing = cpuCrossing(
    keptUp.map((step) => ({
      consumers: stepMedian(step, (w) => w.servedConsumers),
      cpu: stepMedian(step, (w) => w.edgeCpu),
    })),
    options.targetCpu,
  );
  const how = medianCrossing?.how ?? 'not measurable';
  const published: Measurement = {
    label: `mediasoup's published figure (~${PUBLISHED_CONSUMERS_PER_WORKER})`,
    value: PUBLISHED_CONSUMERS_PER_WORKER,
    rounds: [PUBLISHED_CONSUMERS_PER_WORKER],
  };
  const consumersAtTarget = measurement(
    `one worker, ${how}`,
    crossings.map((c) => c.consumers),
  );

  const parameters: Record<string, number> = {
    senders,
    consumersPerEndpoint: perEndpoint,
    maxEndpoints: options.maxEndpoints,
    stepEndpoints: options.stepEndpoints,
    endpointsReached: last.endpoints,
    workers: options.workers,
    videoKbps: options.videoKbps,
    targetCpuPercent: Math.round(options.targetCpu * 100),
    srtp: options.srtp ? 1 : 0,
    windowSeconds: options.windowSeconds,
    warmupSeconds: options.warmupSeconds,
    rounds: options.rounds,
  };

  const loadNote =
    `Load: ${senders} senders (the chair and ${options.speakers} speakers), ${run.sourceNote}, into ${perEndpoint} PlainTransport producers (comedia) on worker ${run.ingressWorker}. ` +
    (options.workers > 1
      ? `Every producer is piped (pipeToRouter) to a router on worker ${run.edgeWorker}, where commune endpoints are added ${options.stepEndpoints} at a time up to ${options.maxEndpoints}: `
      : `Commune endpoints are added on the same router, ${options.stepEndpoints} at a time up to ${options.maxEndpoints}: `) +
    `each is one PlainTransport (rtcp-mux${options.srtp ? ', SRTP AES_CM_128_HMAC_SHA1_80 as WebRTC would encrypt' : ', no SRTP'}) to its own UDP sink on 127.0.0.1, consuming every sender's video and audio (${perEndpoint} consumers each). ` +
    `${stopNote(run, targetText)} Last step: ${fmt(last.endpoints)} endpoints (${fmt(last.consumers)} consumers), after ${fmt(run.rampSeconds)} s of ramp; ${options.warmupSeconds} s after each step, then ${options.rounds} windows of ${options.windowSeconds} s (median).`;
  const methodNote =
    'CPU: user + system time of each worker process from /proc/<pid>/stat (10 ms ticks) over the window, in cores (1.00 = one core busy); time waiting for a core from /proc/<pid>/schedstat; drops from /proc/net/udp. "Consumers served in full" = packets/s the edge worker sent (counted at the sinks plus kernel drops at the sinks) ÷ packets/s of one consumer (what the producers received ÷ producers); it equals the consumers created while the worker keeps up. Loopback delivery is charged to the sending worker as system time, so a real NIC would cost the worker somewhat less. Sinks send no RTCP feedback (no NACK, PLI, receiver reports or transport-cc: their capabilities omit congestion control), so the SFU does no retransmission or bandwidth estimation a browser would ask of it; what is measured is forwarding (and encrypting) media.';
  const load1 = Math.round((loadavg()[0] ?? 0) * 100) / 100;
  // Said from what was measured: how long the edge worker waited for a core.
  const worstWait = Math.max(
    0,
    ...run.steps.map((step) => stepMedian(step, (w) => w.edgeWaitShare)),
  );
  const noiseNote =
    worstWait > 0.1
      ? `The machine was busy: the edge worker waited for a core up to ${pct(worstWait)} of a window (load average ${load1} at the end of this part). CPU time per packet suffers less from that than packet counts, but it rises too (caches shared with the other processes, preemption), so the consumers per worker here are likely an underestimate; compare runs on a quiet machine.`
      : `The machine was quiet enough: the edge worker waited for a core at most ${pct(worstWait)} of a window (load average ${load1} at the end of this part).`;

  const fitText =
    how === 'interpolated'
      ? 'interpolated between the two steps that bracket it'
      : how === 'extrapolated'
        ? 'extrapolated on the straight line fitted through the steps (edge-worker CPU against consumers served in full)'
        : 'not measurable (fewer than two steps kept up, or CPU did not rise with consumers)';
  const consumersNotes = [
    `Consumers one mediasoup worker carries at ${targetText} of one core, ${fitText}; per round: ${crossings.map((c) => fmt(c.consumers)).join(', ') || 'none'}. Steps used: the ${keptUp.length} where the worker delivered at least ${pct(run.saturatedBelow)} of the packets${dropped > 0 ? ` (${dropped} left out: past that point a starved worker's CPU no longer follows what it forwards)` : ''}.` +
      (medianCrossing
        ? ` Fitted: ${medianCrossing.idleCpu.toFixed(3)} cores with no consumer, ${medianCrossing.cpuPer1000.toFixed(3)} cores per 1,000 consumers.`
        : ''),
    `Baseline: mediasoup's documentation says a worker "can typically handle over ~${PUBLISHED_CONSUMERS_PER_WORKER} consumers in total" (WebRTC transports; bitrates and CPU unstated); a published figure, not measured in this run. Ratio above 1: more consumers per worker than that. Each consumer here carries about ${fmt(stepMedian(last, (w) => w.receivedPps) / perEndpoint)} packets/s (video and audio averaged). The IOC spreads a room to another worker at media.conference.routerConsumerBudget consumers per router (default 400).`,
    fullMeetingNote(run, medianCrossing),
    loadNote,
    methodNote,
    noiseNote,
    ...steps.map((step) => `step: ${describeStep(step)}`),
  ];

  const shown = [...keptUp].reverse().find((step) => step.endpoints > 0) ?? last;
  const deliveredRounds = shown.windows.map((w) => w.deliveredPps);
  const expectedRounds = shown.windows.map((w) => w.receivedPps * shown.endpoints);
  const delivered = measurement(`counted at ${fmt(shown.endpoints)} sinks`, deliveredRounds);
  const expected = measurement(
    `received by the producers × ${fmt(shown.endpoints)} endpoints`,
    expectedRounds,
  );
  const edgeCpu = stepMedian(shown, (w) => w.edgeCpu);
  const sentPps = median(
    shown.windows.map((w) => w.servedConsumers * (w.receivedPps / perEndpoint)),
  );
  const forwardedNotes = [
    `RTP packets/s counted at the sinks (RTCP told apart by its packet type) at ${shown === last ? "the ramp's last step" : 'the largest step where the worker kept up'}, ${fmt(shown.endpoints)} endpoints × ${perEndpoint} consumers on worker ${run.edgeWorker}; baseline: full delivery, the RTP packets/s the ${perEndpoint} producers received (their getStats packetCount) × endpoints. The ratio is the share delivered.`,
    `Worst endpoint: ${pct(stepMedian(shown, (w) => w.worstEndpointShare))} of its packets. Datagrams the kernel dropped at the sinks because their thread read too slowly (/proc/net/udp drops; sent by the SFU, not in the figure): ${fmt(stepMedian(shown, (w) => w.sinkDrops))} per window; at the edge worker's own sockets (arrived while it could not read): ${fmt(stepMedian(shown, (w) => w.edgeSocketDrops))} per window.`,
    `The edge worker used ${fmt(edgeCpu * 1000)} ms CPU/s there: ${fmt(sentPps / Math.max(edgeCpu, 1e-9))} packets sent per CPU-second${options.srtp ? ', each SRTP-encrypted' : ''}.`,
    ...(shown === last
      ? []
      : [
          `At the last step (${fmt(last.endpoints)} endpoints, ${fmt(last.consumers)} consumers) ${pooledDelivery(last)}.`,
        ]),
  ];

  return [
    {
      id: 'sfu-consumers-per-worker',
      title: `SFU: consumers per mediasoup worker at ${targetText} of one core (province meeting, ${senders} senders × VP8 ${options.videoKbps} kbit/s + Opus)`,
      unit: 'consumers',
      parameters,
      subject: consumersAtTarget,
      baseline: published,
      ratio: crossings.length > 0 ? ratioOf(consumersAtTarget, published) : null,
      notes: consumersNotes,
    },
    {
      id: 'sfu-forwarded',
      title: `SFU: RTP packets/s one worker forwarded to ${fmt(shown.endpoints)} commune endpoints (${fmt(shown.consumers)} consumers)`,
      unit: 'packets/s',
      parameters,
      subject: delivered,
      baseline: expected,
      ratio: ratioOf(delivered, expected),
      notes: forwardedNotes,
    },
  ];
}
