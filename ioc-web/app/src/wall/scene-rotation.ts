// Kiosk scene rotation: a room with several scenes and `kiosk.rotation` on shows each for its
// `durationS`, in order, round and round. `?scene=<id>` pins one scene (no rotation).
import { useEffect, useState } from 'react';
import type { WallRoom, WallScene } from './wall-api';

export function useSceneRotation(
  room: WallRoom | undefined,
  pinned: string | null,
): WallScene | undefined {
  const scenes = room?.scenes ?? [];
  const rotating = Boolean(room?.kiosk.rotation) && scenes.length > 1 && !pinned;
  const [index, setIndex] = useState(0);
  const key = scenes.map((s) => `${s.id}:${s.durationS}`).join('|');

  // A changed scene list starts again from its first scene.
  // biome-ignore lint/correctness/useExhaustiveDependencies: key stands for the scene list
  useEffect(() => setIndex(0), [key]);

  const current = scenes[index % Math.max(1, scenes.length)];
  useEffect(() => {
    if (!rotating || !current) return;
    const timer = setTimeout(
      () => setIndex((i) => (i + 1) % scenes.length),
      current.durationS * 1000,
    );
    return () => clearTimeout(timer);
  }, [rotating, current, scenes.length]);

  if (pinned) return scenes.find((s) => s.id === pinned) ?? scenes[0];
  return current;
}

/** The map layers a scene turns on; a scene without a list (or no scene) shows them all. */
export function sceneShows(
  scene: WallScene | undefined,
  layer: 'sensors' | 'alerts' | 'kpi',
): boolean {
  return !scene || scene.view.layers.length === 0 || scene.view.layers.includes(layer);
}
