import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { DeadlineQueue, type Scheduled } from './deadline-queue.js';

interface Item extends Scheduled {
  name: string;
}
const item = (name: string): Item => ({ name, deadline: undefined, queuedAt: undefined });

describe('DeadlineQueue', () => {
  it('fires each item once at its latest deadline, first in first out on ties, on one timer', () => {
    const clock = new ManualClock(0);
    const fired: Array<[string, number]> = [];
    const queue = new DeadlineQueue<Item>(clock, (i, now) => fired.push([i.name, now]));
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(item) as [Item, Item, Item, Item];
    queue.schedule(a, 100);
    queue.schedule(b, 50);
    queue.schedule(c, 50);
    queue.schedule(d, 70);
    queue.schedule(a, 300); // moved later: no new entry, found when the old one comes up
    queue.schedule(d, 20); // moved earlier
    queue.cancel(c);
    expect(clock.pending).toBe(1);
    clock.advance(99);
    expect(fired).toEqual([
      ['d', 20],
      ['b', 50],
    ]);
    clock.advance(1000);
    expect(fired).toEqual([
      ['d', 20],
      ['b', 50],
      ['a', 300],
    ]);
    expect(queue.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('lets an item be scheduled again from its own callback, and stops on close', () => {
    const clock = new ManualClock(0);
    const fired: number[] = [];
    const queue: DeadlineQueue<Item> = new DeadlineQueue<Item>(clock, (i, now) => {
      fired.push(now);
      if (fired.length < 3) queue.schedule(i, now + 10);
    });
    queue.schedule(item('x'), 10);
    clock.advance(100);
    expect(fired).toEqual([10, 20, 30]);
    queue.schedule(item('y'), 150);
    queue.close();
    clock.advance(100);
    expect(fired).toEqual([10, 20, 30]);
    expect(clock.pending).toBe(0);
  });
});
