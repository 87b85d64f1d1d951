// Questions nobody answered, with their 5-working-day deadlines; answer them into the KB.

import { h, replaceChildren } from '../common/dom.js';
import { matters, matterName, dateText } from './ui.js';
import { answerDialog } from './answer.js';

export async function renderUnanswered(view, ctx) {
  const list = await matters(ctx.api);
  const table = h('table', { class: 'tr-table', id: 'unanswered-table' });
  const flag = h('button', { type: 'button', class: 'btn' }, '向班长提示超期问题');
  const info = h('span', { class: 'muted' });
  view.append(h('div', { class: 'tr-card' }, h('div', { class: 'tr-row' }, h('h2', { class: 'tr-grow' }, '未答问题'), info, flag), table));
  flag.addEventListener('click', async () => {
    const r = await ctx.api.post('/api/v1/trainer/unanswered/flag-overdue');
    ctx.toast(r.flagged ? `已提示 ${r.flagged} 个超期问题` : '没有新的超期问题', 'ok');
    load();
  });
  async function load() {
    const data = await ctx.api.get('/api/v1/trainer/unanswered');
    info.textContent = `今天 ${data.today} · 共 ${data.unanswered.length} 条`;
    replaceChildren(table, h('tr', {}, ...['问题', '事项', '次数', '首次提问', '答复期限', ''].map((t) => h('th', {}, t))),
      ...data.unanswered.map((u) => h('tr', {},
        h('td', {}, u.question, u.variants.length ? h('div', { class: 'muted' }, `相近问法：${u.variants.join(' / ')}`) : null),
        h('td', {}, matterName(list, u.matter)),
        h('td', {}, String(u.count)),
        h('td', {}, dateText(u.first_asked)),
        h('td', { class: u.overdue ? 'tr-overdue' : '' }, u.deadline, u.overdue ? '（已超期）' : ''),
        h('td', {}, ctx.canEdit() ? h('button', { type: 'button', class: 'btn btn--sm btn--primary', onClick: async () => {
          const done = await answerDialog(ctx, { title: '答复入库', question: u.question, matter: u.matter, answer: '',
            post: (body) => ctx.api.post(`/api/v1/trainer/unanswered/${encodeURIComponent(u.id)}/answer`, body) });
          if (done) load();
        } }, '答复入库') : null,
        ctx.canEdit() ? h('button', { type: 'button', class: 'btn btn--sm', onClick: async () => {
          await ctx.api.post(`/api/v1/trainer/unanswered/${encodeURIComponent(u.id)}/dismiss`, { reason: '非有效问题' });
          load();
        } }, '忽略') : null))));
  }
  await load();
}
