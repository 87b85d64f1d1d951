// 差评整改 (核实整改) for supervisors: items of 不满意/非常不满意 ratings by deadline, an overdue badge and
// filter, claim, record 核实情况 and 整改结果, close (the citizen is then informed).

import { h, replaceChildren, $ } from '../common/dom.js';
import { matterName, departmentName } from '../common/catalogue.js';
import { toast } from '../common/dialog.js';

const STATUS = { open: '待认领', claimed: '核实整改中', closed: '已办结' };
const CITIZEN = { notified: '已通知市民', not_reachable: '市民无法触达' };
let onlyOverdue = false;

async function act(api, reload, call, done) {
  try {
    await call();
    toast(done);
  } catch (err) {
    toast(err.message, 'error');
  }
  reload();
}

function recordForm(api, item, reload) {
  const verification = h('textarea', { class: 'textarea', rows: 2, 'aria-label': '核实情况', placeholder: '核实情况' }, item.verification);
  const result = h('textarea', { class: 'textarea', rows: 2, 'aria-label': '整改结果', placeholder: '整改结果' }, item.result);
  const path = `/api/v1/rectifications/${encodeURIComponent(item.id)}`;
  return h('div', { class: 'rectify__form' }, verification, result,
    h('button', { type: 'button', class: 'btn btn--sm', onclick: () => act(api, reload,
      () => api.request('PUT', path, { body: { verification: verification.value, result: result.value } }), '已保存。') }, '保存'),
    h('button', { type: 'button', class: 'btn btn--sm btn--primary', onclick: () => act(api, reload,
      () => api.post(`${path}/close`), '已办结，将告知市民整改结果。') }, '办结'));
}

function itemRow(api, item, reload) {
  const claim = item.status === 'open' ? h('button', {
    type: 'button', class: 'btn btn--sm', 'aria-label': `认领整改 ${item.id}`,
    onclick: () => act(api, reload, () => api.post(`/api/v1/rectifications/${encodeURIComponent(item.id)}/claim`), '已认领。'),
  }, '认领') : null;
  return h('li', { class: `feed ${item.overdue ? 'is-bad' : ''}`, dataset: { id: item.id, status: item.status } },
    h('span', { class: 'pill' }, item.overdue ? '已超期' : STATUS[item.status] || item.status),
    h('span', {}, `${item.level_name} · ${item.target === 'agent' ? '人工帮办' : '智能客服'} · ${matterName(item.matter)} · `
      + `${departmentName(item.department)} · 期限 ${item.deadline}`),
    item.text ? h('span', { class: 'muted' }, `“${item.text}”`) : null,
    item.citizen ? h('span', { class: 'muted' }, CITIZEN[item.citizen.state] || item.citizen.state) : null,
    claim, item.status === 'claimed' ? recordForm(api, item, reload) : null);
}

/** Load the rectification items into #rectify (and the overdue count into its badge). */
export async function refreshRectify(api, query = {}) {
  const box = $('#rectify');
  if (!box) return;
  const reload = () => refreshRectify(api, query);
  try {
    const q = { ...(query.department ? { department: query.department } : {}), ...(onlyOverdue ? { overdue: '1' } : {}) };
    const data = await api.get('/api/v1/rectifications', q);
    const badge = $('#rectify-badge');
    badge.textContent = String(data.overdue);
    badge.hidden = !data.overdue;
    const open = data.rectifications.filter((i) => i.status !== 'closed' || onlyOverdue);
    const filter = h('label', { class: 'chart-note' }, h('input', {
      type: 'checkbox', id: 'rectify-overdue', checked: onlyOverdue,
      onchange: (e) => { onlyOverdue = e.target.checked; reload(); },
    }), ' 只看超期');
    replaceChildren(box, filter, open.length
      ? h('ul', { class: 'alerts-feed', id: 'rectify-items' }, open.map((i) => itemRow(api, i, reload)))
      : h('p', { class: 'chart-empty' }, '没有待处理的差评整改。'));
  } catch { /* optional section */ }
}
