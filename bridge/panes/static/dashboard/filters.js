// The filter bar: department, channel, date range → the query of GET /api/v1/kpis.

import { h, replaceChildren, $ } from '../common/dom.js';
import { CHANNELS } from '../common/format.js';
import { departments, departmentName } from '../common/catalogue.js';

const pad = (n) => String(n).padStart(2, '0');
const ymd = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

export function mountFilters(me, onChange) {
  const all = me.role === 'admin' || (me.departments || []).includes('*');
  const deps = all ? departments().map((d) => d.id) : me.departments || [];
  const depSelect = $('#f-department');
  const options = deps.map((id) => h('option', { value: id }, departmentName(id)));
  // A supervisor of several departments must pick one; one department or "all" for admins.
  replaceChildren(depSelect, all ? h('option', { value: '' }, '全部部门') : null, options);
  replaceChildren($('#f-channel'), h('option', { value: '' }, '全部渠道'),
    Object.entries(CHANNELS).map(([id, name]) => h('option', { value: id }, name)));
  const today = new Date();
  const weekAgo = new Date(today.getTime() - 6 * 86400000);
  $('#f-from').value = ymd(weekAgo);
  $('#f-to').value = ymd(today);
  $('#filters').addEventListener('change', onChange);
  $('#filters').addEventListener('submit', (e) => e.preventDefault());
}

/** The query for the API; `to` is inclusive on screen and exclusive in the API. */
export function currentQuery() {
  const q = {};
  const dep = $('#f-department').value;
  const channel = $('#f-channel').value;
  const from = $('#f-from').value;
  const to = $('#f-to').value;
  if (dep) q.department = dep;
  if (channel) q.channel = channel;
  if (from) q.from = from;
  if (to) {
    const [y, m, d] = to.split('-').map(Number);
    q.to = ymd(new Date(y, m - 1, d + 1));
  }
  return q;
}
