// State of the desk: the agent's conversations, the one on screen, and change notifications.

import { MessageLog } from '../common/message-log.js';

class Desk extends EventTarget {
  constructor() {
    super();
    this.conversations = new Map(); // id -> {card, log, unread, readSeq, typing}
    this.currentId = null;
    this.queues = new Map(); // department -> {waiting, oldest_wait_s}
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  get current() {
    return this.currentId ? this.conversations.get(this.currentId) || null : null;
  }

  /** Add or update a conversation from its card; returns the entry. */
  upsert(card) {
    let entry = this.conversations.get(card.id);
    if (!entry) {
      entry = { card, log: new MessageLog(), unread: 0, readSeq: 0, typing: false };
      this.conversations.set(card.id, entry);
    } else {
      entry.card = { ...entry.card, ...card };
    }
    this.emit('list');
    return entry;
  }

  remove(id) {
    if (!this.conversations.delete(id)) return;
    if (this.currentId === id) this.currentId = null;
    this.emit('list');
    this.emit('current');
  }

  select(id) {
    if (id && !this.conversations.has(id)) return;
    this.currentId = id;
    const entry = this.current;
    if (entry) entry.unread = 0;
    this.emit('list');
    this.emit('current');
  }

  /** Ordered ids as shown in the list (oldest assignment first). */
  ids() {
    return [...this.conversations.values()]
      .sort((a, b) => String(a.card.assigned_at || '').localeCompare(String(b.card.assigned_at || '')))
      .map((e) => e.card.id);
  }
}

export const desk = new Desk();
