// Helpers for the signalling tests (not exported from the entry): an in-memory admission, a
// real socket.io server on a free port, a socket.io client that keeps every event it gets,
// and RTP parameters a producer accepts without any RTP flowing.
import { once } from 'node:events';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ApiError,
  type AppConfig,
  createLogger,
  type DeepPartial,
  type LiveBus,
  type LiveEvents,
  loadConfig,
  type Principal,
} from '@ioc/core';
import type { types } from 'mediasoup';
import { Server } from 'socket.io';
import { type Socket as ClientSocket, io as connect } from 'socket.io-client';
import type {
  Admission,
  AttendanceEntry,
  Conference,
  ConferenceAdmission,
  ConferenceRole,
  JoinRequest,
} from '../conferences/conference.js';
import type { MediaRouter } from '../worker-pool.js';
import { attachSignalling, type ConferenceSignalling } from './conference-signalling.js';
import type { Reply, SignallingError, SignallingEvents, SignallingRequests } from './protocol.js';

export function conferenceConfig(
  conference: DeepPartial<AppConfig['media']['conference']>,
): AppConfig {
  return loadConfig({ env: {}, cwd: '/nonexistent', overrides: { media: { conference } } });
}

export function testConference(overrides: Partial<Conference> = {}): Conference {
  const now = Date.now();
  return {
    id: `conf-${Math.random().toString(36).slice(2, 10)}`,
    title: 'Họp phòng chống lụt bão',
    chairUnit: '01',
    invitedUnits: ['001', '002', '003'],
    speakerUnits: ['001'],
    startsAt: new Date(now - 60_000).toISOString(),
    endsAt: new Date(now + 3_600_000).toISOString(),
    status: 'scheduled',
    alertId: null,
    createdBy: 'tester',
    createdAt: new Date(now - 120_000).toISOString(),
    ...overrides,
  };
}

interface TokenGrant {
  unit: string;
  role: ConferenceRole;
  displayName: string;
  expiresAt?: string;
}

/** The ConferenceStore's contract in memory: tokens and users it admits, attendance it keeps. */
export class InMemoryAdmission implements ConferenceAdmission {
  readonly conferences = new Map<string, Conference>();
  readonly tokens = new Map<string, TokenGrant & { conferenceId: string }>();
  readonly attendance: AttendanceEntry[] = [];

  add(conference: Conference): Conference {
    this.conferences.set(conference.id, conference);
    return conference;
  }

  grant(conferenceId: string, token: string, grant: TokenGrant): void {
    this.tokens.set(token, { ...grant, conferenceId });
  }

  async admit(request: JoinRequest): Promise<Admission> {
    const conference = this.conferences.get(request.conferenceId);
    if (!conference) throw new ApiError(404, 'CONFERENCE_NOT_FOUND', 'no such conference');
    if (request.token !== undefined) {
      const grant = this.tokens.get(request.token);
      if (!grant || grant.conferenceId !== conference.id) {
        throw new ApiError(401, 'JOIN_TOKEN_INVALID', 'this join link is not valid');
      }
      if (grant.expiresAt && Date.parse(grant.expiresAt) <= Date.now()) {
        throw new ApiError(401, 'JOIN_TOKEN_EXPIRED', 'this join link has expired');
      }
      return {
        conference,
        role: grant.role,
        unit: grant.unit,
        userId: null,
        displayName: grant.displayName,
        expiresAt: grant.expiresAt ?? conference.endsAt,
      };
    }
    const user = request.user as Principal;
    return {
      conference,
      role: request.asViewer ? 'viewer' : 'chair',
      unit: null,
      userId: user.id,
      displayName: user.name,
      expiresAt: conference.endsAt,
    };
  }

  async recordAttendance(entry: AttendanceEntry): Promise<void> {
    this.attendance.push(entry);
  }

  async get(conferenceId: string): Promise<Conference | undefined> {
    return this.conferences.get(conferenceId);
  }
}

export interface SignallingServer {
  url: string;
  io: Server;
  http: HttpServer;
  signalling: ConferenceSignalling;
  close(): Promise<void>;
}

/** A real socket.io server on a free port with the conference namespace attached. */
export async function startSignallingServer(options: {
  admission: ConferenceAdmission;
  createRouter: () => Promise<MediaRouter>;
  config: AppConfig;
  bus: LiveBus;
  /** The signed-in user for handshakes carrying header `x-test-user`. */
  users?: Map<string, Principal>;
  emptyRoomCloseMs?: number;
}): Promise<SignallingServer> {
  const http = createServer();
  const io = new Server(http, { maxHttpBufferSize: 64 * 1024 });
  const signalling = attachSignalling(io, {
    admission: options.admission,
    authenticate: async (handshake) => {
      const name = handshake.headers['x-test-user'];
      return typeof name === 'string' ? options.users?.get(name) : undefined;
    },
    bus: options.bus,
    logger: createLogger('silent'),
    config: options.config,
    createRouter: options.createRouter,
    unitName: (code) => (code === '002' ? 'Xã Hai' : undefined),
    emptyRoomCloseMs: options.emptyRoomCloseMs ?? 200,
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    io,
    http,
    signalling,
    async close() {
      await signalling.close();
      await new Promise<void>((resolve) => io.close(() => resolve()));
    },
  };
}

type EventRecord = {
  [K in keyof SignallingEvents]: { event: K; data: SignallingEvents[K] };
}[keyof SignallingEvents];

/** A socket.io client on `/conference` that keeps every event, so tests await without races. */
export class TestClient {
  readonly socket: ClientSocket;
  readonly events: EventRecord[] = [];
  readonly #waiters = new Set<() => void>();

  private constructor(socket: ClientSocket) {
    this.socket = socket;
    socket.onAny((event: keyof SignallingEvents, data: unknown) => {
      this.events.push({ event, data } as EventRecord);
      for (const wake of this.#waiters) wake();
    });
  }

  /** Connects; rejects with the SignallingError of a refused handshake. */
  static async connect(
    server: SignallingServer,
    auth: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): Promise<TestClient> {
    const socket = connect(`${server.url}/conference`, {
      auth,
      extraHeaders: headers,
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    const client = new TestClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (err: Error & { data?: SignallingError }) => {
        socket.close();
        reject(Object.assign(new Error(err.message), { data: err.data }));
      });
    });
    return client;
  }

  request<K extends keyof SignallingRequests>(
    name: K,
    payload: SignallingRequests[K][0] | Record<string, unknown>,
  ): Promise<Reply<SignallingRequests[K][1]>> {
    return this.socket.timeout(10_000).emitWithAck(name, payload);
  }

  /** The data of a request that must succeed. */
  async ok<K extends keyof SignallingRequests>(
    name: K,
    payload: SignallingRequests[K][0] | Record<string, unknown>,
  ): Promise<SignallingRequests[K][1]> {
    const reply = await this.request(name, payload);
    if (!reply.ok) throw new Error(`${name} failed: ${reply.error.code} ${reply.error.message}`);
    return reply.data;
  }

  /** The first event `event` (already received or still to come) that matches. */
  waitFor<K extends keyof SignallingEvents>(
    event: K,
    match: (data: SignallingEvents[K]) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<SignallingEvents[K]> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.all(event).find(match);
        if (found === undefined) return false;
        this.#waiters.delete(wake);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const wake = () => {
        check();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(wake);
        reject(new Error(`no ${event} event within ${timeoutMs} ms`));
      }, timeoutMs);
      if (!check()) this.#waiters.add(wake);
    });
  }

  all<K extends keyof SignallingEvents>(event: K): SignallingEvents[K][] {
    return this.events
      .filter((record) => record.event === event)
      .map((record) => record.data as SignallingEvents[K]);
  }

  /** getRouterRtpCapabilities + join with the router's own capabilities. */
  async join(
    displayName?: string,
  ): Promise<SignallingRequests['join'][1] & { rtpCapabilities: types.RtpCapabilities }> {
    const rtpCapabilities = await this.ok('getRouterRtpCapabilities', {});
    const joined = await this.ok('join', {
      rtpCapabilities,
      ...(displayName ? { displayName } : {}),
    });
    return { ...joined, rtpCapabilities };
  }

  close(): void {
    this.socket.close();
  }
}

let nextSsrc = 1000;

/** Opus on one SSRC: what a microphone producer needs (no RTP has to flow). */
export function microphoneRtpParameters(): types.RtpParameters {
  return {
    codecs: [
      {
        mimeType: 'audio/opus',
        payloadType: 111,
        clockRate: 48000,
        channels: 2,
        parameters: { useinbandfec: 1 },
        rtcpFeedback: [],
      },
    ],
    headerExtensions: [],
    encodings: [{ ssrc: nextSsrc++ }],
    rtcp: { cname: 'test' },
  };
}

/** VP8 simulcast in three SSRC-signalled encodings, as a camera sends it. */
export function cameraRtpParameters(): types.RtpParameters {
  return {
    codecs: [
      {
        mimeType: 'video/VP8',
        payloadType: 96,
        clockRate: 90000,
        rtcpFeedback: [
          { type: 'nack' },
          { type: 'nack', parameter: 'pli' },
          { type: 'ccm', parameter: 'fir' },
        ],
      },
    ],
    headerExtensions: [],
    encodings: [
      { ssrc: nextSsrc++, scalabilityMode: 'S1T3' },
      { ssrc: nextSsrc++, scalabilityMode: 'S1T3' },
      { ssrc: nextSsrc++, scalabilityMode: 'S1T3' },
    ],
    rtcp: { cname: 'test' },
  };
}

/** A send transport plus camera and microphone producers. */
export async function sendCameraAndMicrophone(
  client: TestClient,
  sources: Array<'camera' | 'microphone'> = ['camera', 'microphone'],
): Promise<{ transportId: string; producers: Record<string, string> }> {
  const transport = await client.ok('createTransport', { direction: 'send' });
  const producers: Record<string, string> = {};
  for (const source of sources) {
    const { producerId } = await client.ok('produce', {
      transportId: transport.id,
      kind: source === 'camera' ? 'video' : 'audio',
      source,
      rtpParameters: source === 'camera' ? cameraRtpParameters() : microphoneRtpParameters(),
    });
    producers[source] = producerId;
  }
  return { transportId: transport.id, producers };
}

/** Collects the bus's `conference.endpoints` events. */
export function collectEndpoints(bus: LiveBus): Array<LiveEvents['conference.endpoints']> {
  const events: Array<LiveEvents['conference.endpoints']> = [];
  bus.subscribe('conference.endpoints', (event) => events.push(event));
  return events;
}
