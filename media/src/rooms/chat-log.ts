import { randomUUID } from 'node:crypto';
import type { ChatMessage } from '../signalling/protocol.js';

/** The last `capacity` chat messages of a room, oldest first (what a late joiner sees). */
export class ChatLog {
  readonly #messages: ChatMessage[] = [];

  constructor(readonly capacity = 200) {}

  add(peerId: string, displayName: string, text: string, at = new Date()): ChatMessage {
    const message: ChatMessage = {
      id: randomUUID(),
      peerId,
      displayName,
      text,
      at: at.toISOString(),
    };
    this.#messages.push(message);
    if (this.#messages.length > this.capacity) this.#messages.shift();
    return message;
  }

  list(): ChatMessage[] {
    return [...this.#messages];
  }
}
