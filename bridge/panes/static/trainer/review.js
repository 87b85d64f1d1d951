// 对话回顾: real bot conversations by period, matter and outcome; claim one and act on its turns.

import { h, replaceChildren } from '../common/dom.js';
import { matters, matterSelect, matterName, dateText } from './ui.js';
import { turnCard } from './review-turn.js';
import { SCORES } from '../common/format.js';

export const OUTCOMES = { resolved: '已解决', handed_off: '转人工', unanswered: '未答', low_confidence: '低置信度',
  bad_rating: '差评' };

function dayText(d) {
  return new Date(d.getTime() + 8 * 3600e3).toISOString().slice(0, 10);
}

function outcomeTags(list) {
  return list.map((o) => h('span', { class: `tr-tag rv-${o}` }, OUTCOMES[o] || o));
}

export async function renderReview(view, ctx) {
  const list = await matters(ctx.api);
  const intents = (await ctx.api.get('/api/v1/trainer/nlu')).intents.map((i) => i.name);
  const f = {
    since: h('input', { class: 'input', type: 'date', name: 'since', 'aria-label': '开始日期', value: dayText(new Date(Date.now() - 7 * 864e5)) }),
    until: h('input', { class: 'input', type: 'date', name: 'until', 'aria-label': '结束日期', value: dayText(new Date()) }),
    matter: matterSelect([{ id: '', name: '全部事项' }, ...list.filter((m) => m.id)], ''),
    outcome: h('select', { class: 'select', name: 'outcome', 'aria-label': '结果' }, h('option', { value: '' }, '全部结果'),
      ...Object.entries(OUTCOMES).map(([k, v]) => h('option', { value: k }, v))),
  };
  const search = h('button', { type: 'button', class: 'btn btn--primary', id: 'review-search' }, '查询');
  const ul = h('ul', { class: 'tr-list', id: 'review-list', tabindex: '0', 'aria-label': '对话列表' });
  const detail = h('div', { id: 'review-detail' }, h('p', { class: 'muted' }, '选择左侧的一段对话。'));
  view.append(h('div', { class: 'tr-row rv-filters', id: 'review-filters' }, f.since, '至', f.until, f.matter, f.outcome, search),
    h('div', { class: 'tr-split' }, ul, detail));
  let current = null;

  async function load() {
    const { conversations } = await ctx.api.get('/api/v1/trainer/reviews', {
      since: f.since.value, until: f.until.value, matter: f.matter.value, outcome: f.outcome.value });
    if (!conversations.length) { replaceChildren(ul, h('li', { class: 'muted' }, '没有符合条件的对话。')); return; }
    replaceChildren(ul, ...conversations.map((c) => h('li', {
      'aria-current': String(c.id === current), dataset: { id: c.id }, class: 'rv-item',
      onClick: () => { current = c.id; load(); open(c.id); } },
    h('div', {}, h('div', {}, c.question || '（无文字）'),
      h('div', { class: 'muted' }, `${dateText(c.created_at)} · ${matterName(list, c.matter)} · ${c.turns}轮`),
      h('div', {}, ...outcomeTags(c.outcomes),
        c.review ? h('span', { class: 'tr-tag rv-claimed' }, `${c.review.status === 'done' ? '已回顾' : '回顾中'}：${c.review.by?.name || ''}`) : null)))));
  }

  async function open(cid) {
    const { conversation: c } = await ctx.api.get(`/api/v1/trainer/reviews/${encodeURIComponent(cid)}`);
    const mine = c.review && c.review.by?.id === ctx.me.id;
    const claim = ctx.canEdit() && !mine ? h('button', { type: 'button', class: 'btn btn--primary', id: 'review-claim',
      onClick: () => act(`/api/v1/trainer/reviews/${cid}/claim`, '已认领，可以开始回顾') }, '认领回顾') : null;
    const done = mine && c.review.status !== 'done' ? h('button', { type: 'button', class: 'btn', id: 'review-done',
      onClick: () => act(`/api/v1/trainer/reviews/${cid}/done`, '已标记为回顾完成') }, '完成回顾') : null;
    const answered = c.turns.filter((t) => t.answers.length && t.understood.intent);
    const whole = mine && answered.length > 1 ? h('button', { type: 'button', class: 'btn', id: 'review-story',
      onClick: () => act(`/api/v1/trainer/reviews/${cid}/test-story`, '整段对话已保存为测试对话',
        { seqs: answered.map((t) => t.seq) }) }, '整段存为测试对话') : null;
    const who = c.review ? h('span', { class: 'muted', id: 'review-state' },
      `${c.review.status === 'done' ? '已回顾' : '回顾中'} · ${c.review.by?.name || ''}`) : null;
    const rating = c.rating ? h('span', { class: 'muted' }, `评价：${c.rating.score}星（${SCORES[c.rating.score - 1]}）${c.rating.resolved === false ? '（未解决）' : ''}`) : null;
    const env = { ctx, cid, list, intents, editable: ctx.canEdit() && mine, reload: () => open(cid) };
    replaceChildren(detail,
      h('div', { class: 'tr-row' }, h('h2', { class: 'tr-grow' }, `对话 ${cid.slice(0, 8)} · ${dateText(c.created_at)}`),
        ...outcomeTags(c.outcomes), rating, who, claim, whole, done),
      ...c.turns.map((t) => turnCard(t, env)),
      (c.review?.actions || []).length ? h('div', { class: 'tr-card' }, h('h3', {}, '本次回顾的操作'),
        h('ul', {}, ...c.review.actions.map((a) => h('li', {}, `${a.kind === 'nlu' ? '例句' : a.kind === 'draft' ? '草稿' : '测试对话'}`
          + ` · 第${a.seq ?? (a.seqs || []).join('、')}条 · ${a.example || a.story || a.draft || ''}`)))) : null);
  }

  async function act(path, message, body) {
    try {
      await ctx.api.post(path, body);
      ctx.toast(message, 'ok');
    } catch (err) {
      ctx.toast(err.message, 'error');
    }
    await open(current);
    await load();
  }

  search.addEventListener('click', () => load().catch((err) => ctx.toast(err.message, 'error')));
  await load();
}
