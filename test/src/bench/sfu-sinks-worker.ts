// The commune endpoints' receiving side of `sfu.bench.ts`: UDP sockets on loopback that count
// what a mediasoup PlainTransport sends them, in a worker thread so that receiving tens of
// thousands of packets a second never runs on the event loop that drives mediasoup. With RTCP
// multiplexed on the RTP port, a packet is RTCP when its second byte is 192..223 (RFC 5761).
import { createSocket, type Socket } from 'node:dgram';
import { parentPort } from 'node:worker_threads';

/** Packets and bytes one sink received since the last reset. */
export interface SinkCounts {
  rtpPackets: number;
  rtpBytes: number;
  rtcpPackets: number;
}

/** Parent → worker. */
export type SinksCommand =
  | { kind: 'open'; count: number }
  | { kind: 'reset' }
  | { kind: 'report' }
  | { kind: 'close' };

/** Worker → parent. */
export type SinksMessage =
  | { kind: 'opened'; ports: number[] }
  /** `seconds`: time since the last reset (or the first open), measured in this thread. */
  | { kind: 'counts'; sinks: SinkCounts[]; seconds: number }
  | { kind: 'failed'; message: string }
  | { kind: 'closed' };

const port = parentPort;
if (!port) throw new Error('sfu-sinks-worker must run as a worker thread');

/** Asked of the kernel; Linux caps it at net.core.rmem_max (about 208 KiB by default). */
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

interface Sink {
  socket: Socket;
  counts: SinkCounts;
}

const sinks: Sink[] = [];
let countingSince = performance.now();

function openSink(): Promise<Sink> {
  const socket = createSocket({ type: 'udp4', recvBufferSize: RECEIVE_BUFFER_BYTES });
  const sink: Sink = { socket, counts: { rtpPackets: 0, rtpBytes: 0, rtcpPackets: 0 } };
  socket.on('message', (packet) => {
    const second = packet[1] ?? 0;
    if (second >= 192 && second <= 223) {
      sink.counts.rtcpPackets++;
    } else {
      sink.counts.rtpPackets++;
      sink.counts.rtpBytes += packet.length;
    }
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve(sink);
    });
  });
}

function send(message: SinksMessage): void {
  port?.postMessage(message);
}

port.on('message', (command: SinksCommand) => {
  switch (command.kind) {
    case 'open': {
      Promise.all(Array.from({ length: command.count }, openSink))
        .then((opened) => {
          sinks.push(...opened);
          send({ kind: 'opened', ports: opened.map((sink) => sink.socket.address().port) });
        })
        .catch((err: unknown) => {
          send({ kind: 'failed', message: err instanceof Error ? err.message : String(err) });
        });
      return;
    }
    case 'reset':
      for (const sink of sinks) sink.counts = { rtpPackets: 0, rtpBytes: 0, rtcpPackets: 0 };
      countingSince = performance.now();
      return;
    case 'report':
      send({
        kind: 'counts',
        sinks: sinks.map((sink) => ({ ...sink.counts })),
        seconds: (performance.now() - countingSince) / 1000,
      });
      return;
    case 'close':
      for (const sink of sinks.splice(0)) sink.socket.close();
      send({ kind: 'closed' });
      port.close();
      return;
  }
});
