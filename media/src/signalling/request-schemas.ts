// TypeBox schemas of every request payload of the signalling protocol. They bound every
// string, array and map (a client cannot make the server hold or walk much), name the field
// that is wrong, and leave mediasoup to check what only it knows (codec support, RTP
// consistency), which then also answers INVALID_REQUEST.
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import { ConferenceError } from '../rooms/conference-error.js';
import type { SignallingRequests } from './protocol.js';

const Id = Type.String({ minLength: 1, maxLength: 64 });
const Empty = Type.Object({}, { additionalProperties: false });
const Kind = Type.Union([Type.Literal('audio'), Type.Literal('video')]);
const Source = Type.Union([
  Type.Literal('camera'),
  Type.Literal('microphone'),
  Type.Literal('screen'),
]);
const MimeType = Type.String({ pattern: '^(audio|video)/[A-Za-z0-9.+-]{1,32}$', maxLength: 40 });
const Uint32 = Type.Integer({ minimum: 0, maximum: 4294967295 });
const PayloadType = Type.Integer({ minimum: 0, maximum: 127 });
const ShortText = Type.String({ maxLength: 256 });

/** Codec parameters (fmtp): a few short keys with short values. */
const CodecParameters = Type.Record(
  Type.String({ maxLength: 64 }),
  Type.Union([Type.String({ maxLength: 256 }), Type.Number(), Type.Boolean()]),
  { maxProperties: 32 },
);
const RtcpFeedback = Type.Object({
  type: Type.String({ minLength: 1, maxLength: 32 }),
  parameter: Type.Optional(Type.String({ maxLength: 32 })),
});
const RtcpFeedbacks = Type.Array(RtcpFeedback, { maxItems: 16 });

const RtpCodecParameters = Type.Object({
  mimeType: MimeType,
  payloadType: PayloadType,
  clockRate: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
  channels: Type.Optional(Type.Integer({ minimum: 1, maximum: 8 })),
  parameters: Type.Optional(CodecParameters),
  rtcpFeedback: Type.Optional(RtcpFeedbacks),
});
const RtpHeaderExtensionParameters = Type.Object({
  uri: ShortText,
  id: Type.Integer({ minimum: 1, maximum: 255 }),
  encrypt: Type.Optional(Type.Boolean()),
  parameters: Type.Optional(CodecParameters),
});
const RtpEncodingParameters = Type.Object({
  ssrc: Type.Optional(Uint32),
  rid: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  codecPayloadType: Type.Optional(PayloadType),
  rtx: Type.Optional(Type.Object({ ssrc: Uint32 })),
  dtx: Type.Optional(Type.Boolean()),
  scalabilityMode: Type.Optional(Type.String({ maxLength: 16 })),
  scaleResolutionDownBy: Type.Optional(Type.Number({ minimum: 1, maximum: 64 })),
  maxBitrate: Type.Optional(Type.Number({ minimum: 0 })),
});
const RtpParameters = Type.Object({
  mid: Type.Optional(Type.String({ maxLength: 32 })),
  codecs: Type.Array(RtpCodecParameters, { minItems: 1, maxItems: 16 }),
  headerExtensions: Type.Optional(Type.Array(RtpHeaderExtensionParameters, { maxItems: 16 })),
  // Camera video is simulcast: three encodings (low, medium, high).
  encodings: Type.Optional(Type.Array(RtpEncodingParameters, { minItems: 1, maxItems: 4 })),
  rtcp: Type.Optional(
    Type.Object({
      cname: Type.Optional(Type.String({ maxLength: 256 })),
      reducedSize: Type.Optional(Type.Boolean()),
      mux: Type.Optional(Type.Boolean()),
    }),
  ),
});

const RtpCodecCapability = Type.Object({
  kind: Kind,
  mimeType: MimeType,
  preferredPayloadType: Type.Optional(PayloadType),
  clockRate: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
  channels: Type.Optional(Type.Integer({ minimum: 1, maximum: 8 })),
  parameters: Type.Optional(CodecParameters),
  rtcpFeedback: Type.Optional(RtcpFeedbacks),
});
const RtpHeaderExtensionCapability = Type.Object({
  kind: Kind,
  uri: ShortText,
  preferredId: Type.Integer({ minimum: 1, maximum: 255 }),
  preferredEncrypt: Type.Optional(Type.Boolean()),
  direction: Type.Optional(
    Type.Union([
      Type.Literal('sendrecv'),
      Type.Literal('sendonly'),
      Type.Literal('recvonly'),
      Type.Literal('inactive'),
    ]),
  ),
});
const RtpCapabilities = Type.Object({
  codecs: Type.Optional(Type.Array(RtpCodecCapability, { maxItems: 64 })),
  headerExtensions: Type.Optional(Type.Array(RtpHeaderExtensionCapability, { maxItems: 64 })),
});

const DtlsParameters = Type.Object({
  role: Type.Optional(
    Type.Union([Type.Literal('auto'), Type.Literal('client'), Type.Literal('server')]),
  ),
  fingerprints: Type.Array(
    Type.Object({
      algorithm: Type.String({ minLength: 1, maxLength: 16 }),
      value: Type.String({ minLength: 1, maxLength: 256 }),
    }),
    { minItems: 1, maxItems: 8 },
  ),
});

function strict<T extends Parameters<typeof Type.Object>[0]>(properties: T) {
  return Type.Object(properties, { additionalProperties: false });
}

/** One schema per request; the mapped type keeps it in step with protocol.ts. */
export const REQUEST_SCHEMAS = {
  getRouterRtpCapabilities: Empty,
  join: strict({
    displayName: Type.Optional(Type.String({ maxLength: 64 })),
    rtpCapabilities: RtpCapabilities,
  }),
  createTransport: strict({
    direction: Type.Union([Type.Literal('send'), Type.Literal('recv')]),
  }),
  connectTransport: strict({ transportId: Id, dtlsParameters: DtlsParameters }),
  restartIce: strict({ transportId: Id }),
  produce: strict({ transportId: Id, kind: Kind, rtpParameters: RtpParameters, source: Source }),
  closeProducer: strict({ producerId: Id }),
  pauseProducer: strict({ producerId: Id }),
  resumeProducer: strict({ producerId: Id }),
  resumeConsumer: strict({ consumerId: Id }),
  setPreferredLayers: strict({
    consumerId: Id,
    spatialLayer: Type.Integer({ minimum: 0, maximum: 2 }),
    temporalLayer: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 })),
  }),
  raiseHand: strict({ raised: Type.Boolean() }),
  // 1..1000 characters once trimmed (the room checks); the raw text may carry some padding.
  chat: strict({ text: Type.String({ maxLength: 2000 }) }),
  muteAll: Empty,
  muteOne: strict({ peerId: Id }),
  giveFloor: strict({ peerId: Type.Union([Id, Type.Null()]) }),
  getStats: Empty,
  leave: Empty,
} satisfies Record<keyof SignallingRequests, TSchema>;

export type RequestName = keyof SignallingRequests;

const checks = Object.fromEntries(
  Object.entries(REQUEST_SCHEMAS).map(([name, schema]) => [name, TypeCompiler.Compile(schema)]),
) as { [K in RequestName]: TypeCheck<(typeof REQUEST_SCHEMAS)[K]> };

export function isRequestName(name: string): name is RequestName {
  return Object.hasOwn(REQUEST_SCHEMAS, name);
}

/**
 * The payload of request `name`, checked; throws INVALID_REQUEST naming the first bad field.
 * A missing payload counts as `{}`.
 */
export function parseRequest<K extends RequestName>(
  name: K,
  payload: unknown,
): SignallingRequests[K][0] {
  const value = payload === undefined || payload === null ? {} : payload;
  const check = checks[name] as TypeCheck<TSchema>;
  if (check.Check(value)) return value as SignallingRequests[K][0];
  const first = check.Errors(value).First();
  const field = first?.path ? first.path.slice(1).replaceAll('/', '.') : 'payload';
  throw new ConferenceError(
    'INVALID_REQUEST',
    `${name}: ${field || 'payload'} is invalid (${first?.message ?? 'unexpected shape'})`,
  );
}

export type ParsedRequest<K extends RequestName> = Static<(typeof REQUEST_SCHEMAS)[K]>;
