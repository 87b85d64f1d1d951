// Who changed what and when, with the diff.

import { h, replaceChildren } from '../common/dom.js';
import { dateText } from './ui.js';

export async function renderHistory(view, ctx) {
  const box = h('div', { id: 'history' });
  view.append(h('h2', {}, '修改记录'), box);
  const { history } = await ctx.api.get('/api/v1/trainer/history');
  replaceChildren(box, ...history.map((e) => h('div', { class: 'tr-card' },
    h('div', { class: 'muted' }, `${dateText(e.ts)} · ${e.by.name} · ${e.action} · ${e.target}`),
    h('p', {}, e.summary),
    e.diff ? h('details', {}, h('summary', {}, '查看差异'), h('pre', { class: 'tr-diff' }, e.diff)) : null)));
  if (!history.length) box.append(h('p', { class: 'muted' }, '暂无记录。'));
}
