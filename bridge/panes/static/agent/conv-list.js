// The list of my conversations: unread counts, channel, matter, first-response timer.

import { h, replaceChildren, $ } from '../common/dom.js';
import { CHANNELS, STATES, timer } from '../common/format.js';
import { matterName } from '../common/catalogue.js';
import { desk } from './store.js';

const LATE_S = 60;

/** Seconds since assignment without a first reply, or null once answered. */
export function waitingSince(card) {
  if (card.first_response_at || !card.assigned_at) return null;
  return (Date.now() - new Date(card.assigned_at).getTime()) / 1000;
}

function preview(entry) {
  const last = entry.log.last((m) => m.sender?.role !== 'system') || entry.log.last();
  if (!last) return '';
  const body = last.type === 'image' ? '[图片]' : last.type === 'voice' ? '[语音]' : last.text || '';
  return `${last.sender?.role === 'agent' ? '我：' : ''}${body}`;
}

function timerCell(card) {
  const el = h('span', { class: 'timer', dataset: { timerFor: card.id } });
  paintTimer(el, card);
  return el;
}

function paintTimer(el, card) {
  const s = waitingSince(card);
  if (s === null) {
    el.textContent = card.first_response_at ? '已响应' : '';
    el.className = 'timer is-done';
  } else {
    el.textContent = `待回复 ${timer(s)}`;
    el.className = `timer${s >= LATE_S ? ' is-late' : ''}`;
  }
}

function item(entry) {
  const { card } = entry;
  const li = h('li', {
    class: `conv${card.id === desk.currentId ? ' is-current' : ''}${entry.ended ? ' is-ended' : ''}`,
    dataset: { id: card.id },
    tabindex: 0,
    onClick: () => desk.select(card.id),
    onKeydown: (e) => { if (e.key === 'Enter') desk.select(card.id); },
  },
  h('div', { class: 'conv__row' },
    h('strong', { class: 'conv__name' }, card.user?.name || card.user?.id || '用户'),
    entry.unread ? h('span', { class: 'badge', 'aria-label': '未读' }, String(entry.unread)) : null,
    h('span', { class: 'conv__spacer' }),
    timerCell(card)),
  h('div', { class: 'conv__row conv__tags' },
    h('span', { class: 'pill' }, CHANNELS[card.channel] || card.channel || '—'),
    entry.ended || card.state !== 'with_agent'
      ? h('span', { class: `pill ${card.state === 'escalated' ? 'pill--orange' : ''}` }, STATES[card.state] || card.state)
      : null,
    h('span', { class: 'conv__matter' }, matterName(card.matter))),
  h('div', { class: 'conv__preview' }, preview(entry)));
  return li;
}

export function mountConversationList() {
  const list = $('#conv-list');
  const render = () => {
    const ids = desk.ids();
    replaceChildren(list, ids.map((id) => item(desk.conversations.get(id))));
    $('#conv-empty').hidden = ids.length > 0;
    $('#conv-count').textContent = ids.length ? `(${ids.length})` : '';
    const unread = [...desk.conversations.values()].reduce((n, e) => n + e.unread, 0);
    document.title = unread ? `(${unread}) 帮办工作台` : '帮办工作台 · 一网通办';
  };
  desk.addEventListener('list', render);
  setInterval(() => {
    for (const el of list.querySelectorAll('[data-timer-for]')) {
      const entry = desk.conversations.get(el.dataset.timerFor);
      if (entry) paintTimer(el, entry.card);
    }
    const head = $('#chat-timer');
    if (head && desk.current) paintTimer(head, desk.current.card);
  }, 1000);
  render();
}

export { paintTimer };
