// The review queue of drafts made from agents' resolved conversations ("add to knowledge base").

import { h, replaceChildren } from '../common/dom.js';
import { matters, matterName, dateText } from './ui.js';
import { answerDialog } from './answer.js';

export async function renderDrafts(view, ctx) {
  const list = await matters(ctx.api);
  const box = h('div', { id: 'drafts' });
  view.append(h('h2', {}, '待审核草稿'), box);
  async function load() {
    const { drafts } = await ctx.api.get('/api/v1/trainer/drafts');
    if (!drafts.length) { replaceChildren(box, h('p', { class: 'muted' }, '暂无待审核草稿。')); return; }
    replaceChildren(box, ...drafts.map((d) => h('div', { class: 'tr-card', dataset: { draft: d.id } },
      h('div', { class: 'muted' }, `${matterName(list, d.matter)} · 帮办 ${d.agent?.name || ''} · ${dateText(d.created_at)}`),
      h('p', {}, h('strong', {}, '问：'), d.question),
      h('p', {}, h('strong', {}, '答：'), d.answer),
      ctx.canEdit() ? h('div', { class: 'tr-row' },
        h('button', { type: 'button', class: 'btn btn--primary btn--sm', onClick: async () => {
          const done = await answerDialog(ctx, { title: '审核草稿', question: d.question, answer: d.answer, matter: d.matter,
            post: (body) => ctx.api.post(`/api/v1/trainer/drafts/${d.id}/approve`, body) });
          if (done) load();
        } }, '编辑并发布'),
        h('button', { type: 'button', class: 'btn btn--sm', onClick: async () => {
          await ctx.api.post(`/api/v1/trainer/drafts/${d.id}/reject`, { reason: '' });
          ctx.toast('已退回', 'ok');
          load();
        } }, '退回')) : null)));
  }
  await load();
}
