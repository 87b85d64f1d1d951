// 问题台账: register problems, move them open → rectifying → closed, review dates, hot spots, export.

import { h, replaceChildren } from '../common/dom.js';
import { openDialog } from '../common/dialog.js';
import { matters, matterSelect, matterName, dateText } from './ui.js';

const STATUS = { open: '挂账', rectifying: '整改中', closed: '已销号' };
const SOURCE = { online: '线上帮办', offline: '线下帮办', hotspot: '热点分析' };
const NEXT = { open: ['rectifying', 'closed'], rectifying: ['closed'], closed: ['rectifying'] };

export async function renderLedger(view, ctx) {
  const list = await matters(ctx.api);
  const statusSel = h('select', { class: 'select', 'aria-label': '状态' }, h('option', { value: '' }, '全部状态'),
    ...Object.entries(STATUS).map(([k, v]) => h('option', { value: k }, v)));
  const table = h('table', { class: 'tr-table', id: 'ledger-table' });
  const spots = h('div');
  const exportBtn = (fmt) => h('button', { type: 'button', class: 'btn btn--sm', onClick: () => download(fmt) }, `导出${fmt.toUpperCase()}`);
  view.append(
    h('div', { class: 'tr-card' }, h('div', { class: 'tr-row' }, h('h2', { class: 'tr-grow' }, '问题台账'), statusSel,
      h('button', { type: 'button', class: 'btn btn--primary btn--sm', onClick: () => create({}) }, '登记问题'),
      exportBtn('csv'), exportBtn('xlsx')), table),
    h('div', { class: 'tr-card' }, h('h3', {}, '线上帮办热点（建议挂账）'), spots));

  async function download(fmt) {
    const res = await fetch(`/api/v1/ledger/export?format=${fmt}`, { headers: ctx.api.headers() });
    if (!res.ok) { ctx.toast('导出失败', 'error'); return; }
    const url = URL.createObjectURL(await res.blob());
    const a = h('a', { href: url, download: `问题台账.${fmt}` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 5000);
  }

  async function create(pre) {
    const f = {
      problem: h('textarea', { class: 'input' }), matter: matterSelect([{ id: '', name: '（不限事项）' }, ...list], pre.matter || ''),
      source: h('select', { class: 'select' }, ...Object.entries(SOURCE).map(([k, v]) => h('option', { value: k, selected: k === (pre.source || 'online') }, v))),
      found_by: h('input', { class: 'input', value: ctx.me?.name || '' }), found_where: h('input', { class: 'input' }),
      deadline: h('input', { class: 'input', type: 'date' }), review_date: h('input', { class: 'input', type: 'date' }),
    };
    f.problem.value = pre.problem || '';
    const body = h('div', {}, ...[['问题描述', f.problem], ['事项', f.matter], ['来源', f.source], ['发现人', f.found_by],
      ['发现地点', f.found_where], ['整改期限', f.deadline], ['回头看日期', f.review_date]]
      .map(([label, el]) => h('label', { class: 'field' }, h('span', {}, label), el)));
    await openDialog({ title: '登记问题', content: body, actions: [{ label: '取消', value: null }, { label: '登记', kind: 'primary', onClick: async () => {
      try {
        await ctx.api.post('/api/v1/ledger', { problem: f.problem.value, matter: f.matter.value || null, source: f.source.value,
          found_by: f.found_by.value, found_where: f.found_where.value, deadline: f.deadline.value || null,
          review_date: f.review_date.value || null, hotspot: pre.hotspot || null });
        ctx.toast('已登记', 'ok');
        load();
        return true;
      } catch (err) { ctx.toast(err.message, 'error'); return false; }
    } }] });
  }

  async function move(e, status) {
    const f = { plan: h('textarea', { class: 'input' }), owner: h('input', { class: 'input', value: e.owner || '' }),
      result: h('textarea', { class: 'input' }), review_note: h('textarea', { class: 'input' }), note: h('input', { class: 'input' }) };
    f.plan.value = e.plan || '';
    const fields = status === 'rectifying' ? [['整改措施', f.plan], ['责任人', f.owner], ['说明', f.note]]
      : [['整改结果', f.result], ['回头看情况', f.review_note], ['说明', f.note]];
    await openDialog({ title: `改为“${STATUS[status]}”`, content: h('div', {}, ...fields.map(([l, el]) => h('label', { class: 'field' }, h('span', {}, l), el))),
      actions: [{ label: '取消', value: null }, { label: '确定', kind: 'primary', onClick: async () => {
        const body = { status, note: f.note.value };
        if (status === 'rectifying') Object.assign(body, { plan: f.plan.value, owner: f.owner.value });
        else Object.assign(body, { result: f.result.value, review_note: f.review_note.value || null });
        try {
          await ctx.api.request('PATCH', `/api/v1/ledger/${e.id}`, { body });
          load();
          return true;
        } catch (err) { ctx.toast(err.message, 'error'); return false; }
      } }] });
  }

  async function load() {
    const { entries } = await ctx.api.get('/api/v1/ledger', { status: statusSel.value });
    replaceChildren(table, h('tr', {}, ...['编号', '问题', '事项', '来源', '整改措施 / 责任人', '期限', '回头看', '状态', ''].map((t) => h('th', {}, t))),
      ...entries.map((e) => h('tr', { dataset: { id: e.id } },
        h('td', {}, e.id), h('td', {}, e.problem), h('td', {}, matterName(list, e.matter)), h('td', {}, SOURCE[e.source] || e.source),
        h('td', {}, e.plan || '—', e.owner ? ` / ${e.owner}` : ''), h('td', {}, e.deadline || '—'),
        h('td', {}, e.review_date || '—', e.review_note ? h('div', { class: 'muted' }, e.review_note) : null),
        h('td', {}, STATUS[e.status], e.closed_at ? h('div', { class: 'muted' }, dateText(e.closed_at)) : null),
        h('td', {}, ...NEXT[e.status].map((s) => h('button', { type: 'button', class: 'btn btn--sm', onClick: () => move(e, s) }, STATUS[s]))))));
    try {
      const hs = await ctx.api.get('/api/v1/ledger/hotspots');
      replaceChildren(spots, hs.proposals.length ? h('ul', {}, ...hs.proposals.map((p) => h('li', {}, p.problem, ' ',
        p.tracked ? h('span', { class: 'muted' }, '（已挂账）') : h('button', { type: 'button', class: 'btn btn--sm',
          onClick: () => create({ problem: p.problem, matter: p.matter, source: 'hotspot', hotspot: p }) }, '挂账'))))
        : h('p', { class: 'muted' }, `近${hs.days}天没有热点事项。`));
    } catch { spots.replaceChildren(); }
  }
  statusSel.addEventListener('change', load);
  await load();
}
