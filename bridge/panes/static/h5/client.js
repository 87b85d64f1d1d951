// The /user Socket.IO client: ordered, idempotent sends; resync after reconnect; live events.

import { connect, call } from '../common/realtime.js';
import { uuid } from '../common/ids.js';
import { api, identity } from './identity.js';

const RETRYABLE = new Set(['timeout', 'network', 'db_unavailable', 'rate_limited', 'internal']);

export class ChatClient {
  /** @param {import('./chat-state.js').ChatState} chat */
  constructor(chat) {
    this.chat = chat;
    this.socket = null;
    this.chain = Promise.resolve();
    this.matter = null; // matter id the page was opened from (`?matter=`), sent with the first message
  }

  start() {
    const socket = connect('/user', identity.token);
    this.socket = socket;
    socket.on('connect', () => {
      this.chat.emit('connection', { connected: true });
      this.resume().catch(() => {});
    });
    socket.on('disconnect', () => this.chat.emit('connection', { connected: false }));
    socket.on('connect_error', (err) => this.chat.emit('connection', { connected: false, error: err?.message }));
    socket.on('message', (msg) => this.onMessage(msg));
    socket.on('state', (st) => {
      if (st.conversation_id === this.chat.conversationId) this.chat.setState(st);
    });
    socket.on('typing', (t) => {
      if (t.conversation_id === this.chat.conversationId && t.who?.role === 'agent') this.chat.emit('typing', t);
    });
    socket.on('read', (r) => {
      if (r.conversation_id === this.chat.conversationId && r.who?.role === 'agent') {
        this.chat.readSeq = Math.max(this.chat.readSeq || 0, r.seq);
        this.chat.emit('messages');
      }
    });
    return socket;
  }

  onMessage(msg) {
    const chat = this.chat;
    if (msg.conversation_id !== chat.conversationId) return;
    if (!chat.log.add(msg)) return;
    chat.save();
    chat.emit('messages', { added: [msg] });
    this.checkClosed([msg]);
    if (chat.log.hasGap()) this.sync().catch(() => {});
  }

  /** After every (re)connect: fetch what was missed, then resend what never got an ack. */
  async resume() {
    if (this.chat.conversationId) await this.sync();
    for (const p of [...this.chat.log.pending.values()]) {
      if (p.status === 'failed' && p.retryable !== false) this.enqueue(p);
    }
  }

  async sync() {
    const chat = this.chat;
    const id = chat.conversationId;
    if (!id) return;
    for (let page = 0; page < 20; page += 1) {
      let ack;
      try {
        ack = await call(this.socket, 'sync', { conversation_id: id, after_seq: chat.log.contiguous });
      } catch (err) {
        if (err.code === 'forbidden' || err.code === 'not_found') chat.startNew();
        return;
      }
      if (id !== chat.conversationId) return;
      const added = chat.log.addAll(ack.messages);
      chat.setState(ack.state_info || { conversation_id: id, state: ack.state });
      if (added.length) {
        chat.save();
        chat.emit('messages', { added });
        this.checkClosed(added);
      }
      if (!ack.has_more) break;
    }
  }

  checkClosed(messages) {
    const closed = messages.find((m) => m.sender?.role === 'system' && m.meta?.event === 'closed');
    if (!closed) return;
    const targets = (closed.meta.rate || ['bot']).filter((t) => !this.chat.rated.includes(t));
    if (targets.length) this.chat.emit('rate', { conversationId: closed.conversation_id, targets });
  }

  /** Queue a message; sends go one at a time, in order. */
  send(fields) {
    const local = {
      client_msg_id: uuid(),
      conversation_id: this.chat.conversationId,
      sender: { role: 'user', id: identity.sub, name: identity.name },
      ts: new Date().toISOString(),
      ...fields,
    };
    this.chat.log.addPending(local);
    this.chat.save();
    this.chat.emit('messages');
    this.enqueue(this.chat.log.pending.get(local.client_msg_id));
  }

  resend(clientMsgId) {
    const p = this.chat.log.pending.get(clientMsgId);
    if (p) this.enqueue(p);
  }

  enqueue(pending) {
    this.chat.log.setPendingStatus(pending.client_msg_id, 'sending');
    this.chat.emit('messages');
    this.chain = this.chain.then(() => this.deliver(pending));
  }

  async deliver(p) {
    const chat = this.chat;
    if (!chat.log.pending.has(p.client_msg_id)) return;
    try {
      if (p.type !== 'text' && !p.media_id) {
        if (!chat.conversationId) throw Object.assign(new Error('请先用文字描述您的问题。'), { code: 'invalid_payload' });
        const media = await api.upload(chat.conversationId, p.file, p.filename);
        p.media_id = media.media_id;
      }
      const payload = { client_msg_id: p.client_msg_id, type: p.type };
      if (chat.conversationId) payload.conversation_id = chat.conversationId;
      if (p.type === 'text') payload.text = p.text;
      else payload.media_id = p.media_id;
      if (!chat.conversationId && this.matter) payload.matter = this.matter;
      const ack = await call(this.socket, 'message', payload, 15000);
      if (!chat.conversationId) {
        chat.conversationId = ack.conversation_id;
        chat.setState({ conversation_id: ack.conversation_id, state: 'bot' });
      }
      chat.log.add({ ...p, status: undefined, conversation_id: ack.conversation_id, seq: ack.seq, ts: ack.ts, id: ack.id });
    } catch (err) {
      if (err.code === 'conversation_closed') chat.setState({ conversation_id: chat.conversationId, state: 'closed' });
      chat.log.setPendingStatus(p.client_msg_id, 'failed', err.message);
      p.retryable = RETRYABLE.has(err.code);
    }
    chat.save();
    chat.emit('messages');
  }

  async handoff() {
    const ack = await call(this.socket, 'handoff', { conversation_id: this.chat.conversationId, reason: 'user_request' });
    this.chat.setState({ conversation_id: this.chat.conversationId, ...ack });
    return ack;
  }

  async end() {
    const ack = await call(this.socket, 'end', { conversation_id: this.chat.conversationId });
    this.chat.setState({ conversation_id: this.chat.conversationId, state: ack.state });
  }

  async rate(conversationId, target, score, resolved, comment) {
    try {
      await call(this.socket, 'rate', { conversation_id: conversationId, target, score, resolved, comment: comment || undefined });
    } catch (err) {
      if (err.code !== 'already_rated') throw err;
    }
    if (!this.chat.rated.includes(target)) this.chat.rated.push(target);
    this.chat.save();
  }

  typing(on) {
    if (this.chat.conversationId && this.socket?.connected) {
      this.socket.emit('typing', { conversation_id: this.chat.conversationId, on }, () => {});
    }
  }

  read(seq) {
    if (this.chat.conversationId && this.socket?.connected) {
      this.socket.emit('read', { conversation_id: this.chat.conversationId, seq }, () => {});
    }
  }
}
