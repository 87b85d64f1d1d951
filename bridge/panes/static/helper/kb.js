// Knowledge-base search and one article, read out to the citizen on the spot.

import { $, h, replaceChildren, show } from '../common/dom.js';
import { matterName } from '../common/catalogue.js';

function article(a, back) {
  return [
    h('button', { type: 'button', class: 'hp-btn hp-back', onClick: back }, '‹ 返回结果'),
    h('h2', {}, a.title || a.question),
    h('p', { class: 'hp-muted' }, matterName(a.matter)),
    h('p', {}, a.answer),
    a.steps && a.steps.length ? h('ol', {}, a.steps.map((s) => h('li', {}, s))) : null,
    a.source ? h('p', { class: 'hp-muted' }, `来源：${a.source}`) : null,
  ];
}

/** Wire the search form: results as large buttons, a tap opens the article. */
export function mountKb(api) {
  const list = $('#kb-results');
  const view = $('#kb-article');
  const back = () => { show(view, false); show(list, true); };
  $('#kb-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const q = $('#kb-q').value.trim();
    if (!q) return;
    back();
    replaceChildren(list, h('li', { class: 'hp-empty' }, '正在查找…'));
    try {
      const { results } = await api.get('/api/v1/kb/search', { q, limit: 8 });
      if (!results.length) {
        replaceChildren(list, h('li', { class: 'hp-empty' }, '没有找到相关内容，请换个说法再试。'));
        return;
      }
      replaceChildren(list, results.map((a) => h('li', {}, h('button', {
        type: 'button', class: 'hp-item', dataset: { article: a.id },
        onClick: () => { replaceChildren(view, article(a, back)); show(list, false); show(view, true); },
      }, h('strong', {}, a.title || a.question), h('small', {}, matterName(a.matter))))));
    } catch (err) {
      replaceChildren(list, h('li', { class: 'hp-empty' }, `查询失败：${err.message}`));
    }
  });
}
