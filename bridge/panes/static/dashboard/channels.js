// Human help per channel, the phone line included (GET /api/v1/kpis `channels`), and the help hours of
// each channel from the one calendar (GET /api/v1/help-hours).

import { h, replaceChildren, $ } from '../common/dom.js';
import { CHANNELS, percent, seconds } from '../common/format.js';
import { departmentName } from '../common/catalogue.js';
import { api } from './session.js';

const HOUR_CHANNELS = { chat: '在线人工', phone: '电话热线', hall: '服务大厅' };
let calendar = null;

function row(id, c) {
  const phone = id === 'phone';
  return h('tr', { dataset: { channel: id } },
    h('th', { scope: 'row' }, CHANNELS[id] || id),
    h('td', { dataset: { kpi: 'offered' } }, String(c.offered)),
    h('td', { dataset: { kpi: 'answered' } }, String(c.answered)),
    h('td', { dataset: { kpi: 'answered_rate' } }, percent(c.answered_rate)),
    h('td', { dataset: { kpi: 'handling' } }, seconds(c.handling.p50_s)),
    h('td', { dataset: { kpi: 'resolution_rate' } }, `${percent(c.resolution_rate)}（${c.resolved}/${c.finished}）`),
    h('td', {}, phone ? `放弃 ${c.abandoned} · 通话P50 ${seconds(c.talk_p50_s)}` : '—'));
}

async function hoursLine(department) {
  try {
    calendar = calendar || await api.get('/api/v1/help-hours');
  } catch {
    return h('p', { class: 'chart-note' }, '服务时间加载失败');
  }
  const dep = department || 'triage';
  const parts = Object.entries(HOUR_CHANNELS).map(([ch, label]) => {
    const spec = calendar.calendar[ch]?.[dep];
    if (!spec) return null;
    const days = spec.every_day ? '每天' : '工作日';
    const open = calendar.open_now[ch]?.[dep] ? '（服务中）' : '';
    return `${label} ${days} ${spec.start}-${spec.end}${open}`;
  }).filter(Boolean);
  return h('p', { class: 'chart-note', id: 'help-hours' }, `${departmentName(dep)}服务时间：${parts.join(' · ')}`);
}

export async function renderChannels(k) {
  const channels = k.channels || {};
  const ids = Object.keys(channels).sort((a, b) => (a === 'phone') - (b === 'phone') || channels[b].offered - channels[a].offered);
  const table = h('table', { class: 'channel-table', id: 'channel-table' },
    h('thead', {}, h('tr', {}, ['渠道', '转人工/来电', '接通', '接通率', '处理时长P50', '解决率', '电话'].map((t) => h('th', {}, t)))),
    h('tbody', {}, ids.map((id) => row(id, channels[id]))));
  replaceChildren($('#chart-by-channel'), table, await hoursLine(k.filter?.department));
}
