// Live side of the dashboard: /agent connection as the supervisor — agents and their load
// (`supervise`), and `queue`/`alert` events that trigger a refresh.

import { h, replaceChildren, $ } from '../common/dom.js';
import { connect, call } from '../common/realtime.js';
import { clock, timer } from '../common/format.js';
import { departmentName } from '../common/catalogue.js';

const STATUS = { online: '在线', away: '离开', offline: '离线' };
const ALERTS = {
  first_response_late: (a) => `${a.agent?.name || '帮办'}首次响应超时（${timer(a.waited_s || 0)}）`,
  forbidden_words: (a) => `${a.agent?.name || '帮办'}触发服务禁语“${a.phrase || ''}”`,
};

export function renderAgents(agents) {
  const sorted = [...agents].sort((a, b) => (a.status === 'online' ? 0 : 1) - (b.status === 'online' ? 0 : 1) || b.active - a.active);
  const online = agents.filter((a) => a.status === 'online');
  const load = online.reduce((n, a) => n + a.active, 0);
  const cap = online.reduce((n, a) => n + a.capacity, 0);
  replaceChildren($('#agents'),
    h('p', { class: 'chart-note' }, `在线 ${online.length} 人，接待 ${load} / 容量 ${cap}`),
    h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, ['帮办', '状态', '接待量', '部门'].map((t) => h('th', {}, t)))),
      h('tbody', {}, sorted.map((a) => h('tr', { dataset: { agent: a.id } },
        h('td', {}, h('strong', {}, a.name), ' ', h('span', { class: 'muted' }, a.id)),
        h('td', {}, h('span', { class: `status status--${a.status}` }, STATUS[a.status] || a.status)),
        h('td', {}, h('span', { class: 'load-bar' }, h('span', { style: { width: `${a.capacity ? Math.min(100, (a.active / a.capacity) * 100) : 0}%` } })), ` ${a.active}/${a.capacity}`),
        h('td', { class: 'muted' }, (a.departments || []).map(departmentName).join('、')))))));
}

export function addAlert(alert) {
  const list = $('#alerts');
  const text = (ALERTS[alert.kind] || ((a) => a.kind))(alert);
  list.prepend(h('li', { class: `feed feed--${alert.kind}` },
    h('span', { class: 'feed__time' }, clock(alert.ts || new Date().toISOString())), h('span', {}, text)));
  while (list.children.length > 30) list.lastChild.remove();
}

/** Connect and keep agents fresh; `onChange` is called on queue and alert events. */
export function startLive(token, onChange, onAuthFailure) {
  const socket = connect('/agent', token);
  const refreshAgents = async () => {
    if (!socket.connected) return;
    try {
      const ack = await call(socket, 'supervise');
      renderAgents(ack.agents);
    } catch { /* next tick */ }
  };
  socket.on('connect', () => {
    $('#conn').hidden = true;
    refreshAgents();
  });
  socket.on('disconnect', () => { $('#conn').hidden = false; });
  socket.on('connect_error', (err) => {
    if (['unauthorized', 'token_expired', 'forbidden', 'account_disabled'].includes(err?.data?.code)) onAuthFailure(err.message);
  });
  socket.on('queue', () => onChange());
  socket.on('alert', (alert) => {
    addAlert(alert);
    onChange();
  });
  return { socket, refreshAgents };
}
