// The walls of `wall.bench.ts` as socket.io clients, in a worker thread so that decoding their
// deltas never runs on the event loop whose CPU the benchmark measures. Each joins the room,
// waits for its snapshot, then counts what arrives: bytes as received (engine.io frames'
// payloads), delta batches and device values in them.
import { parentPort, workerData } from 'node:worker_threads';
import { io, type Socket } from 'socket.io-client';

export interface WallClientsInput {
  url: string;
  token: string;
  room: string;
  count: number;
}

/** Worker → parent. */
export type WallClientsMessage =
  | { kind: 'ready' }
  | { kind: 'failed'; message: string }
  | { kind: 'counts'; clients: WallClientCounts[] };

/** Parent → worker: `reset` zeroes the counters, `report` sends them, `close` disconnects. */
export type WallClientsCommand = { kind: 'reset' } | { kind: 'report' } | { kind: 'close' };

export interface WallClientCounts {
  bytes: number;
  deltas: number;
  values: number;
  /** Deltas whose seq was not the previous + 1 (a wall would resync). */
  gaps: number;
}

const input = workerData as WallClientsInput;
const port = parentPort;
if (!port) throw new Error('wall-clients-worker must run as a worker thread');

interface Wall {
  socket: Socket;
  counts: WallClientCounts;
  seq: number | null;
}

function connect(): Promise<Wall> {
  const socket = io(input.url, {
    path: '/socket.io',
    transports: ['websocket'],
    auth: { token: input.token },
    reconnection: false,
  });
  const wall: Wall = { socket, counts: { bytes: 0, deltas: 0, values: 0, gaps: 0 }, seq: null };
  // The manager opens its engine.io connection at once (autoConnect); no reconnection here.
  socket.io.engine.on('data', (data: unknown) => countBytes(wall, data));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no snapshot within 60 s')), 60_000);
    socket.on('connect_error', (error) => reject(new Error(`connect failed: ${error.message}`)));
    socket.on('snapshot', (snapshot: { seq: number }) => {
      wall.seq = snapshot.seq;
      clearTimeout(timer);
      resolve(wall);
    });
    socket.on('delta', (delta: { seq: number; values: unknown[] }) => {
      if (wall.seq !== null && delta.seq !== wall.seq + 1) wall.counts.gaps++;
      wall.seq = delta.seq;
      wall.counts.deltas++;
      wall.counts.values += delta.values.length;
    });
    socket.on('connect', () => {
      socket.emit('join', { room: input.room }, (answer: { ok: boolean; message?: string }) => {
        if (!answer.ok) reject(new Error(`join refused: ${answer.message}`));
      });
    });
  });
}

function countBytes(wall: Wall, data: unknown): void {
  if (typeof data === 'string') wall.counts.bytes += Buffer.byteLength(data);
  else if (data instanceof ArrayBuffer) wall.counts.bytes += data.byteLength;
  else if (ArrayBuffer.isView(data)) wall.counts.bytes += data.byteLength;
}

async function main(): Promise<void> {
  let walls: Wall[];
  try {
    walls = await Promise.all(Array.from({ length: input.count }, connect));
  } catch (err) {
    port?.postMessage({ kind: 'failed', message: (err as Error).message });
    return;
  }
  port?.on('message', (command: WallClientsCommand) => {
    if (command.kind === 'reset') {
      for (const wall of walls) wall.counts = { bytes: 0, deltas: 0, values: 0, gaps: 0 };
    } else if (command.kind === 'report') {
      port.postMessage({ kind: 'counts', clients: walls.map((w) => ({ ...w.counts })) });
    } else {
      for (const wall of walls) wall.socket.disconnect();
      port.close();
    }
  });
  port?.postMessage({ kind: 'ready' });
}

void main();
