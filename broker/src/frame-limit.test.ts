import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { MqttFrameScanner, PacketTooLargeError } from './frame-limit.js';

function publish(payloadBytes: number): Buffer {
  return mqttPacket.generate({
    cmd: 'publish',
    topic: 'ioc/v1/devices/d1/telemetry',
    payload: Buffer.alloc(payloadBytes, 1),
    qos: 1,
    messageId: 7,
    retain: false,
    dup: false,
  });
}

/** Scans `bytes` in chunks of `chunkSize`; returns the error and how many bytes were accepted. */
function scan(scanner: MqttFrameScanner, bytes: Buffer, chunkSize: number) {
  let accepted = 0;
  for (let i = 0; i < bytes.length; i += chunkSize) {
    const chunk = bytes.subarray(i, i + chunkSize);
    const error = scanner.scan(chunk);
    if (error) return { error, accepted };
    accepted += chunk.length;
  }
  return { error: undefined, accepted };
}

describe('MqttFrameScanner', () => {
  const disconnect = mqttPacket.generate({ cmd: 'disconnect' });
  const ping = mqttPacket.generate({ cmd: 'pingreq' });

  it.each([1, 2, 3, 7, 1000])('accepts packets within the limit (chunks of %i)', (size) => {
    const bytes = Buffer.concat([publish(10), ping, publish(300), publish(20_000), ping]);
    const scanner = new MqttFrameScanner(20_100);
    expect(scan(scanner, bytes, size)).toEqual({ error: undefined, accepted: bytes.length });
    expect(scanner.disconnectReceived).toBe(false);
  });

  it('notes a DISCONNECT', () => {
    const scanner = new MqttFrameScanner(100);
    expect(scan(scanner, Buffer.concat([ping, disconnect]), 1).error).toBeUndefined();
    expect(scanner.disconnectReceived).toBe(true);
  });

  it.each([1, 3, 64 * 1024])(
    'fails as soon as a packet announces more than the limit (chunks of %i)',
    (size) => {
      const big = publish(200_000);
      const { error, accepted } = scan(
        new MqttFrameScanner(1000),
        Buffer.concat([ping, big]),
        size,
      );
      expect(error).toBeInstanceOf(PacketTooLargeError);
      expect(error).toMatchObject({ packetType: 'publish', limit: 1000, code: 'PACKET_TOO_LARGE' });
      expect((error as PacketTooLargeError).length).toBe(big.length - 4); // header + 3 length bytes
      // Nothing of the big packet's body was accepted, at most its fixed header.
      expect(accepted).toBeLessThanOrEqual(ping.length + 4);
    },
  );

  it('judges every packet type, e.g. a huge CONNECT', () => {
    const connect = mqttPacket.generate({
      cmd: 'connect',
      clientId: 'x',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepalive: 10,
      will: { topic: 't', payload: Buffer.alloc(5000), qos: 0, retain: false },
    });
    expect(scan(new MqttFrameScanner(1000), connect, 64).error).toMatchObject({
      packetType: 'connect',
    });
  });

  it('rejects a remaining length longer than 4 bytes', () => {
    const bad = Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]);
    const { error } = scan(new MqttFrameScanner(Number.MAX_SAFE_INTEGER), bad, 1);
    expect(error?.message).toMatch(/malformed MQTT remaining length/);
  });
});
