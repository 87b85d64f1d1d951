// 班长视图: all open conversations of my departments, agents and their load, queues;
// watch a conversation live, reassign it, or force a bot conversation to a human.

import { h, replaceChildren, $ } from '../common/dom.js';
import { call } from '../common/realtime.js';
import { openDialog, toast } from '../common/dialog.js';
import { CHANNELS, STATES, timer } from '../common/format.js';
import { departmentName, departments, matterName } from '../common/catalogue.js';
import { renderMessage } from '../common/message-view.js';
import { MessageLog } from '../common/message-log.js';
import { desk } from './store.js';
import { api } from './session.js';
import { net } from './net.js';
import { openImage } from './chat.js';

const STATUS = { online: '在线', away: '离开', offline: '离线' };
const view = { data: null, watching: null, log: null, timer: null };

const since = (iso) => (iso ? (Date.now() - new Date(iso).getTime()) / 1000 : null);

function agentsTable(agents) {
  return h('table', { class: 'table' },
    h('thead', {}, h('tr', {}, h('th', {}, '帮办'), h('th', {}, '状态'), h('th', {}, '接待量'), h('th', {}, '部门'))),
    h('tbody', {}, agents.map((a) => {
      const share = a.capacity ? Math.min(1, a.active / a.capacity) : 0;
      return h('tr', {},
        h('td', {}, h('strong', {}, a.name), h('div', { class: 'muted mono' }, a.id)),
        h('td', {}, h('span', { class: `status status--${a.status}` }, STATUS[a.status] || a.status)),
        h('td', {}, h('div', { class: 'load-bar', title: `${a.active}/${a.capacity}` },
          h('span', { style: { width: `${share * 100}%` }, class: share >= 1 ? 'is-full' : '' })),
        h('span', { class: 'mono' }, `${a.active}/${a.capacity}`)),
        h('td', { class: 'muted' }, (a.departments || []).map(departmentName).join('、')));
    })));
}

function convRow(c) {
  const wait = c.state === 'queued' ? since(c.queued_at) : c.state === 'with_agent' && !c.first_response_at ? since(c.assigned_at) : null;
  return h('tr', { class: view.watching === c.id ? 'is-current' : '' },
    h('td', {}, h('strong', {}, c.user?.name || c.user?.id || '')),
    h('td', {}, CHANNELS[c.channel] || c.channel || ''),
    h('td', {}, matterName(c.matter)),
    h('td', {}, departmentName(c.department)),
    h('td', {}, h('span', { class: `pill ${c.state === 'queued' ? 'pill--orange' : c.state === 'with_agent' ? 'pill--green' : ''}` }, STATES[c.state] || c.state)),
    h('td', {}, c.agent?.name || '—'),
    h('td', { class: `mono ${wait !== null && wait >= 60 ? 'is-late' : ''}` }, wait === null ? '—' : timer(wait)),
    h('td', { class: 'actions' },
      h('button', { type: 'button', class: 'btn btn--sm', onClick: () => watch(c.id) }, view.watching === c.id ? '旁听中' : '旁听'),
      ['queued', 'with_agent'].includes(c.state)
        ? h('button', { type: 'button', class: 'btn btn--sm', onClick: () => reassign(c) }, '改派') : null,
      c.state === 'bot'
        ? h('button', { type: 'button', class: 'btn btn--sm', onClick: () => forceHandoff(c) }, '转人工') : null));
}

function render() {
  const root = $('#supervise');
  const d = view.data;
  if (!d) {
    replaceChildren(root, h('p', { class: 'empty' }, '加载中…'));
    return;
  }
  const online = d.agents.filter((a) => a.status === 'online');
  const queued = d.conversations.filter((c) => c.state === 'queued').length;
  replaceChildren(root,
    h('div', { class: 'sup-stats' },
      stat('在线帮办', `${online.length}/${d.agents.length}`),
      stat('接待中', String(d.conversations.filter((c) => c.state === 'with_agent').length)),
      stat('排队中', String(queued), queued ? 'warn' : ''),
      stat('智能客服中', String(d.conversations.filter((c) => c.state === 'bot').length)),
      stat('已转12345', String(d.conversations.filter((c) => c.state === 'escalated').length))),
    h('div', { class: 'sup-grid' },
      h('section', { class: 'panel' },
        h('div', { class: 'pane-title' }, '进行中的会话'),
        d.conversations.length
          ? h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
            h('thead', {}, h('tr', {}, ['用户', '渠道', '事项', '部门', '状态', '帮办', '等待', ''].map((t) => h('th', {}, t)))),
            h('tbody', {}, d.conversations.map(convRow))))
          : h('p', { class: 'empty' }, '当前没有进行中的会话。')),
      h('section', { class: 'panel' },
        h('div', { class: 'pane-title' }, '帮办人员'),
        agentsTable(d.agents),
        h('div', { class: 'pane-title' }, '部门排队'),
        h('ul', { class: 'sup-queues' }, (d.queues || []).map((q) => h('li', {},
          h('span', {}, departmentName(q.department)),
          h('strong', {}, `${q.waiting} 人`),
          h('span', { class: 'muted' }, q.waiting ? `最长 ${timer(q.oldest_wait_s)}` : '')))),
        watchPanel())));
}

function stat(label, value, kind = '') {
  return h('div', { class: `stat ${kind ? `stat--${kind}` : ''}` }, h('div', { class: 'stat__value' }, value), h('div', { class: 'stat__label' }, label));
}

function watchPanel() {
  if (!view.watching) return null;
  const box = h('div', { class: 'watch__messages', id: 'watch-messages' });
  fillWatch(box);
  return h('div', { class: 'watch' },
    h('div', { class: 'pane-title' }, '旁听',
      h('button', { type: 'button', class: 'link', onClick: () => watch(null) }, '停止旁听')),
    box);
}

function fillWatch(box) {
  if (!box || !view.log) return;
  const opts = { self: 'agent', mediaUrl: (u) => api.mediaUrl(u), onImage: openImage };
  replaceChildren(box, view.log.list().map((m) => renderMessage(m, opts)));
  box.scrollTop = box.scrollHeight;
}

async function watch(id) {
  const previous = view.watching;
  if (previous && previous !== id) call(net.socket, 'watch', { conversation_id: previous, on: false }).catch(() => {});
  if (!id || id === previous) {
    view.watching = null;
    view.log = null;
    render();
    return;
  }
  try {
    await call(net.socket, 'watch', { conversation_id: id, on: true });
    view.watching = id;
    view.log = new MessageLog();
    const ack = await call(net.socket, 'sync', { conversation_id: id, after_seq: 0 });
    view.log.addAll(ack.messages);
    render();
  } catch (err) {
    toast(`旁听失败：${err.message}`, 'error');
  }
}

async function reassign(c) {
  const err = h('p', { class: 'dialog__error', role: 'alert' });
  const agents = (view.data?.agents || []).filter((a) => a.status === 'online' && a.id !== c.agent?.id);
  const target = h('select', { class: 'select' },
    h('option', { value: '' }, '— 选择帮办或部门 —'),
    h('optgroup', { label: '在线帮办' }, agents.map((a) => h('option', { value: `agent:${a.id}` }, `${a.name}（${a.active}/${a.capacity}）`))),
    h('optgroup', { label: '部门队列' }, departments().map((d) => h('option', { value: `department:${d.id}` }, d.name))));
  const note = h('textarea', { class: 'textarea', maxlength: 1000, placeholder: '改派说明' });
  await openDialog({
    title: '改派会话',
    content: h('div', {}, h('label', { class: 'field' }, h('span', {}, '改派给'), target),
      h('label', { class: 'field' }, h('span', {}, '说明'), note), err),
    actions: [{ label: '取消', value: null }, {
      label: '确认改派', kind: 'primary', onClick: async () => {
        const [kind, value] = target.value.split(':');
        if (!value) {
          err.textContent = '请选择改派对象。';
          return false;
        }
        try {
          await call(net.socket, 'reassign', { conversation_id: c.id, [kind]: value, note: note.value.trim() });
          toast('已改派', 'ok');
          refresh();
          return true;
        } catch (e) {
          err.textContent = e.message;
          return false;
        }
      },
    }],
  });
}

async function forceHandoff(c) {
  try {
    const ack = await call(net.socket, 'force_handoff', { conversation_id: c.id });
    toast(`已转人工（${STATES[ack.state] || ack.state}）`, 'ok');
    refresh();
  } catch (err) {
    toast(err.message, 'error');
  }
}

export async function refresh() {
  if (!net.socket?.connected) return;
  try {
    view.data = await call(net.socket, 'supervise');
  } catch (err) {
    toast(`班长视图刷新失败：${err.message}`, 'error');
    return;
  }
  if (!$('#supervise').hidden) render();
}

export function mountSupervisor() {
  desk.addEventListener('watched-message', (e) => {
    if (e.detail.conversation_id !== view.watching || !view.log) return;
    if (view.log.add(e.detail)) fillWatch($('#watch-messages'));
  });
  desk.addEventListener('queues', () => refresh());
  desk.addEventListener('watched-state', () => refresh());
  return {
    show() {
      render();
      refresh();
      clearInterval(view.timer);
      view.timer = setInterval(refresh, 10000);
    },
    hide() {
      clearInterval(view.timer);
    },
  };
}
