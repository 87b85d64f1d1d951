// Entry point of the mobile user chat page.

import { $, h } from '../common/dom.js';
import { toast, openDialog } from '../common/dialog.js';
import { loadOptionalScripts, announceConversation } from '../common/media-hooks.js';
import { api, identity, obtainToken } from './identity.js';
import { ChatState } from './chat-state.js';
import { ChatClient } from './client.js';
import { renderMessages, renderState } from './view.js';
import { mountComposer } from './composer.js';
import { askRating } from './rating.js';
import { mountElder } from './elder.js';

const MEDIA_SCRIPTS = ['/media-static/call-user.js', '/media-static/cobrowse-user.js'];

async function boot() {
  mountElder();
  try {
    await obtainToken();
  } catch (err) {
    toast(`无法登录：${err.message}`, 'error', 60000);
    return;
  }
  const chat = new ChatState(identity.sub);
  const client = new ChatClient(chat);
  client.matter = new URLSearchParams(location.search).get('matter');
  const onButton = (b) => client.send({ type: 'text', text: b.payload || b.title, displayText: b.title });
  const onResend = (m) => client.resend(m.client_msg_id);
  const paint = () => renderMessages(chat, { onButton, onResend });

  let readSent = 0;
  chat.addEventListener('messages', (e) => {
    if (e.detail?.added?.some((m) => m.sender?.role === 'agent')) $('#typing').textContent = '';
    paint();
    const last = chat.log.last((m) => m.sender?.role === 'agent');
    if (last && last.seq > readSent && document.visibilityState === 'visible') {
      readSent = last.seq;
      client.read(last.seq);
    }
  });
  let announced = chat.conversationId;
  chat.addEventListener('state', () => {
    if (chat.state !== 'with_agent') $('#typing').textContent = '';
    renderState(chat);
    paint();
    if (announced !== chat.conversationId) {
      announced = chat.conversationId;
      announceConversation(announced);
    }
  });
  chat.addEventListener('changed', () => { renderState(chat); paint(); });
  chat.addEventListener('connection', (e) => { $('#conn').hidden = e.detail.connected; });
  let typingTimer = null;
  chat.addEventListener('typing', (e) => {
    $('#typing').textContent = e.detail.on ? '帮办人员正在输入…' : '';
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => { $('#typing').textContent = ''; }, 8000);
  });
  let rating = false;
  chat.addEventListener('rate', async (e) => {
    if (rating) return;
    rating = true;
    try {
      await askRating(e.detail.targets, (t, score, resolved, comment) => client.rate(e.detail.conversationId, t, score, resolved, comment));
    } finally {
      rating = false;
    }
  });

  $('#handoff').addEventListener('click', async () => {
    try {
      await client.handoff();
    } catch (err) {
      toast(err.message, 'error');
    }
  });
  $('#end').addEventListener('click', async () => {
    const ok = await openDialog({
      title: '结束咨询',
      content: h('p', {}, '确定结束本次咨询吗？结束后可以对本次服务进行评价。'),
      actions: [{ label: '继续咨询', value: false }, { label: '结束', kind: 'primary', value: true }],
    });
    if (!ok) return;
    try {
      await client.end();
    } catch (err) {
      toast(err.message, 'error');
    }
  });
  $('#new-chat').addEventListener('click', () => chat.startNew());

  mountComposer(client, chat);
  renderState(chat);
  paint();
  client.start();
  window.BangbanPane = {
    role: 'user', socket: client.socket, token: identity.token, api, slot: $('#media-slot'),
    currentConversation: () => chat.conversationId,
  };
  loadOptionalScripts(MEDIA_SCRIPTS);
}

boot();
