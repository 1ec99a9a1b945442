// What the meeting shows: one large focus tile and a strip of thumbnails, built from the
// client's snapshot. Pure, so the choice of who is large can be tested without a browser.
import type { RemoteMedia } from './conference-client';
import { chooseFocus } from './layout';
import type { PeerInfo } from './protocol';
import { isMicrophoneMuted } from './roster';
import type { TileInfo } from './VideoTile';

export interface StageInputs {
  self: PeerInfo | null;
  peers: readonly PeerInfo[];
  media: readonly RemoteMedia[];
  activeSpeaker: string | null;
  floor: string | null;
  pinned: string | null;
  previousFocus: string | null;
  localCamera: MediaStreamTrack | null;
  localCameraOn: boolean;
  localMicrophoneOn: boolean;
}

export interface Stage {
  focus: TileInfo | null;
  /** The peer whose camera fills the focus tile (it gets the top simulcast layer); null for a screen. */
  focusCameraPeer: string | null;
  /** The peer chosen for focus, kept to avoid flipping when nobody speaks. */
  focusPeer: string | null;
  thumbnails: TileInfo[];
}

function tileOf(
  peer: PeerInfo,
  media: readonly RemoteMedia[],
  inputs: StageInputs,
  source: 'camera' | 'screen',
): TileInfo {
  const video = media.find((m) => m.peerId === peer.peerId && m.source === source);
  return {
    peerId: source === 'screen' ? `${peer.peerId}-screen` : peer.peerId,
    displayName: peer.displayName,
    role: peer.role,
    track: video?.track ?? null,
    videoPaused: video ? video.paused : null,
    speaking: source === 'camera' && peer.peerId === inputs.activeSpeaker,
    hasFloor: source === 'camera' && peer.peerId === inputs.floor,
    handRaised: peer.handRaised,
    microphoneMuted: isMicrophoneMuted(peer),
    isSelf: false,
    isScreen: source === 'screen',
  };
}

export function buildStage(inputs: StageInputs): Stage {
  // Viewers (e.g. a wall panel) watch without a picture of their own.
  const visible = inputs.peers.filter((p) => p.role !== 'viewer');
  const screen = inputs.media.find((m) => m.source === 'screen' && m.kind === 'video');
  const focusPeer = chooseFocus({
    peerIds: visible.map((p) => p.peerId),
    selfId: inputs.self?.peerId ?? null,
    pinned: inputs.pinned,
    screenSharer: screen?.peerId ?? null,
    floor: inputs.floor,
    activeSpeaker: inputs.activeSpeaker,
    previous: inputs.previousFocus,
  });
  const focusPeerInfo = visible.find((p) => p.peerId === focusPeer) ?? null;
  const showScreen = screen !== undefined && focusPeer === screen.peerId && focusPeerInfo !== null;
  const focus = focusPeerInfo
    ? tileOf(focusPeerInfo, inputs.media, inputs, showScreen ? 'screen' : 'camera')
    : null;
  const focusCameraPeer = focus && !showScreen ? focusPeer : null;

  const thumbnails = visible
    .filter((p) => p.peerId !== focusCameraPeer)
    .map((p) => tileOf(p, inputs.media, inputs, 'camera'));
  const self = inputs.self;
  if (self && self.role !== 'viewer') {
    thumbnails.push({
      peerId: self.peerId,
      displayName: self.displayName,
      role: self.role,
      track: inputs.localCameraOn ? inputs.localCamera : null,
      videoPaused: null,
      speaking: self.peerId === inputs.activeSpeaker,
      hasFloor: self.peerId === inputs.floor,
      handRaised: self.handRaised,
      microphoneMuted: !inputs.localMicrophoneOn,
      isSelf: true,
      isScreen: false,
    });
  }
  return { focus, focusCameraPeer, focusPeer, thumbnails };
}
