// One participant's picture: their camera (or screen), or their initials when there is no
// video, with the name and what they are doing (speaking, hand up, muted).
import { useI18n } from '../i18n/i18n';
import { HandIcon } from './HandIcon';
import { TrackVideo } from './MediaElements';
import { initialsOf } from './roster';

export interface TileInfo {
  peerId: string;
  displayName: string;
  role: string;
  track: MediaStreamTrack | null;
  /** The video is paused (by its owner, or to save bandwidth). */
  videoPaused: 'producer' | 'last-n' | null;
  speaking: boolean;
  hasFloor: boolean;
  handRaised: boolean;
  microphoneMuted: boolean;
  isSelf: boolean;
  isScreen: boolean;
}

export function VideoTile({
  tile,
  size,
  pinned = false,
  onSelect,
}: {
  tile: TileInfo;
  size: 'focus' | 'thumbnail';
  pinned?: boolean;
  onSelect?: () => void;
}) {
  const { t } = useI18n();
  const text = t.conference.meeting;
  const name = tile.isScreen ? text.screen(tile.displayName) : tile.displayName;
  const showVideo = tile.track !== null && tile.videoPaused === null;
  const classes = [
    'conference-tile',
    `conference-tile-${size}`,
    tile.speaking ? 'conference-tile-speaking' : '',
    tile.hasFloor ? 'conference-tile-floor' : '',
  ]
    .filter(Boolean)
    .join(' ');

  const body = (
    <>
      {showVideo && tile.track ? (
        <TrackVideo
          track={tile.track}
          mirrored={tile.isSelf && !tile.isScreen}
          fit={tile.isScreen || size === 'focus' ? 'contain' : 'cover'}
          testId={`conference-video-${tile.isScreen ? 'screen' : tile.peerId}`}
        />
      ) : (
        <div className="conference-tile-avatar" aria-hidden="true">
          {initialsOf(tile.displayName)}
        </div>
      )}
      <div className="conference-tile-caption">
        <span className="conference-tile-name">
          {name}
          {tile.isSelf && <span className="muted"> ({text.you})</span>}
        </span>
        <span className="conference-tile-badges">
          {tile.role === 'chair' && (
            <span className="conference-badge">{t.conference.roles.chair}</span>
          )}
          {tile.hasFloor && (
            <span className="conference-badge conference-badge-floor">{text.hasFloor}</span>
          )}
          {tile.speaking && (
            <span className="conference-badge conference-badge-speaking">{text.speaking}</span>
          )}
          {tile.handRaised && (
            <span className="conference-badge conference-badge-hand" title={text.handRaised}>
              <HandIcon />
              {size === 'focus' ? text.handRaised : ''}
            </span>
          )}
          {tile.microphoneMuted && !tile.isScreen && (
            <span className="conference-badge conference-badge-muted">{text.microphoneOff}</span>
          )}
          {pinned && <span className="conference-badge">{text.pinned}</span>}
        </span>
      </div>
      {tile.videoPaused === 'last-n' && <span className="visually-hidden">{text.videoPaused}</span>}
    </>
  );

  if (!onSelect) {
    return (
      <div className={classes} data-testid={`conference-tile-${tile.peerId}`} data-size={size}>
        {body}
      </div>
    );
  }
  return (
    <button
      type="button"
      className={classes}
      onClick={onSelect}
      title={size === 'focus' && pinned ? text.unpin : text.pin(name)}
      data-testid={`conference-tile-${tile.peerId}`}
      data-size={size}
    >
      {body}
    </button>
  );
}
