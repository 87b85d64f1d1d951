// The desk's Socket.IO connection: events in, resynchronisation after every (re)connect.

import { connect, call } from '../common/realtime.js';
import { toast } from '../common/dialog.js';
import { desk } from './store.js';
import { session } from './session.js';
import { announceAssignment } from './notify.js';
import { showAlert } from './alerts.js';

export const net = { socket: null, status: 'online', load: null };

const AUTH_CODES = new Set(['unauthorized', 'token_expired', 'account_disabled', 'forbidden']);

/** Connect to /agent and wire every server event to the desk state. */
export function startNet({ onAuthFailure }) {
  const socket = connect('/agent', session.token);
  net.socket = socket;

  socket.on('connect', () => {
    desk.emit('connection', { connected: true });
    resync().catch((e) => toast(`同步会话失败：${e.message}`, 'error'));
  });
  socket.on('disconnect', () => desk.emit('connection', { connected: false }));
  socket.on('connect_error', (err) => {
    if (AUTH_CODES.has(err?.data?.code)) onAuthFailure(err.message);
    else desk.emit('connection', { connected: false });
  });

  socket.on('assigned', ({ conversation, messages }) => {
    const entry = desk.upsert(conversation);
    entry.log.addAll(messages);
    entry.unread = Math.max(entry.unread, 1);
    desk.emit('messages', { id: conversation.id });
    announceAssignment(conversation);
    if (!desk.currentId) desk.select(conversation.id);
    else desk.emit('list');
  });

  socket.on('unassigned', ({ conversation_id: id, reason }) => {
    if (!desk.conversations.has(id)) return;
    const why = { transferred: '已转接', agent_disconnected: '因断线已重新排队', first_response_timeout: '首次响应超时已重新分配' };
    toast(`会话${why[reason] || '已移出'}`, 'warn');
    desk.remove(id);
  });

  socket.on('message', (msg) => onMessage(msg));

  socket.on('state', (st) => {
    const entry = desk.conversations.get(st.conversation_id);
    if (!entry) {
      desk.emit('watched-state', st);
      return;
    }
    entry.card = { ...entry.card, state: st.state, agent: st.agent ?? entry.card.agent, department: st.department ?? entry.card.department };
    if (st.state !== 'with_agent' && st.state !== 'escalated') entry.ended = true;
    desk.emit('list');
    if (st.conversation_id === desk.currentId) desk.emit('current');
  });

  socket.on('queue', ({ queues }) => {
    for (const q of queues || []) desk.queues.set(q.department, q);
    desk.emit('queues', { queues });
  });

  socket.on('alert', (alert) => {
    showAlert(alert, (id) => desk.select(id));
    desk.emit('alert', alert);
  });

  socket.on('typing', ({ conversation_id: id, who, on }) => {
    const entry = desk.conversations.get(id);
    if (!entry || who?.role !== 'user') return;
    entry.typing = !!on;
    if (id === desk.currentId) desk.emit('typing', { id });
  });

  socket.on('read', ({ conversation_id: id, who, seq }) => {
    const entry = desk.conversations.get(id);
    if (!entry || who?.role !== 'user') return;
    entry.readSeq = Math.max(entry.readSeq, seq);
    if (id === desk.currentId) desk.emit('messages', { id });
  });

  return socket;
}

function onMessage(msg) {
  const entry = desk.conversations.get(msg.conversation_id);
  if (!entry) {
    desk.emit('watched-message', msg);
    return;
  }
  if (!entry.log.add(msg)) return;
  const visible = msg.conversation_id === desk.currentId && document.visibilityState === 'visible';
  if (msg.sender?.role === 'user') {
    entry.typing = false;
    if (!visible) entry.unread += 1;
  }
  desk.emit('messages', { id: msg.conversation_id, added: [msg] });
  desk.emit('list');
  if (entry.log.hasGap()) syncConversation(entry).catch(() => {});
}

/** Everything the pane shows, fetched again: presence, my conversations, queues, missed messages. */
export async function resync() {
  const socket = net.socket;
  const pres = await call(socket, 'presence', { status: net.status });
  net.load = { active: pres.active, capacity: pres.capacity };
  desk.emit('presence', { status: net.status, ...net.load });
  const { conversations } = await call(socket, 'conversations');
  const open = new Set(conversations.map((c) => c.id));
  for (const [id, entry] of desk.conversations) {
    if (!open.has(id) && !entry.ended) desk.remove(id);
  }
  for (const card of conversations) desk.upsert(card);
  await Promise.all(conversations.map((c) => syncConversation(desk.conversations.get(c.id))));
  const { queues } = await call(socket, 'queues');
  desk.queues.clear();
  for (const q of queues) desk.queues.set(q.department, q);
  desk.emit('queues', { queues });
  if (!desk.currentId && conversations.length) desk.select(desk.ids()[0]);
  desk.emit('current');
}

/** Fetch the messages of a conversation after its last contiguous seq (pages of 500). */
export async function syncConversation(entry) {
  if (!entry) return;
  for (let page = 0; page < 20; page += 1) {
    const ack = await call(net.socket, 'sync', { conversation_id: entry.card.id, after_seq: entry.log.contiguous });
    const added = entry.log.addAll(ack.messages);
    if (ack.conversation) entry.card = { ...entry.card, ...ack.conversation };
    if (added.length) desk.emit('messages', { id: entry.card.id, added });
    if (!ack.has_more) break;
  }
  desk.emit('list');
}

export async function setPresence(status) {
  net.status = status;
  const ack = await call(net.socket, 'presence', { status });
  net.load = { active: ack.active, capacity: ack.capacity };
  desk.emit('presence', { status, ...net.load });
}
