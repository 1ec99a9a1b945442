// Headless Chromium for end-to-end tests: Debian's /usr/bin/chromium driven by
// playwright-core (playwright's own browser download cannot work offline).
import { access, constants } from 'node:fs/promises';
import { type Browser, chromium } from 'playwright-core';

export const chromiumPath = '/usr/bin/chromium';

/** Flags that work headless as root on a box with no GPU and no Internet. */
const baseFlags = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface FakeMedia {
  /** A .y4m (video) file to play as the camera instead of the generated test pattern. */
  videoFile?: string;
  /** A .wav file to play as the microphone instead of the generated beep. */
  audioFile?: string;
  /** How many fake cameras (and fake_device_N names) Chromium lists; its default is one. */
  cameras?: number;
}

export interface LaunchChromiumOptions {
  /** Grant camera and microphone without a prompt and feed fake devices (WebRTC tests). */
  fakeMedia?: boolean | FakeMedia;
  /** WebGL 2 through SwiftShader, without a GPU (the wall: deck.gl and MapLibre need it). */
  webgl?: boolean;
}

function fakeMediaFlags(fakeMedia: LaunchChromiumOptions['fakeMedia']): string[] {
  if (!fakeMedia) return [];
  const cameras = typeof fakeMedia === 'object' ? fakeMedia.cameras : undefined;
  const flags = [
    '--use-fake-ui-for-media-stream',
    cameras === undefined
      ? '--use-fake-device-for-media-stream'
      : `--use-fake-device-for-media-stream=device-count=${cameras}`,
  ];
  if (typeof fakeMedia === 'object') {
    if (fakeMedia.videoFile) flags.push(`--use-file-for-fake-video-capture=${fakeMedia.videoFile}`);
    if (fakeMedia.audioFile) flags.push(`--use-file-for-fake-audio-capture=${fakeMedia.audioFile}`);
  }
  return flags;
}

/**
 * Starts headless Chromium. Each browser gets a fresh profile: playwright creates a temporary
 * user-data-dir for `launch()` and deletes it on `browser.close()`, so always close it.
 */
export async function launchChromium(options: LaunchChromiumOptions = {}): Promise<Browser> {
  try {
    await access(chromiumPath, constants.X_OK);
  } catch {
    throw new Error(`Chromium not found at ${chromiumPath}; apt-get install chromium`);
  }
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true, // playwright adds --headless
    args: [
      ...baseFlags,
      ...(options.webgl
        ? ['--use-angle=swiftshader', '--enable-unsafe-swiftshader']
        : ['--disable-gpu']),
      ...fakeMediaFlags(options.fakeMedia),
    ],
  });
}
