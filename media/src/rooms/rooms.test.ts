import { describe, expect, it } from 'vitest';
import { pickLastN } from './last-n.js';
import { LINK_QUALITY_THRESHOLDS, linkQuality } from './link-quality.js';
import { SpeakerHistory } from './speaker-history.js';

describe('pickLastN', () => {
  const senders = ['a', 'b', 'c', 'd', 'e'];

  it('fills the slots with the earliest senders when nobody has spoken', () => {
    expect([...pickLastN({ senders, floor: null, chairs: [], recentSpeakers: [], n: 2 })]).toEqual([
      'a',
      'b',
    ]);
  });

  it('ranks the floor, then the chair, then the most recent speakers', () => {
    const picked = pickLastN({
      senders,
      floor: 'e',
      chairs: ['d'],
      recentSpeakers: ['c', 'b'],
      n: 3,
    });
    expect([...picked]).toEqual(['e', 'd', 'c']);
  });

  it('skips those that send no camera and never exceeds n', () => {
    const picked = pickLastN({
      senders: ['a', 'b'],
      floor: 'x',
      chairs: ['y'],
      recentSpeakers: ['z', 'b'],
      n: 5,
    });
    expect([...picked]).toEqual(['b', 'a']);
    expect(pickLastN({ senders, floor: null, chairs: [], recentSpeakers: [], n: 9 }).size).toBe(5);
  });
});

describe('linkQuality', () => {
  it('grades by loss and RTT at the documented thresholds', () => {
    expect(LINK_QUALITY_THRESHOLDS.good).toEqual({ maxLoss: 0.02, maxRttMs: 150 });
    expect(linkQuality(0, null)).toBe('good');
    expect(linkQuality(0.019, 149)).toBe('good');
    expect(linkQuality(0.02, 20)).toBe('fair');
    expect(linkQuality(0, 150)).toBe('fair');
    expect(linkQuality(0.079, 399)).toBe('fair');
    expect(linkQuality(0.08, 20)).toBe('poor');
    expect(linkQuality(0, 400)).toBe('poor');
  });
});

describe('SpeakerHistory', () => {
  it('keeps the active speaker and the most recent ones, forgetting those who left', () => {
    const history = new SpeakerHistory(2);
    expect(history.spoke('a')).toBe(true);
    expect(history.spoke('a')).toBe(false);
    history.spoke('b');
    history.spoke('c');
    expect(history.recent).toEqual(['c', 'b']);
    expect(history.forget('b')).toBe(false);
    expect(history.forget('c')).toBe(true);
    expect(history.active).toBeNull();
    expect(history.recent).toEqual([]);
  });
});
