import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AttributeIds,
  ClientMonitoredItem,
  type ClientSession,
  ClientSubscription,
  DataType,
  type DataValue,
  type EUInformation,
  MessageSecurityMode,
  makeBrowsePath,
  OPCUACertificateManager,
  OPCUAClient,
  type Range,
  SecurityPolicy,
  StatusCodes,
  TimestampsToReturn,
  UserTokenType,
} from 'node-opcua';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLC_NAMESPACE_URI, plcNodeIdentifier } from './address-space.js';
import { PlcSimulator, PlcSimulatorError } from './plc-server.js';

const USER = { username: 'operator', password: 'đúng-mật-khẩu-42' };
const logger = pino({ level: 'silent' });

let dir: string;
let plc: PlcSimulator;
let clientCertificates: OPCUACertificateManager;
let client: OPCUAClient;
let session: ClientSession;
let ns: number;

const node = (...path: string[]) => `ns=${ns};s=${plcNodeIdentifier(...path)}`;

function newClient(
  securityMode = MessageSecurityMode.None,
  securityPolicy = SecurityPolicy.None,
): OPCUAClient {
  return OPCUAClient.create({
    applicationName: 'plc-simulator-test',
    endpointMustExist: false,
    securityMode,
    securityPolicy,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
    clientCertificateManager: clientCertificates,
  });
}

async function readValue(nodeId: string): Promise<DataValue> {
  return session.read({ nodeId, attributeId: AttributeIds.Value });
}

/** Resolves with the next `count` notifications of a monitored variable. */
async function notifications(nodeId: string, count: number): Promise<DataValue[]> {
  const subscription = ClientSubscription.create(session, {
    requestedPublishingInterval: 50,
    requestedLifetimeCount: 100,
    requestedMaxKeepAliveCount: 10,
    maxNotificationsPerPublish: 100,
    publishingEnabled: true,
    priority: 1,
  });
  try {
    const item = ClientMonitoredItem.create(
      subscription,
      { nodeId, attributeId: AttributeIds.Value },
      { samplingInterval: 50, discardOldest: true, queueSize: 10 },
      TimestampsToReturn.Both,
    );
    const values: DataValue[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${values.length} of ${count} changes of ${nodeId}`)),
        10_000,
      );
      item.on('changed', (value) => {
        values.push(value);
        if (values.length === count) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    return values;
  } finally {
    await subscription.terminate();
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ioc-plc-'));
  plc = new PlcSimulator({
    logger,
    pkiDir: join(dir, 'pki'),
    port: 0,
    users: [USER],
    seed: 7,
    tickMs: 100,
    timeScale: 10,
  });
  await plc.start();
  clientCertificates = new OPCUACertificateManager({
    rootFolder: join(dir, 'client-pki'),
    automaticallyAcceptUnknownCertificate: true,
    disableFileWatchers: true,
  });
  client = newClient();
  await client.connect(plc.endpointUrl);
  session = await client.createSession({
    type: UserTokenType.UserName,
    userName: USER.username,
    password: USER.password,
  });
  ns = (await session.readNamespaceArray()).indexOf(PLC_NAMESPACE_URI);
});

afterAll(async () => {
  await session?.close().catch(() => undefined);
  await client?.disconnect();
  await plc?.stop();
  await clientCertificates?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('PlcSimulator over OPC-UA', () => {
  it('listens on the loopback endpoint with its namespace registered', () => {
    expect(plc.endpointUrl).toMatch(/^opc\.tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(ns).toBeGreaterThan(0);
    expect(plc.sessionCount).toBe(1);
  });

  it('exposes the pumping stations and their variables under Objects/DaNang', async () => {
    const path = makeBrowsePath('ObjectsFolder', `/${ns}:DaNang/${ns}:PumpStations`);
    const [target] = (await session.translateBrowsePath(path)).targets ?? [];
    expect(target?.targetId.toString()).toBe(`ns=${ns};s=DaNang.PumpStations`);

    const stations = await session.browse(node('PumpStations'));
    expect(stations.references?.map((r) => r.browseName.name)).toEqual([
      'HoaXuan',
      'AnHai',
      'HoaQuy',
    ]);
    expect(stations.references?.[0]?.displayName.text).toBe('Trạm bơm tiêu Hòa Xuân');

    const variables = await session.browse(node('PumpStations', 'HoaXuan'));
    expect(variables.references?.map((r) => r.browseName.name)).toEqual(
      expect.arrayContaining([
        'Running',
        'AutoMode',
        'FlowRate',
        'InletLevel',
        'OutletLevel',
        'MotorCurrent',
        'Latitude',
      ]),
    );
    const gates = await session.browse(node('SluiceGates'));
    expect(gates.references?.map((r) => r.browseName.name)).toEqual(['KhueTrung', 'CoCo']);
  });

  it('reads values with their engineering units and ranges', async () => {
    const level = await readValue(node('PumpStations', 'HoaXuan', 'InletLevel'));
    expect(level.statusCode).toBe(StatusCodes.Good);
    expect(level.value.dataType).toBe(DataType.Double);
    expect(level.value.value).toBeGreaterThan(60);
    expect(level.value.value).toBeLessThan(350);

    const unitValue = async (variable: string[]) => {
      const result = await session.translateBrowsePath(
        makeBrowsePath(node(...variable), '.EngineeringUnits'),
      );
      const id = result.targets?.[0]?.targetId;
      if (!id) throw new Error(`no EngineeringUnits on ${variable.join('/')}`);
      return (await readValue(id.toString())).value.value as EUInformation;
    };
    expect((await unitValue(['PumpStations', 'HoaXuan', 'InletLevel'])).displayName.text).toBe(
      'cm',
    );
    const flowUnit = await unitValue(['PumpStations', 'HoaXuan', 'FlowRate']);
    expect(flowUnit.displayName.text).toBe('m³/s');
    expect(flowUnit.namespaceUri).toBe('http://www.opcfoundation.org/UA/units/un/cefact');
    expect((await unitValue(['PumpStations', 'HoaXuan', 'MotorCurrent'])).displayName.text).toBe(
      'A',
    );
    expect((await unitValue(['SluiceGates', 'KhueTrung', 'Opening'])).displayName.text).toBe('%');

    const range = await session.translateBrowsePath(
      makeBrowsePath(node('SluiceGates', 'KhueTrung', 'Opening'), '.EURange'),
    );
    const euRange = (await readValue(range.targets?.[0]?.targetId.toString() ?? '')).value
      .value as Range;
    expect([euRange.low, euRange.high]).toEqual([0, 100]);

    const running = await readValue(node('PumpStations', 'HoaXuan', 'Running'));
    expect(running.value.dataType).toBe(DataType.Boolean);
  });

  it('notifies a subscriber as the level evolves', async () => {
    const values = await notifications(node('PumpStations', 'HoaXuan', 'InletLevel'), 3);
    const levels = values.map((v) => v.value.value as number);
    expect(new Set(levels).size).toBe(3);
    const times = values.map((v) => v.sourceTimestamp?.getTime() ?? 0);
    expect(times[2]).toBeGreaterThan(times[0] ?? Number.POSITIVE_INFINITY);
  });

  it('accepts a gate setpoint, reads it back and moves the gate towards it', async () => {
    const setpoint = node('SluiceGates', 'CoCo', 'OpeningSetpoint');
    const commanded = once(plc, 'command');
    const status = await session.write({
      nodeId: setpoint,
      attributeId: AttributeIds.Value,
      value: { value: { dataType: DataType.Double, value: 75 } },
    });
    expect(status).toBe(StatusCodes.Good);
    expect(await commanded).toEqual([
      { node: 'DaNang.SluiceGates.CoCo.OpeningSetpoint', value: 75 },
    ]);
    expect((await readValue(setpoint)).value.value).toBe(75);

    const openings = (await notifications(node('SluiceGates', 'CoCo', 'Opening'), 3)).map(
      (v) => v.value.value as number,
    );
    expect(openings[2]).toBeGreaterThan(openings[0] ?? 100);
    expect(openings[2]).toBeLessThanOrEqual(75);
  });

  it('starts a pump on command, switching the station to manual', async () => {
    const running = node('PumpStations', 'HoaQuy', 'Running');
    expect((await readValue(running)).value.value).toBe(false);
    const status = await session.write({
      nodeId: running,
      attributeId: AttributeIds.Value,
      value: { value: { dataType: DataType.Boolean, value: true } },
    });
    expect(status).toBe(StatusCodes.Good);
    expect((await readValue(running)).value.value).toBe(true);
    expect((await readValue(node('PumpStations', 'HoaQuy', 'AutoMode'))).value.value).toBe(false);
    await once(plc, 'tick');
    expect(
      (await readValue(node('PumpStations', 'HoaQuy', 'MotorCurrent'))).value.value,
    ).toBeGreaterThan(0);
  });

  it('refuses bad writes and keeps the previous value', async () => {
    const write = (nodeId: string, dataType: DataType, value: unknown) =>
      session.write({
        nodeId,
        attributeId: AttributeIds.Value,
        value: { value: { dataType, value } },
      });
    const setpoint = node('SluiceGates', 'KhueTrung', 'OpeningSetpoint');
    const before = (await readValue(setpoint)).value.value;

    expect(await write(setpoint, DataType.Double, 150)).toBe(StatusCodes.BadOutOfRange);
    expect(await write(setpoint, DataType.Double, Number.NaN)).toBe(StatusCodes.BadOutOfRange);
    expect(await write(setpoint, DataType.String, 'open')).toBe(StatusCodes.BadTypeMismatch);
    expect((await readValue(setpoint)).value.value).toBe(before);

    const stopLevel = node('PumpStations', 'HoaXuan', 'StopLevel');
    expect(await write(stopLevel, DataType.Double, 250)).toBe(StatusCodes.BadOutOfRange);
    expect((await readValue(stopLevel)).value.value).toBe(110);

    expect(await write(node('PumpStations', 'HoaXuan', 'InletLevel'), DataType.Double, 10)).toBe(
      StatusCodes.BadNotWritable,
    );
  });

  it('works over an encrypted channel with the generated certificates', async () => {
    const secure = newClient(MessageSecurityMode.SignAndEncrypt, SecurityPolicy.Basic256Sha256);
    await secure.connect(plc.endpointUrl);
    try {
      const secureSession = await secure.createSession({
        type: UserTokenType.UserName,
        userName: USER.username,
        password: USER.password,
      });
      const level = await secureSession.read({
        nodeId: node('PumpStations', 'AnHai', 'InletLevel'),
      });
      expect(level.statusCode).toBe(StatusCodes.Good);
      await secureSession.close();
    } finally {
      await secure.disconnect();
    }
  });

  it('refuses wrong credentials and offers no anonymous login', async () => {
    const other = newClient();
    await other.connect(plc.endpointUrl);
    try {
      await expect(
        other.createSession({
          type: UserTokenType.UserName,
          userName: USER.username,
          password: 'wrong',
        }),
      ).rejects.toThrow(/BadUserAccessDenied/);
      await expect(
        other.createSession({
          type: UserTokenType.UserName,
          userName: 'intruder',
          password: USER.password,
        }),
      ).rejects.toThrow(/BadUserAccessDenied/);
      const endpoints = await other.getEndpoints();
      const tokenTypes = endpoints.flatMap(
        (e) => e.userIdentityTokens?.map((t) => t.tokenType) ?? [],
      );
      expect(tokenTypes).toContain(UserTokenType.UserName);
      expect(tokenTypes).not.toContain(UserTokenType.Anonymous);
    } finally {
      await other.disconnect();
    }
  });

  it('rejects invalid options before touching the network', () => {
    expect(() => new PlcSimulator({ logger, pkiDir: dir })).toThrow(/at least one user/);
    expect(
      () => new PlcSimulator({ logger, pkiDir: dir, allowAnonymous: true, port: 70000 }),
    ).toThrow(
      expect.objectContaining({
        code: 'INVALID_OPTIONS',
        message: expect.stringContaining('port must be 0-65535'),
      }),
    );
  });

  it('reports a taken port in one line', async () => {
    const port = Number(new URL(plc.endpointUrl.replace('opc.tcp:', 'http:')).port);
    const second = new PlcSimulator({ logger, pkiDir: join(dir, 'pki'), port, users: [USER] });
    const failure = await second.start().catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(PlcSimulatorError);
    expect(failure).toMatchObject({
      code: 'PORT_IN_USE',
      message: `port ${port} on 127.0.0.1 is already in use`,
    });
    expect(second.running).toBe(false);
  });

  it('frees its port on stop and reuses its certificate on the next start', async () => {
    const port = Number(new URL(plc.endpointUrl.replace('opc.tcp:', 'http:')).port);
    const certificateFile = join(dir, 'pki', 'server', 'own', 'certs', 'certificate.pem');
    const certificate = await readFile(certificateFile, 'utf8');
    expect(certificate).toContain('BEGIN CERTIFICATE');

    await plc.stop();
    expect(plc.running).toBe(false);
    expect(await portIsFree(port)).toBe(true);
    await plc.stop(); // idempotent

    // Started again on the same PKI, and stopped while still starting (a Ctrl-C at start-up).
    const again = new PlcSimulator({ logger, pkiDir: join(dir, 'pki'), port, users: [USER] });
    const starting = again.start();
    const stopping = again.stop();
    await starting;
    await stopping;
    expect(again.running).toBe(false);
    expect(await portIsFree(port)).toBe(true);
    expect(await readFile(certificateFile, 'utf8')).toBe(certificate);
  });
});
