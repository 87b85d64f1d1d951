// Sending: text and images with a client_msg_id, sending/sent/failed state, safe resend,
// forbidden-words refusals shown on the composer, typing notices.

import { $ } from '../common/dom.js';
import { uuid } from '../common/ids.js';
import { call } from '../common/realtime.js';
import { toast } from '../common/dialog.js';
import { desk } from './store.js';
import { api, session } from './session.js';
import { net } from './net.js';

function showError(text) {
  const box = $('#composer-error');
  box.textContent = text;
  box.hidden = !text;
}

function refresh(entry) {
  desk.emit('messages', { id: entry.card.id });
  desk.emit('list');
}

/** Deliver a pending message (upload first for images); the same client_msg_id on every try. */
async function deliver(entry, local) {
  entry.log.setPendingStatus(local.client_msg_id, 'sending');
  refresh(entry);
  const pending = entry.log.pending.get(local.client_msg_id);
  try {
    if (local.type !== 'text' && !pending.media_id) {
      const media = await api.upload(entry.card.id, local.file, local.file.name);
      pending.media_id = media.media_id;
    }
    const payload = { conversation_id: entry.card.id, client_msg_id: local.client_msg_id, type: local.type };
    if (local.type === 'text') payload.text = local.text;
    if (local.kb_article) payload.kb_article = local.kb_article;
    else payload.media_id = pending.media_id;
    const ack = await call(net.socket, 'message', payload);
    entry.log.add({ ...pending, status: undefined, seq: ack.seq, ts: ack.ts, id: ack.id, media_id: pending.media_id,
      cards: ack.cards });
    if (!entry.card.first_response_at) entry.card.first_response_at = ack.ts;
    showError('');
  } catch (err) {
    if (err.code === 'forbidden_words') {
      entry.log.pending.delete(local.client_msg_id);
      const input = $('#input');
      if (!input.value.trim()) input.value = local.text;
      const phrase = err.extra?.phrase;
      showError(phrase ? `未发送：消息含有服务禁语“${phrase}”，请修改后再发送。` : err.message);
      input.focus();
    } else {
      entry.log.setPendingStatus(local.client_msg_id, 'failed', err.message);
    }
  }
  refresh(entry);
}

export function resend(entry, clientMsgId) {
  const p = entry.log.pending.get(clientMsgId);
  if (p) deliver(entry, p);
}

function newLocal(entry, fields) {
  return {
    client_msg_id: uuid(),
    conversation_id: entry.card.id,
    sender: { role: 'agent', id: session.me.id, name: session.me.name },
    ts: new Date().toISOString(),
    ...fields,
  };
}

// the article last inserted into the composer; its cards (videos, live sessions) go with the message
// that still holds its text
let inserted = null;

export function sendText(text) {
  const entry = desk.current;
  if (!entry || !text.trim()) return false;
  const article = inserted && inserted.conversation === entry.card.id && text.includes(inserted.text) ? inserted.id : null;
  inserted = null;
  const local = newLocal(entry, { type: 'text', text, ...(article ? { kb_article: article } : {}) });
  entry.log.addPending(local);
  deliver(entry, local);
  return true;
}

export function sendImage(file) {
  const entry = desk.current;
  if (!entry || !file) return;
  if (!file.type.startsWith('image/')) {
    toast('请选择图片文件', 'warn');
    return;
  }
  const local = newLocal(entry, { type: 'image', file, localUrl: URL.createObjectURL(file) });
  entry.log.addPending(local);
  deliver(entry, local);
}

/** Put text into the composer at the cursor (from the KB or canned responses); `articleId`: a KB article with cards. */
export function insertText(text, articleId = null) {
  const input = $('#input');
  if (input.disabled) {
    toast('当前会话不能发送消息', 'warn');
    return;
  }
  if (articleId && desk.current) inserted = { id: articleId, text, conversation: desk.current.card.id };
  const { selectionStart: a, selectionEnd: b, value } = input;
  input.value = value.slice(0, a) + text + value.slice(b);
  input.focus();
  input.selectionStart = input.selectionEnd = a + text.length;
}

let typingOn = false;
let typingTimer = null;
function typing() {
  const entry = desk.current;
  if (!entry) return;
  const id = entry.card.id;
  if (!typingOn) {
    typingOn = true;
    net.socket?.emit('typing', { conversation_id: id, on: true }, () => {});
  }
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => {
    typingOn = false;
    net.socket?.emit('typing', { conversation_id: id, on: false }, () => {});
  }, 2500);
}

export function submit() {
  const input = $('#input');
  if (input.disabled) return;
  if (sendText(input.value)) {
    input.value = '';
    showError('');
  }
}

export function mountComposer() {
  const input = $('#input');
  $('#send').addEventListener('click', submit);
  input.addEventListener('input', () => {
    typing();
    if (!$('#composer-error').hidden) showError('');
  });
  $('#pick-image').addEventListener('click', () => $('#image-input').click());
  $('#image-input').addEventListener('change', (e) => {
    sendImage(e.target.files[0]);
    e.target.value = '';
  });
  input.addEventListener('paste', (e) => {
    const file = [...(e.clipboardData?.files || [])].find((f) => f.type.startsWith('image/'));
    if (file) {
      e.preventDefault();
      sendImage(file);
    }
  });
  desk.addEventListener('current', () => showError(''));
  desk.addEventListener('focus-composer', () => { if (!input.disabled) input.focus(); });
}
