// The chat view of the current conversation: header, bot summary and matter card, history.

import { h, replaceChildren, $ } from '../common/dom.js';
import { CHANNELS, STATES } from '../common/format.js';
import { matter, departmentName } from '../common/catalogue.js';
import { renderMessage } from '../common/message-view.js';
import { announceConversation } from '../common/media-hooks.js';
import { desk } from './store.js';
import { api } from './session.js';
import { net } from './net.js';
import { paintTimer } from './conv-list.js';
import { resend } from './composer.js';

const REASONS = { user_request: '用户要求转人工', bot: '小申无法解答', supervisor: '班长指派', low_confidence: '小申把握不足', phone: '电话来电' };
const SCOPES = { in_scope: '办事咨询', complaint_or_legal: '投诉或法律问题', chitchat: '闲聊', platform_tech: '平台技术问题', unknown: '未识别' };
const KINDS = { person: '个人事项', enterprise: '法人事项' };

export function openImage(url) {
  const viewer = h('div', { class: 'viewer', onClick: () => viewer.remove() }, h('img', { src: url, alt: '图片' }));
  document.body.append(viewer);
}

function contextBlock(card) {
  const s = card.summary || {};
  const m = matter(card.matter || s.matter);
  const summary = h('div', { class: 'context__card' },
    h('div', { class: 'context__title' }, '小申转人工摘要'),
    h('dl', { class: 'kv' },
      h('dt', {}, '用户问题'), h('dd', {}, s.question || '—'),
      s.bot_answer ? [h('dt', {}, '小申回答'), h('dd', { class: 'clamp' }, s.bot_answer)] : null,
      h('dt', {}, '转人工原因'), h('dd', {}, REASONS[s.reason] || s.reason || '—'),
      h('dt', {}, '问题类别'), h('dd', {}, SCOPES[s.scope || card.scope] || '—'),
      s.text ? [h('dt', {}, '摘要'), h('dd', {}, s.text)] : null));
  const matterCard = h('div', { class: 'context__card context__matter' },
    h('div', { class: 'context__title' }, '事项卡片'),
    m
      ? h('dl', { class: 'kv' },
        h('dt', {}, '事项'), h('dd', {}, h('strong', {}, m.name)),
        h('dt', {}, '主管部门'), h('dd', {}, departmentName(m.department)),
        h('dt', {}, '类型'), h('dd', {}, KINDS[m.kind] || m.kind || '—'),
        h('dt', {}, '编号'), h('dd', { class: 'mono' }, m.id))
      : h('p', { class: 'muted' }, '小申未识别出具体事项，请向用户确认。'),
    h('div', { class: 'context__foot muted' }, `当前部门：${departmentName(card.department)}`));
  return [summary, matterCard];
}

function renderHead(entry) {
  const { card } = entry;
  $('#chat-user').textContent = card.user?.name || card.user?.id || '用户';
  $('#chat-channel').textContent = CHANNELS[card.channel] || card.channel || '—';
  const state = $('#chat-state');
  state.textContent = STATES[card.state] || card.state;
  state.className = `pill ${card.state === 'with_agent' ? 'pill--green' : card.state === 'escalated' ? 'pill--orange' : ''}`;
  paintTimer($('#chat-timer'), card);
  const active = card.state === 'with_agent' && !entry.ended;
  for (const btn of document.querySelectorAll('.chat__actions [data-action]')) {
    const a = btn.dataset.action;
    btn.disabled = entry.ended ? a !== 'close' : !(active || (a === 'close' && card.state === 'escalated'));
  }
  const closeBtn = document.querySelector('[data-action="close"]');
  closeBtn.textContent = entry.ended ? '移出列表' : '结束会话';
  const canSend = (card.state === 'with_agent' || card.state === 'escalated') && !entry.ended;
  $('#input').disabled = !canSend;
  $('#send').disabled = !canSend;
  $('#pick-image').disabled = !canSend;
  $('#input').placeholder = canSend ? '输入回复内容…（Ctrl+Enter 发送）' : '会话已结束或已转出，不能再发送消息';
}

function statusOf(entry) {
  return (msg) => (msg.seq && entry.readSeq >= msg.seq ? 'read' : 'sent');
}

function renderMessages(entry) {
  const box = $('#messages');
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  const opts = {
    self: 'agent',
    mediaUrl: (u) => api.mediaUrl(u),
    onImage: openImage,
    onResend: (msg) => resend(entry, msg.client_msg_id),
    statusOf: statusOf(entry),
  };
  replaceChildren(box, entry.log.list().map((m) => renderMessage(m, opts)));
  if (nearBottom || box.dataset.for !== entry.card.id) box.scrollTop = box.scrollHeight;
  box.dataset.for = entry.card.id;
  markRead(entry);
}

let readTimer = null;
function markRead(entry) {
  const last = entry.log.last((m) => m.sender?.role === 'user');
  if (!last || document.visibilityState !== 'visible' || entry.ended) return;
  if ((entry.sentRead || 0) >= last.seq) return;
  clearTimeout(readTimer);
  readTimer = setTimeout(() => {
    entry.sentRead = last.seq;
    net.socket?.emit('read', { conversation_id: entry.card.id, seq: last.seq }, () => {});
  }, 300);
}

export function mountChat() {
  let shown = null;
  const renderCurrent = () => {
    const entry = desk.current;
    $('#chat-empty').hidden = !!entry;
    $('#chat-main').hidden = !entry;
    if (!entry) {
      if (shown !== null) announceConversation(null);
      shown = null;
      return;
    }
    renderHead(entry);
    replaceChildren($('#chat-context'), contextBlock(entry.card));
    renderMessages(entry);
    $('#typing').textContent = entry.typing ? '用户正在输入…' : '';
    if (shown !== entry.card.id) {
      shown = entry.card.id;
      announceConversation(shown);
      desk.emit('focus-composer');
    }
  };
  desk.addEventListener('current', renderCurrent);
  desk.addEventListener('messages', (e) => {
    if (e.detail.id === desk.currentId && desk.current) {
      renderMessages(desk.current);
      paintTimer($('#chat-timer'), desk.current.card);
    }
  });
  desk.addEventListener('typing', () => {
    $('#typing').textContent = desk.current?.typing ? '用户正在输入…' : '';
  });
  document.addEventListener('visibilitychange', () => {
    if (desk.current) {
      desk.current.unread = 0;
      markRead(desk.current);
      desk.emit('list');
    }
  });
  renderCurrent();
}

