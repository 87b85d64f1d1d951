// Offline help in the dashboard: problems logged by window staff, volunteers and officials (GET
// /api/v1/offline-help/summary) by hall and by matter, and the open items, overdue first.

import { $, h, replaceChildren } from '../common/dom.js';
import { matterName } from '../common/catalogue.js';

const STATUS = { open: '挂账', rectifying: '整改中', closed: '已销号' };

function table(rows, key, label, name = (v) => v || '未填写') {
  if (!rows.length) return h('p', { class: 'chart-empty' }, '暂无登记');
  return h('table', { class: 'offline-table', dataset: { group: key } },
    h('thead', {}, h('tr', {}, [label, '登记', '未销号', '超期'].map((t) => h('th', {}, t)))),
    h('tbody', {}, rows.map((r) => h('tr', { dataset: { key: r[key] } },
      h('td', {}, name(r[key])), h('td', {}, String(r.total)), h('td', {}, String(r.open)),
      h('td', { class: r.overdue ? 'is-bad' : '' }, String(r.overdue))))));
}

function items(list) {
  if (!list.length) return h('p', { class: 'chart-empty' }, '没有未销号的问题');
  return h('ul', { class: 'offline-items' }, list.map((e) => h('li', {
    class: e.overdue ? 'is-overdue' : '', dataset: { entry: e.id },
  }, h('span', { class: 'offline-items__status' }, e.overdue ? '已超期' : STATUS[e.status] || e.status),
  h('span', {}, `${matterName(e.matter)} · ${e.found_where || '—'} · 期限 ${e.deadline || '—'}`),
  h('span', { class: 'offline-items__text' }, e.problem,
    (e.photos || []).map((id) => h('img', { class: 'offline-photo', alt: '现场照片', dataset: { media: id } }))))));
}

/** Thumbnails of the items' photos, through short-lived signed links. */
function loadPhotos(api) {
  for (const img of document.querySelectorAll('#offline img[data-media]')) {
    api.mediaUrl(`/api/v1/media/${encodeURIComponent(img.dataset.media)}?thumb=1`).then((url) => { img.src = url; });
  }
}

/** Draw the section from one summary answer. */
export function renderOffline(s) {
  replaceChildren($('#offline'),
    h('p', { class: 'offline-totals', dataset: { total: s.total, open: s.open, overdue: s.overdue } },
      `共登记 ${s.total} 条 · 未销号 ${s.open} 条 · 超期 ${s.overdue} 条 · 已销号 ${s.closed} 条`),
    h('div', { class: 'offline-grid' },
      h('section', {}, h('h3', {}, '按服务大厅'), table(s.by_hall, 'hall', '服务大厅')),
      h('section', {}, h('h3', {}, '按事项'), table(s.by_matter, 'matter', '事项', matterName)),
      h('section', {}, h('h3', {}, '未销号问题（超期在前）'), items(s.items))));
}

/** Fetch and draw the section for the dashboard's department filter; failures leave a note. */
export async function refreshOffline(api, query) {
  try {
    renderOffline(await api.get('/api/v1/offline-help/summary', { department: query.department }));
    loadPhotos(api);
  } catch (err) {
    replaceChildren($('#offline'), h('p', { class: 'chart-empty' }, `线下帮办数据加载失败：${err.message}`));
  }
}
