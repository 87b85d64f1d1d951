// Rendering of the user chat page: greeting, messages, status strip, header buttons.

import { h, replaceChildren, $ } from '../common/dom.js';
import { renderMessage } from '../common/message-view.js';
import { clock, wait } from '../common/format.js';
import { api } from './identity.js';

export const GREETING = '您好，我是“一网通办”智能客服小申，可以为您解答办事问题。请问有什么可以帮您？';
export const QUICK = [
  { title: '公积金怎么提取', payload: '公积金怎么提取' },
  { title: '居住证怎么办理', payload: '居住证怎么办理' },
  { title: '社保卡补办', payload: '社保卡丢了怎么补办' },
];

function openImage(url) {
  const viewer = h('div', { class: 'viewer', onClick: () => viewer.remove() }, h('img', { src: url, alt: '图片' }));
  document.body.append(viewer);
}

/** The client-side greeting (not stored, shown before the user types). */
function greeting(onButton) {
  return renderMessage({
    sender: { role: 'bot', name: '小申' }, type: 'text', text: GREETING, buttons: QUICK, ts: null,
  }, { self: 'user', onButton, showNames: false });
}

export function renderMessages(chat, { onButton, onResend }) {
  const box = $('#messages');
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 120;
  const titles = chat.buttonTitles();
  const open = chat.state !== 'closed';
  const opts = {
    self: 'user',
    showNames: true,
    mediaUrl: (u) => api.mediaUrl(u),
    onImage: openImage,
    onButton: open ? onButton : null,
    onResend,
    statusOf: (m) => (m.seq && (chat.readSeq || 0) >= m.seq ? 'read' : null),
  };
  const items = chat.log.list().map((m) => {
    const shown = m.sender?.role === 'user' && m.type === 'text' && titles.has(m.text) ? { ...m, text: titles.get(m.text) } : m;
    return renderMessage(shown, opts);
  });
  replaceChildren(box, greeting(chat.conversationId && !open ? null : onButton), items);
  if (nearBottom || !box.dataset.ready) box.scrollTop = box.scrollHeight;
  box.dataset.ready = '1';
}

/** Status strip, header subtitle, which buttons are available. */
export function renderState(chat) {
  const { state, info } = chat;
  const status = $('#status');
  let text = '';
  let kind = '';
  if (state === 'queued') {
    const pos = info.queue_position;
    if (info.left_message) {
      text = `已为您留言，帮办人员将于${clock(info.reply_after) || '工作时间'}后尽快回复`;
    } else {
      text = pos ? `正在为您转接人工服务，您排在第 ${pos} 位，预计等待${wait(info.estimated_wait_s)}` : '正在为您转接人工服务，请稍候…';
    }
    kind = 'queued';
  } else if (state === 'with_agent') {
    text = `帮办人员${info.agent?.name || ''}正在为您服务`;
    kind = 'agent';
  } else if (state === 'escalated') {
    text = `您的问题已转12345市民服务热线${info.ticket ? `（工单号 ${info.ticket}）` : ''}`;
    kind = 'escalated';
  }
  status.textContent = text;
  status.className = `h5-status h5-status--${kind}`;
  status.hidden = !text;
  $('#head-sub').textContent = state === 'with_agent' ? `人工服务 · ${info.agent?.name || '帮办人员'}` : '一网通办 · 在线帮办';
  $('#handoff').hidden = !(state === 'bot' || state === null);
  $('#handoff').disabled = !chat.conversationId;
  $('#end').hidden = !chat.conversationId || state === 'closed';
  const closed = state === 'closed';
  $('#closed-bar').hidden = !closed;
  $('#composer').hidden = closed;
}
