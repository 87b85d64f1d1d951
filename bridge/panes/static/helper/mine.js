// The helper's own logged problems: status (挂账, 整改中, 已销号), deadline, the ledger's steps.

import { $, h, replaceChildren, show } from '../common/dom.js';
import { matterName } from '../common/catalogue.js';
import { clock } from '../common/format.js';

const STATUS = { open: '挂账', rectifying: '整改中', closed: '已销号' };

const status = (e) => [h('span', { class: `hp-status hp-status--${e.status}` }, STATUS[e.status] || e.status),
  e.overdue ? h('span', { class: 'hp-overdue' }, '已超期') : null];

function detail(e, back) {
  const rows = [['编号', e.id], ['事项', matterName(e.matter)], ['地点', e.found_where || '—'],
    ['整改期限', e.deadline || '—'], ['整改措施', e.plan || '—'], ['整改结果', e.result || '—'],
    ['回头看', [e.review_date, e.review_note].filter(Boolean).join(' ') || '—'],
    ['回访', e.citizen?.consent ? `同意（${e.citizen.contact}）` : '未同意']];
  return [
    h('button', { type: 'button', class: 'hp-btn hp-back', onClick: back }, '‹ 返回列表'),
    h('p', {}, status(e)),
    h('p', {}, e.problem),
    h('dl', { class: 'hp-dl' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    e.photos?.length ? h('div', { class: 'hp-photos' }, e.photos.map((id) => h('img', { alt: '现场照片', dataset: { media: id } }))) : null,
    h('h3', {}, '办理经过'),
    h('ol', { class: 'hp-history' }, (e.history || []).map((s) => h('li', {},
      `${clock(s.ts)} ${STATUS[s.status] || s.status}${s.note ? `：${s.note}` : ''}`))),
  ];
}

/** The list of the caller's items; returns `refresh()`. */
export function mountMine(api) {
  const list = $('#mine-list');
  const view = $('#mine-detail');
  const back = () => { show(view, false); show(list, true); };
  const open = async (id) => {
    const { entry } = await api.get(`/api/v1/offline-help/problems/${encodeURIComponent(id)}`);
    replaceChildren(view, detail(entry, back));
    show(list, false);
    show(view, true);
    for (const img of view.querySelectorAll('img[data-media]')) {
      api.mediaUrl(`/api/v1/media/${encodeURIComponent(img.dataset.media)}?thumb=1`).then((url) => { img.src = url; });
    }
  };
  return async function refresh() {
    back();
    const { entries } = await api.get('/api/v1/offline-help/problems');
    if (!entries.length) {
      replaceChildren(list, h('li', { class: 'hp-empty' }, '您还没有登记过问题。'));
      return;
    }
    replaceChildren(list, entries.map((e) => h('li', {}, h('button', {
      type: 'button', class: 'hp-item', dataset: { entry: e.id }, onClick: () => open(e.id),
    }, h('strong', {}, e.problem.slice(0, 40)),
    h('small', {}, status(e), ` ${matterName(e.matter)} · 期限 ${e.deadline || '—'}`)))));
  };
}
