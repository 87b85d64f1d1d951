// The user's current conversation: messages (deduplicated by seq), pending sends, state,
// all kept in localStorage per user so a reload or reconnect resumes where it was.

import { MessageLog } from '../common/message-log.js';

const MAX_CACHED = 300;

export class ChatState extends EventTarget {
  constructor(sub) {
    super();
    this.key = `bangban.h5.chat.${sub}`;
    this.reset();
    this.load();
  }

  reset() {
    this.conversationId = null;
    this.log = new MessageLog();
    this.state = null; // bot | queued | with_agent | escalated | closed
    this.info = {}; // last state event: queue_position, estimated_wait_s, agent…
    this.rated = [];
    this.readSeq = 0; // highest seq the agent has read
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  load() {
    try {
      const saved = JSON.parse(localStorage.getItem(this.key) || 'null');
      if (!saved) return;
      this.conversationId = saved.conversationId || null;
      this.state = saved.state || null;
      this.rated = saved.rated || [];
      this.log.addAll(saved.messages || []);
      for (const p of saved.pending || []) this.log.pending.set(p.client_msg_id, { ...p, status: 'failed', error: '未发送' });
    } catch {
      localStorage.removeItem(this.key);
    }
  }

  save() {
    const stored = [...this.log.bySeq.values()].sort((a, b) => a.seq - b.seq)
      .filter((m) => m.seq <= this.log.contiguous).slice(-MAX_CACHED)
      .map(({ localUrl, file, status, ...m }) => m);
    const pending = [...this.log.pending.values()].filter((p) => p.type === 'text')
      .map(({ status, error, ...p }) => p);
    localStorage.setItem(this.key, JSON.stringify({
      conversationId: this.conversationId, state: this.state, rated: this.rated, messages: stored, pending,
      lastSeq: this.log.contiguous,
    }));
  }

  /** Start over (after a closed conversation): forget it locally. */
  startNew() {
    this.reset();
    this.save();
    this.emit('changed');
  }

  setState(info) {
    this.state = info.state;
    this.info = info;
    this.save();
    this.emit('state');
  }

  /** Payload → title of every bot button seen, to show a pressed button's title. */
  buttonTitles() {
    const map = new Map();
    for (const m of this.log.bySeq.values()) for (const b of m.buttons || []) map.set(b.payload, b.title);
    for (const p of this.log.pending.values()) if (p.displayText) map.set(p.text, p.displayText);
    return map;
  }
}
