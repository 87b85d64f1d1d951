// KPI cards and charts drawn from one GET /api/v1/kpis answer.

import { h, replaceChildren, $ } from '../common/dom.js';
import { CHANNELS, SCORES, percent, seconds, timer } from '../common/format.js';
import { matterName, departmentName } from '../common/catalogue.js';
import { hbars, columns, donut, rateBar, PALETTE } from './charts.js';
import { renderChannels } from './channels.js';

const get = (obj, path) => path.split('.').reduce((o, k) => (o == null ? o : o[k]), obj);

/** One KPI card; `data-kpi` names the API field and `data-raw` holds its value (for checks). */
function card(k, { key, label, value, sub, tone }) {
  const raw = get(k, key);
  return h('div', { class: `card${tone ? ` card--${tone}` : ''}`, dataset: { kpi: key, raw: JSON.stringify(raw ?? null) } },
    h('div', { class: 'card__label' }, label),
    h('div', { class: 'card__value' }, value(raw)),
    h('div', { class: 'card__sub' }, sub || ''));
}

export function renderKpis(k) {
  const queues = k.queues || [];
  const waiting = queues.reduce((n, q) => n + q.waiting, 0);
  const oldest = queues.reduce((n, q) => Math.max(n, q.oldest_wait_s), 0);
  const esc = k.escalation;
  replaceChildren($('#cards'),
    card(k, { key: 'conversations', label: '咨询总量', value: (v) => String(v ?? 0), sub: `转人工 ${k.bot.handed_off}` }),
    card(k, { key: 'bot.resolution_rate', label: '智能客服解决率', value: percent, sub: `已解决 ${k.bot.resolved} / ${k.bot.conversations}` }),
    card(k, { key: 'human.resolution_rate', label: '人工解决率', value: percent, sub: `已解决 ${k.human.resolved} / 已办结 ${k.human.finished}` }),
    card(k, { key: 'first_response.p50_s', label: '首次响应 P50', value: seconds, sub: `P90 ${seconds(k.first_response.p90_s)}` }),
    card(k, {
      key: 'first_response.within_60s', label: '60秒内首次响应', value: percent, sub: `共 ${k.first_response.count} 次人工接入`,
      tone: k.first_response.within_60s !== null && k.first_response.within_60s < 0.9 ? 'warn' : '',
    }),
    card(k, {
      key: 'escalation.rate', label: '转12345比例', value: percent, sub: `${esc.escalated} / ${esc.served}，上限 ${percent(esc.ceiling, 0)}`,
      tone: esc.rate !== null && esc.rate > esc.ceiling ? 'bad' : 'good',
    }),
    card(k, { key: 'wait.p50_s', label: '排队等待 P50', value: seconds, sub: `当前排队 ${waiting} 人，最长 ${timer(oldest)}`, tone: waiting ? 'warn' : '' }),
    card(k, { key: 'ratings.average.agent', label: '帮办平均评分', value: (v) => (v == null ? '—' : `${v.toFixed(2)} 分`), sub: `小申 ${k.ratings.average.bot ?? '—'} 分 · ${k.ratings.count} 条评价` }));

  replaceChildren($('#chart-fr'), hbars([
    { label: 'P50', value: k.first_response.p50_s ?? 0, display: seconds(k.first_response.p50_s), color: PALETTE[0] },
    { label: 'P90', value: k.first_response.p90_s ?? 0, display: seconds(k.first_response.p90_s), color: PALETTE[2] },
    { label: '目标', value: 60, display: '60秒', color: '#94a3b8' },
  ], { labelWidth: 50, width: 420, row: 30 }),
  h('p', { class: 'chart-note' }, `60秒内响应占比 ${percent(k.first_response.within_60s)}`));

  replaceChildren($('#chart-escalation'), rateBar(esc.rate, esc.ceiling),
    h('p', { class: `chart-note ${esc.rate > esc.ceiling ? 'is-bad' : ''}` },
      esc.rate === null ? '暂无人工服务会话' : `当前 ${percent(esc.rate)}，${esc.rate > esc.ceiling ? '已超过上限' : '在上限以内'}`));

  const dist = k.ratings.distribution;
  replaceChildren($('#chart-ratings'), columns(SCORES, [
    { name: '智能客服小申', color: PALETTE[0], values: [1, 2, 3, 4, 5].map((s) => dist.bot[String(s)] || 0) },
    { name: '帮办人员', color: PALETTE[1], values: [1, 2, 3, 4, 5].map((s) => dist.agent[String(s)] || 0) },
  ]));

  renderChannels(k);
  replaceChildren($('#chart-channels'), donut(Object.entries(k.by_channel).map(([id, n]) => ({ label: CHANNELS[id] || id, value: n }))));

  const matters = Object.entries(k.by_matter).sort((a, b) => b[1] - a[1]).slice(0, 12);
  replaceChildren($('#chart-matters'), hbars(matters.map(([id, n]) => ({ label: id === 'unknown' ? '未识别事项' : matterName(id), value: n })),
    { width: 860, labelWidth: 300 }));

  replaceChildren($('#chart-queues'), hbars(queues.map((q) => ({
    label: departmentName(q.department), value: q.waiting,
    display: q.waiting ? `${q.waiting} 人 · 最长 ${timer(q.oldest_wait_s)}` : '0', color: q.oldest_wait_s >= 120 ? PALETTE[5] : PALETTE[2],
  })), { labelWidth: 150, width: 420, empty: '暂无排队' }));
}
