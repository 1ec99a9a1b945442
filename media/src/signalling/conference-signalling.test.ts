import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LiveBus, Principal, ServiceDeps } from '@ioc/core';
import { Server } from 'socket.io';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type MediaService, start } from '../index.js';
import type { WorkerStarted } from '../media-worker.js';
import { mediaConfig, serviceDeps } from '../test-support.js';
import type { SignallingError } from './protocol.js';
import {
  cameraRtpParameters,
  collectEndpoints,
  conferenceConfig,
  InMemoryAdmission,
  microphoneRtpParameters,
  type SignallingServer,
  sendCameraAndMicrophone,
  startSignallingServer,
  TestClient,
  testConference,
} from './signalling-test-support.js';

// Real mediasoup workers, a real socket.io server and clients; the admission is in memory
// (the SQL ConferenceStore is tested with the scheduling). Producers are created from valid
// RTP parameters; no RTP has to flow for what these tests check.

const chairUser: Principal = {
  kind: 'user',
  id: 'u-chair',
  name: 'UBND tỉnh',
  role: 'ioc-operator',
};
const users = new Map([['chair', chairUser]]);
const asChair = { 'x-test-user': 'chair' };

let media: MediaService;
let metrics: ServiceDeps['metrics'];
let bus: LiveBus;
const servers: SignallingServer[] = [];
const clients: TestClient[] = [];

beforeAll(async () => {
  const deps = serviceDeps();
  bus = deps.bus;
  metrics = deps.metrics;
  media = await start(mediaConfig({ workers: 2, port: 0 }), {
    ...deps,
    restartDelayMs: { min: 100, max: 500 },
  });
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const server of servers.splice(0)) await server.close();
});

afterAll(async () => {
  await media?.stop();
});

async function setUp(conference: Parameters<typeof conferenceConfig>[0] = {}) {
  const admission = new InMemoryAdmission();
  const config = conferenceConfig(conference);
  const server = await startSignallingServer({
    admission,
    createRouter: () => media.createRouter(),
    config,
    bus,
    users,
  });
  servers.push(server);
  const conf = admission.add(testConference());
  for (const unit of conf.invitedUnits) {
    const role = conf.speakerUnits.includes(unit) ? 'speaker' : 'participant';
    admission.grant(conf.id, `token-${unit}`, { unit, role, displayName: `Xã ${unit}` });
  }
  const join = async (auth: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const client = await TestClient.connect(server, { conferenceId: conf.id, ...auth }, headers);
    clients.push(client);
    return client;
  };
  return { admission, server, conference: conf, join };
}

async function refusal(promise: Promise<unknown>): Promise<SignallingError> {
  const err = (await promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => e,
  )) as { data?: SignallingError };
  return err.data as SignallingError;
}

describe('conference signalling handshake', () => {
  it('refuses a connection without credentials as UNAUTHENTICATED', async () => {
    const { join } = await setUp();
    const error = await refusal(join({}));
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.message).toMatch(/join link/);
  });

  it('passes on the admission refusal of an invalid or expired token and of an unknown conference', async () => {
    const { join, server, admission, conference } = await setUp();
    expect(await refusal(join({ token: 'forged' }))).toMatchObject({ code: 'JOIN_TOKEN_INVALID' });
    admission.grant(conference.id, 'stale', {
      unit: '003',
      role: 'participant',
      displayName: 'Xã 003',
      expiresAt: new Date(Date.now() - 1000).toISOString(),
    });
    expect(await refusal(join({ token: 'stale' }))).toMatchObject({
      code: 'JOIN_TOKEN_EXPIRED',
      message: 'this join link has expired',
    });
    const elsewhere = TestClient.connect(server, { conferenceId: 'nope', token: 'token-001' });
    expect(await refusal(elsewhere)).toMatchObject({ code: 'CONFERENCE_NOT_FOUND' });
  });

  it('refuses a malformed handshake naming the field', async () => {
    const { server } = await setUp();
    const error = await refusal(TestClient.connect(server, { conferenceId: 42 }));
    expect(error).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(error.message).toContain('auth.conferenceId');
  });

  it('admits a signed-in user, as a viewer when asked', async () => {
    const { join } = await setUp();
    const chair = await join({}, asChair);
    expect((await chair.join()).self).toMatchObject({ role: 'chair', displayName: 'UBND tỉnh' });
    const viewer = await join({ asViewer: true }, asChair);
    expect((await viewer.join()).self.role).toBe('viewer');
  });
});

describe('conference signalling requests', () => {
  it('answers NOT_JOINED outside a seat, ALREADY_JOINED for a second join, UNKNOWN_REQUEST for other names', async () => {
    const { join } = await setUp();
    const client = await join({ token: 'token-001' });
    const early = await client.request('createTransport', { direction: 'send' });
    expect(early).toMatchObject({ ok: false, error: { code: 'NOT_JOINED' } });
    const unknown = await client.socket.timeout(5000).emitWithAck('dropTables', {});
    expect(unknown).toMatchObject({ ok: false, error: { code: 'UNKNOWN_REQUEST' } });
    const { rtpCapabilities } = await client.join();
    expect(await client.request('join', { rtpCapabilities })).toMatchObject({
      ok: false,
      error: { code: 'ALREADY_JOINED' },
    });
    await client.ok('leave', {});
    expect(await client.request('createTransport', { direction: 'recv' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_JOINED' },
    });
  });

  it("answers NOT_FOUND for another peer's or another room's transport, producer and consumer ids", async () => {
    const { join, admission, server } = await setUp();
    const otherRoom = admission.add(testConference());
    admission.grant(otherRoom.id, 'elsewhere', {
      unit: '009',
      role: 'speaker',
      displayName: 'Xã 009',
    });
    const stranger = await TestClient.connect(server, {
      conferenceId: otherRoom.id,
      token: 'elsewhere',
    });
    clients.push(stranger);
    await stranger.join();
    const strangerSent = await sendCameraAndMicrophone(stranger, ['microphone']);
    const alice = await join({ token: 'token-001' });
    const bob = await join({ token: 'token-002' });
    await alice.join();
    await bob.join();
    const sent = await sendCameraAndMicrophone(alice, ['microphone']);
    await bob.ok('createTransport', { direction: 'send' });
    const microphone = sent.producers.microphone as string;

    const dtlsParameters = {
      role: 'client',
      fingerprints: [{ algorithm: 'sha-256', value: 'AA:BB' }],
    };
    const attempts = await Promise.all([
      bob.request('connectTransport', { transportId: sent.transportId, dtlsParameters }),
      bob.request('restartIce', { transportId: sent.transportId }),
      bob.request('produce', {
        transportId: sent.transportId,
        kind: 'audio',
        source: 'microphone',
        rtpParameters: microphoneRtpParameters(),
      }),
      bob.request('closeProducer', { producerId: microphone }),
      bob.request('pauseProducer', { producerId: microphone }),
      bob.request('resumeConsumer', { consumerId: microphone }),
      bob.request('restartIce', { transportId: strangerSent.transportId }),
      bob.request('pauseProducer', { producerId: strangerSent.producers.microphone as string }),
    ]);
    expect(attempts).toHaveLength(8);
    for (const reply of attempts) {
      expect(reply).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    }
    // Alice's own ids work, and her microphone was untouched.
    const own = await alice.request('restartIce', { transportId: sent.transportId });
    expect(own.ok && own.data.iceParameters.usernameFragment).toBeTruthy();
    expect((await alice.ok('getStats', {})).audioMuted).toBe(false);
    expect((await stranger.ok('getStats', {})).audioMuted).toBe(false);
  });

  it('answers INVALID_REQUEST naming the field for malformed payloads and RTP parameters', async () => {
    const { join } = await setUp();
    const client = await join({ token: 'token-001' });
    expect(await client.request('join', { rtpCapabilities: { codecs: 'all' } })).toMatchObject({
      ok: false,
      error: {
        code: 'INVALID_REQUEST',
        message: expect.stringContaining('rtpCapabilities.codecs'),
      },
    });
    await client.join();
    const { id: transportId } = await client.ok('createTransport', { direction: 'send' });
    const produce = (rtpParameters: unknown, extra: Record<string, unknown> = {}) =>
      client.request('produce', {
        transportId,
        kind: 'audio',
        source: 'microphone',
        rtpParameters,
        ...extra,
      });

    const noCodecs = await produce({ codecs: 'opus' });
    expect(noCodecs).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    expect(!noCodecs.ok && noCodecs.error.message).toContain('rtpParameters.codecs');

    const badPayloadType = microphoneRtpParameters() as unknown as {
      codecs: Array<{ payloadType: number }>;
    };
    (badPayloadType.codecs[0] as { payloadType: number }).payloadType = 300;
    const tooHigh = await produce(badPayloadType);
    expect(!tooHigh.ok && tooHigh.error.message).toContain('rtpParameters.codecs.0.payloadType');

    // Well-formed but nothing the router offers: mediasoup's own check, still INVALID_REQUEST.
    const unsupported = microphoneRtpParameters();
    (unsupported.codecs[0] as { mimeType: string }).mimeType = 'audio/G722';
    expect(await produce(unsupported)).toMatchObject({
      ok: false,
      error: { code: 'INVALID_REQUEST' },
    });

    expect(await produce(microphoneRtpParameters(), { kind: 'video' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_REQUEST', message: 'kind must be audio for source microphone' },
    });
    expect(await produce(microphoneRtpParameters(), { admin: true })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_REQUEST', message: expect.stringContaining('admin') },
    });
    for (const text of ['   ', 'x'.repeat(1001)]) {
      expect(await client.request('chat', { text })).toMatchObject({
        ok: false,
        error: {
          code: 'INVALID_REQUEST',
          message: expect.stringContaining('1 to 1000 characters'),
        },
      });
    }
    // Nothing was produced by the refused requests.
    expect((await client.ok('getStats', {})).audioMuted).toBe(true);
    expect((await produce(microphoneRtpParameters())).ok).toBe(true);
  });

  it('refuses media from viewers and chair controls from non-chairs with FORBIDDEN', async () => {
    const { join } = await setUp();
    const viewer = await join({ asViewer: true }, asChair);
    const participant = await join({ token: 'token-002' });
    await viewer.join();
    const { self } = await participant.join();
    expect(await viewer.request('createTransport', { direction: 'send' })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    const recv = await viewer.ok('createTransport', { direction: 'recv' });
    expect(
      await viewer.request('produce', {
        transportId: recv.id,
        kind: 'audio',
        source: 'microphone',
        rtpParameters: microphoneRtpParameters(),
      }),
    ).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    for (const [name, payload] of [
      ['muteAll', {}],
      ['muteOne', { peerId: self.peerId }],
      ['giveFloor', { peerId: self.peerId }],
    ] as const) {
      expect(await participant.request(name, payload)).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN', message: expect.stringContaining('only the chair') },
      });
    }
  });

  it('lets the chair mute everyone; only the owner resumes, the chair cannot unmute', async () => {
    const { join } = await setUp();
    const chair = await join({}, asChair);
    const one = await join({ token: 'token-001' });
    const two = await join({ token: 'token-002' });
    await chair.join();
    await one.join();
    await two.join();
    await sendCameraAndMicrophone(chair, ['microphone']);
    const oneMic = (await sendCameraAndMicrophone(one, ['microphone'])).producers
      .microphone as string;
    const twoMic = (await sendCameraAndMicrophone(two, ['microphone'])).producers
      .microphone as string;

    expect(await chair.ok('muteAll', {})).toEqual({ muted: 2 });
    expect(await one.waitFor('muted.by')).toEqual({ by: 'UBND tỉnh', producerId: oneMic });
    expect(await two.waitFor('muted.by')).toEqual({ by: 'UBND tỉnh', producerId: twoMic });
    expect((await one.ok('getStats', {})).audioMuted).toBe(true);
    expect((await two.ok('getStats', {})).audioMuted).toBe(true);
    expect((await chair.ok('getStats', {})).audioMuted).toBe(false);

    expect(await chair.request('resumeProducer', { producerId: oneMic })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect((await one.ok('getStats', {})).audioMuted).toBe(true);
    await one.ok('resumeProducer', { producerId: oneMic });
    expect((await one.ok('getStats', {})).audioMuted).toBe(false);
    await chair.waitFor('peer.updated', (peer) =>
      peer.producers.some((p) => p.producerId === oneMic && !p.paused),
    );
    expect((await two.ok('getStats', {})).audioMuted).toBe(true);
  });

  it('keeps one screen share per room, hands, floor and chat', async () => {
    const { join } = await setUp();
    const chair = await join({}, asChair);
    const one = await join({ token: 'token-001' });
    const two = await join({ token: 'token-002' });
    await chair.join();
    const oneSelf = (await one.join('Anh Ba')).self;
    await two.join();
    expect(oneSelf.displayName).toBe('Xã 001 (Anh Ba)');
    const oneSend = await one.ok('createTransport', { direction: 'send' });
    const twoSend = await two.ok('createTransport', { direction: 'send' });
    const share = (client: TestClient, transportId: string) =>
      client.request('produce', {
        transportId,
        kind: 'video',
        source: 'screen',
        rtpParameters: cameraRtpParameters(),
      });
    const first = await share(one, oneSend.id);
    expect(first.ok).toBe(true);
    expect(await share(two, twoSend.id)).toMatchObject({
      ok: false,
      error: { code: 'SCREEN_BUSY' },
    });
    if (first.ok) await one.ok('closeProducer', { producerId: first.data.producerId });
    expect((await share(two, twoSend.id)).ok).toBe(true);

    await one.ok('raiseHand', { raised: true });
    await chair.waitFor(
      'peer.updated',
      (peer) => peer.peerId === oneSelf.peerId && peer.handRaised,
    );
    await chair.ok('giveFloor', { peerId: oneSelf.peerId });
    expect(await two.waitFor('floor')).toEqual({ peerId: oneSelf.peerId });
    await two.waitFor('peer.updated', (peer) => peer.peerId === oneSelf.peerId && !peer.handRaised);
    expect(await chair.request('giveFloor', { peerId: 'nobody' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });

    const message = await two.ok('chat', { text: '  Xin chào  ' });
    expect(message).toMatchObject({ text: 'Xin chào', displayName: 'Xã 002' });
    expect(await one.waitFor('chat')).toEqual(message);
    const late = await join({ token: 'token-003' });
    expect((await late.join()).chat).toEqual([message]);
    for (let i = 1; i < 10; i++) await two.ok('chat', { text: `tin ${i}` });
    expect(await two.request('chat', { text: 'one too many' })).toMatchObject({
      ok: false,
      error: { code: 'RATE_LIMITED' },
    });
  });

  it('pauses camera consumers beyond the last N and follows the floor', async () => {
    const { join } = await setUp({ lastN: 1 });
    const senders = [
      await join({ token: 'token-001' }),
      await join({ token: 'token-002' }),
      await join({ token: 'token-003' }),
    ];
    const peerIds: string[] = [];
    for (const sender of senders) {
      peerIds.push((await sender.join()).self.peerId);
      await sendCameraAndMicrophone(sender);
    }
    const chair = await join({}, asChair);
    await chair.join();
    await chair.ok('createTransport', { direction: 'recv' });
    const news = await Promise.all(
      peerIds.map((peerId) =>
        chair.waitFor('consumer.new', (c) => c.peerId === peerId && c.source === 'camera'),
      ),
    );
    for (const audio of peerIds) {
      await chair.waitFor('consumer.new', (c) => c.peerId === audio && c.source === 'microphone');
    }
    for (const consumer of news) {
      expect(consumer.type).toBe('simulcast');
      await chair.ok('resumeConsumer', { consumerId: consumer.consumerId });
    }
    const [first, second, third] = news.map((c) => c.consumerId) as [string, string, string];
    // The earliest sender fills the one slot; the others are paused by last-n, audio never.
    await chair.waitFor('consumer.paused', (e) => e.consumerId === second && e.reason === 'last-n');
    await chair.waitFor('consumer.paused', (e) => e.consumerId === third && e.reason === 'last-n');
    expect(chair.all('consumer.paused').filter((e) => e.consumerId === first)).toEqual([]);
    expect(
      chair.all('consumer.paused').every((e) => news.some((c) => c.consumerId === e.consumerId)),
    ).toBe(true);

    await chair.ok('giveFloor', { peerId: peerIds[2] as string });
    await chair.waitFor('consumer.resumed', (e) => e.consumerId === third);
    await chair.waitFor('consumer.paused', (e) => e.consumerId === first && e.reason === 'last-n');

    await chair.ok('setPreferredLayers', { consumerId: third, spatialLayer: 0 });
    const audio = chair.all('consumer.new').find((c) => c.kind === 'audio');
    expect(
      await chair.request('setPreferredLayers', {
        consumerId: audio?.consumerId ?? '',
        spatialLayer: 0,
      }),
    ).toMatchObject({
      ok: false,
      error: { code: 'INVALID_REQUEST' },
    });
    expect(
      await chair.request('setPreferredLayers', { consumerId: third, spatialLayer: 5 }),
    ).toMatchObject({
      ok: false,
      error: { code: 'INVALID_REQUEST', message: expect.stringContaining('spatialLayer') },
    });
  });

  it('spreads to a router on the other worker when the consumer budget is spent, piping producers', async () => {
    const { join, server, conference } = await setUp({ routerConsumerBudget: 10 });
    const peers: TestClient[] = [];
    for (const unit of ['001', '002', '003']) {
      const peer = await join({ token: `token-${unit}` });
      await peer.join();
      await sendCameraAndMicrophone(peer);
      await peer.ok('createTransport', { direction: 'recv' });
      peers.push(peer);
    }
    // 3 peers × 2 others × 2 producers = 12 consumers on the first router.
    for (const peer of peers) await waitForCount(peer, 'consumer.new', 4);
    const room = server.signalling.rooms.get(conference.id);
    expect(room?.routers.all).toHaveLength(1);

    const late = await join({}, asChair);
    await late.join();
    await sendCameraAndMicrophone(late);
    await late.ok('createTransport', { direction: 'recv' });
    expect(room?.routers.all).toHaveLength(2);
    const [firstRouter, secondRouter] = room?.routers.all ?? [];
    expect(firstRouter?.worker.index).not.toBe(secondRouter?.worker.index);

    // The late peer consumes everyone's media through pipes, and everyone consumes its media.
    await waitForCount(late, 'consumer.new', 6);
    expect(late.all('consumer.new').find((c) => c.source === 'camera')?.type).toBe('simulcast');
    for (const peer of peers) await waitForCount(peer, 'consumer.new', 6);
    expect(secondRouter?.consumers).toBe(6);
    expect(firstRouter?.consumers).toBe(18);
  });
});

describe('conference lifetime', () => {
  it('refuses a join past media.conference.maxParticipants with CONFERENCE_FULL', async () => {
    const { join } = await setUp({ maxParticipants: 2 });
    await (await join({ token: 'token-001' })).join();
    await (await join({ token: 'token-002' })).join();
    expect(await refusal(join({ token: 'token-003' }))).toMatchObject({ code: 'CONFERENCE_FULL' });
  });

  it('ends a cancelled conference for everyone in it', async () => {
    const { join, server, conference, admission } = await setUp();
    const client = await join({ token: 'token-001' });
    await client.join();
    const disconnected = new Promise((resolve) => client.socket.once('disconnect', resolve));
    expect(server.signalling.endConference(conference.id, 'cancelled')).toBe(true);
    expect(await client.waitFor('ended')).toEqual({ reason: 'cancelled' });
    await disconnected;
    expect(admission.attendance.at(-1)).toMatchObject({ event: 'left', reason: 'cancelled' });
    expect(server.signalling.rooms.get(conference.id)).toBeUndefined();
    expect(server.signalling.endConference(conference.id, 'cancelled')).toBe(false);
  });

  it('MediaService.attachSignalling serves rooms on its workers; close() tells clients to reconnect', async () => {
    const admission = new InMemoryAdmission();
    const conf = admission.add(testConference());
    admission.grant(conf.id, 'token-001', { unit: '001', role: 'speaker', displayName: 'Xã 001' });
    const http = createServer();
    const io = new Server(http);
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    const signalling = media.attachSignalling(io, {
      admission,
      authenticate: async () => undefined,
    });
    try {
      const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
      const client = await TestClient.connect({ url } as SignallingServer, {
        conferenceId: conf.id,
        token: 'token-001',
      });
      clients.push(client);
      await client.join();
      expect(signalling.rooms.get(conf.id)?.peerCount).toBe(1);
      const scraped = await metrics.metrics();
      expect(scraped).toContain('ioc_media_conference_rooms 1');
      expect(scraped).toContain('ioc_media_conference_peers 1');
      await signalling.close();
      expect(await metrics.metrics()).not.toContain('ioc_media_conference_rooms');
      expect(await client.waitFor('reconnect')).toEqual({ reason: 'moved' });
      expect(admission.attendance.at(-1)).toMatchObject({
        event: 'left',
        reason: 'server-stopping',
      });
      expect(signalling.rooms.size).toBe(0);
    } finally {
      await new Promise<void>((resolve) => io.close(() => resolve()));
    }
  });

  it('drops a peer whose admission expires, recording it left', async () => {
    const { join, admission, conference } = await setUp();
    admission.grant(conference.id, 'short', {
      unit: '003',
      role: 'participant',
      displayName: 'Xã 003',
      expiresAt: new Date(Date.now() + 400).toISOString(),
    });
    const client = await join({ token: 'short' });
    const { self } = await client.join();
    const disconnected = new Promise((resolve) => client.socket.once('disconnect', resolve));
    expect(await client.waitFor('ended')).toEqual({ reason: 'expired' });
    await disconnected;
    expect(
      admission.attendance.map(({ peerId, event, reason }) => ({ peerId, event, reason })),
    ).toEqual([
      { peerId: self.peerId, event: 'joined', reason: undefined },
      { peerId: self.peerId, event: 'left', reason: 'expired' },
    ]);
  });

  it('publishes every invited unit, connected or not, then ended when the room closes', async () => {
    const endpoints = collectEndpoints(bus);
    const { join, conference } = await setUp({ statsIntervalS: 1 });
    const speaker = await join({ token: 'token-001' });
    const { self } = await speaker.join();
    const chair = await join({}, asChair);
    await chair.join();
    // A wall watching the meeting is not an endpoint.
    const wall = await join({ asViewer: true }, asChair);
    await wall.join();
    await sendCameraAndMicrophone(speaker, ['microphone']);

    const ours = () => endpoints.filter((e) => e.conferenceId === conference.id);
    await until(() => ours().some((e) => e.endpoints.length === 4));
    const seen = ours().length;
    await until(() => ours().length > seen); // the periodic publication, without joins or leaves
    const latest = ours().at(-1);
    expect(latest).toMatchObject({ title: conference.title, ended: false });
    expect(latest?.endpoints.map((e) => [e.unit, e.displayName, e.role, e.connected])).toEqual([
      ['001', 'Xã 001', 'speaker', true],
      ['002', 'Xã Hai', 'participant', false],
      ['003', '003', 'participant', false],
      [null, 'UBND tỉnh', 'chair', true],
    ]);
    expect(latest?.endpoints[0]).toMatchObject({
      peerId: self.peerId,
      quality: 'good',
      audioMuted: false,
    });
    expect(latest?.endpoints[1]).toMatchObject({ peerId: null, quality: null, joinedAt: null });

    speaker.close();
    chair.close();
    wall.close();
    await until(() => ours().some((e) => e.ended));
    expect(ours().filter((e) => e.ended)).toHaveLength(1);
    expect(
      ours()
        .at(-1)
        ?.endpoints.every((e) => !e.connected),
    ).toBe(true);
  });

  it('closes the room when its worker dies, tells clients to reconnect, and a re-join works', async () => {
    const { join, server, conference, admission } = await setUp();
    const client = await join({ token: 'token-001' });
    const { self } = await client.join();
    await sendCameraAndMicrophone(client, ['microphone']);
    const room = server.signalling.rooms.get(conference.id);
    const worker = room?.routers.main.worker;
    if (!worker?.pid) throw new Error('the room has no worker');

    const restarted = once(media.pool, 'started') as Promise<[WorkerStarted]>;
    process.kill(worker.pid, 'SIGKILL');
    expect(await client.waitFor('reconnect')).toEqual({ reason: 'worker-died' });
    expect(room?.closed).toBe(true);
    expect(admission.attendance.at(-1)).toMatchObject({
      peerId: self.peerId,
      event: 'left',
      reason: 'worker-died',
    });

    // The same connection joins again at once: a new room on the worker that still runs.
    const again = await client.join();
    expect(again.self.peerId).not.toBe(self.peerId);
    const reopened = server.signalling.rooms.get(conference.id);
    expect(reopened).not.toBe(room);
    expect(reopened?.routers.main.worker.index).not.toBe(worker.index);
    expect(
      (await sendCameraAndMicrophone(client, ['microphone'])).producers.microphone,
    ).toBeTruthy();
    await restarted; // leave the pool whole for whatever runs next
  });
});

async function waitForCount(
  client: TestClient,
  event: 'consumer.new',
  count: number,
): Promise<void> {
  await until(() => client.all(event).length >= count);
  expect(client.all(event)).toHaveLength(count);
}

/** Polls a condition the bus or the server reaches on its own (no event to await here). */
async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
