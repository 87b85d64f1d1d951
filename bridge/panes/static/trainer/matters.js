// 事项: the matters of the catalogue, a form to create or edit one, guide-file import (dry run → confirm), export.

import { h, replaceChildren } from '../common/dom.js';
import { showErrors, clearErrors, forgetMatters } from './ui.js';

const KINDS = { person: '个人事项', enterprise: '企业事项' };
const GUIDE = [['title', '指南名称'], ['url', '指南链接（https）'], ['code', '实施编码'], ['target', '办理对象'],
  ['legal_limit', '法定时限'], ['promised_limit', '承诺时限'], ['fee', '收费'], ['hotline', '咨询电话']];

function field(label, el) {
  return h('label', { class: 'field' }, h('span', {}, label), el);
}

/** Aliases as removable chips with an input that adds one on Enter. */
function chips(values) {
  const list = [...values];
  const box = h('div', { class: 'tr-row', id: 'matter-aliases' });
  const input = h('input', { class: 'input', 'aria-label': '添加别名（回车）', placeholder: '添加别名，回车' });
  function draw() {
    replaceChildren(box, ...list.map((a, i) => h('button', { type: 'button', class: 'btn btn--sm', 'aria-label': `删除别名 ${a}`,
      onClick: () => { list.splice(i, 1); draw(); } }, `${a} ×`)), input);
  }
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && input.value.trim()) { e.preventDefault(); list.push(input.value.trim()); input.value = ''; draw(); }
  });
  draw();
  return { el: box, values: () => list };
}

function diffView(res) {
  const d = res.diff;
  const line = (label, items) => h('li', {}, `${label}：${items.length ? items.join('、') : '无'}`);
  return h('div', { id: 'matter-diff', class: 'tr-card' },
    h('h3', {}, `${d.new_matter ? '新事项' : '更新事项'} ${res.matter}`),
    h('ul', {}, line('变更字段', d.fields.map((f) => f.field)), line('新增文章', d.articles.added),
      line('修改文章', d.articles.changed.map((c) => `${c.id}（${c.fields.join('、')}）`)), line('删除文章', d.articles.removed)),
    res.errors.length ? h('div', { class: 'tr-errors', role: 'alert' }, h('strong', {}, '校验问题：'), res.errors.join('\n')) : null,
    res.warnings.length ? h('details', {}, h('summary', {}, `提示 ${res.warnings.length} 条`), h('pre', {}, res.warnings.join('\n'))) : null);
}

export async function renderMatters(view, ctx) {
  const departments = (await ctx.api.get('/api/v1/catalogue')).departments || [];
  const search = h('input', { class: 'input', type: 'search', 'aria-label': '搜索事项', placeholder: '事项名称或标识' });
  const table = h('table', { class: 'tr-table', id: 'matters-table' });
  const form = h('div', { class: 'tr-card', id: 'matter-form' });
  const importer = h('div', { class: 'tr-card', id: 'matter-import' });
  view.append(h('div', { class: 'tr-card' }, h('div', { class: 'tr-row' }, h('h2', { class: 'tr-grow' }, '办事事项'), search,
    ctx.canEdit() ? h('button', { type: 'button', class: 'btn btn--primary btn--sm', onClick: () => edit(null) }, '新建事项') : null), table),
  form, importer);
  search.addEventListener('input', () => load());

  async function load() {
    forgetMatters();
    const { matters } = await ctx.api.get('/api/v1/trainer/matters', { q: search.value.trim() });
    replaceChildren(table, h('tr', {}, ...['事项', '部门', '文章', '常见问题', '别名', '缺少的类别', ''].map((t) => h('th', {}, t))),
      ...matters.map((m) => h('tr', {},
        h('td', {}, m.name, h('div', { class: 'muted' }, m.id + (m.retired ? '（已停用）' : ''))),
        h('td', {}, departments.find((d) => d.id === m.department)?.name || m.department),
        h('td', {}, String(m.articles)), h('td', {}, String(m.faqs)), h('td', {}, String(m.aliases)),
        h('td', {}, m.missing.join('、') || '—'),
        h('td', {}, ctx.canEdit() ? h('button', { type: 'button', class: 'btn btn--sm', onClick: () => edit(m.id) }, '编辑') : null,
          ...['json', 'xlsx'].map((fmt) => h('button', { type: 'button', class: 'btn btn--sm', onClick: () => download(m.id, fmt) },
            `导出${fmt.toUpperCase()}`))))));
  }

  async function download(id, fmt) {
    const res = await fetch(`/api/v1/trainer/matters/${encodeURIComponent(id)}/export?format=${fmt}`, { headers: ctx.api.headers() });
    if (!res.ok) { ctx.toast('导出失败', 'error'); return; }
    const url = URL.createObjectURL(await res.blob());
    const a = h('a', { href: url, download: `${id}.${fmt}` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 5000);
  }

  async function edit(id) {
    const m = id ? (await ctx.api.get(`/api/v1/trainer/matters/${encodeURIComponent(id)}`)).matter
      : { id: '', name: '', kind: 'person', department: '', aliases: [], guide: {} };
    const g = m.guide || {};
    const f = {
      id: h('input', { class: 'input', value: m.id, disabled: Boolean(id), pattern: '[a-z0-9-]+' }),
      name: h('input', { class: 'input', value: m.name }),
      kind: h('select', { class: 'select' }, ...Object.entries(KINDS).map(([k, v]) => h('option', { value: k, selected: k === m.kind }, v))),
      department: h('select', { class: 'select' }, ...departments.map((d) => h('option', { value: d.id, selected: d.id === m.department }, d.name))),
      entry: h('input', { class: 'input', value: g.online_entry?.name || '' }),
      entryPath: h('input', { class: 'input', value: g.online_entry?.path || '' }),
    };
    const aliases = chips(m.aliases || []);
    const guide = Object.fromEntries(GUIDE.map(([k]) => [k, h('input', { class: 'input', value: g[k] || '' })]));
    const errors = h('div', { class: 'tr-errors', role: 'alert' });
    const save = h('button', { type: 'button', class: 'btn btn--primary' }, '保存事项');
    const retire = id && !m.retired ? h('button', { type: 'button', class: 'btn' }, '停用事项') : null;
    replaceChildren(form, h('h3', {}, id ? `编辑事项 ${m.name}` : '新建事项'),
      field('事项标识（小写字母、数字、连字符）', f.id), field('事项名称', f.name), field('类型', f.kind), field('部门', f.department),
      h('div', { class: 'field' }, h('span', {}, '别名'), aliases.el),
      ...GUIDE.map(([k, label]) => field(label, guide[k])), field('网办入口名称', f.entry), field('网办入口路径', f.entryPath),
      errors, h('div', { class: 'tr-row' }, save, retire));
    save.addEventListener('click', async () => {
      clearErrors(errors);
      const gv = Object.fromEntries(GUIDE.map(([k]) => [k, guide[k].value.trim()]).filter(([, v]) => v));
      if (f.entry.value.trim()) gv.online_entry = { name: f.entry.value.trim(), path: f.entryPath.value.trim() };
      const body = { name: f.name.value.trim(), kind: f.kind.value, department: f.department.value, aliases: aliases.values(), guide: gv };
      try {
        if (id) await ctx.api.request('PUT', `/api/v1/trainer/matters/${encodeURIComponent(id)}`, { body });
        else await ctx.api.post('/api/v1/trainer/matters', { id: f.id.value.trim(), ...body });
        ctx.toast('事项已保存；请到“训练上线”重新训练', 'ok');
        replaceChildren(form);
        load();
      } catch (err) { showErrors(errors, err); }
    });
    retire?.addEventListener('click', async () => {
      try {
        await ctx.api.post(`/api/v1/trainer/matters/${encodeURIComponent(id)}/retire`);
        ctx.toast('事项已停用', 'ok');
        replaceChildren(form);
        load();
      } catch (err) { showErrors(errors, err); }
    });
  }

  function renderImport() {
    const file = h('input', { type: 'file', id: 'matter-file', accept: '.json,.yml,.yaml,.xlsx', 'aria-label': '事项文件或办事指南文件' });
    const check = h('button', { type: 'button', class: 'btn', id: 'matter-dry-run' }, '检查（预览变更）');
    const out = h('div');
    replaceChildren(importer, h('h3', {}, '导入事项（事项文件或办事指南 JSON / YAML / Excel）'), h('div', { class: 'tr-row' }, file, check), out);
    check.addEventListener('click', async () => {
      if (!file.files.length) { ctx.toast('请先选择文件', 'error'); return; }
      const f = file.files[0];
      const bytes = new Uint8Array(await f.arrayBuffer());
      let bin = '';
      for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      const payload = { filename: f.name, content: btoa(bin) };
      const send = (dry) => ctx.api.request('POST', '/api/v1/trainer/matters/import', { body: payload, query: dry ? { dry_run: '1' } : {} });
      try {
        const res = await send(true);
        const confirm = h('button', { type: 'button', class: 'btn btn--primary', id: 'matter-import-confirm', disabled: res.errors.length > 0 }, '确认导入');
        replaceChildren(out, diffView(res), ctx.canEdit() ? confirm : null);
        confirm.addEventListener('click', async () => {
          try {
            await send(false);
            ctx.toast(`已导入事项 ${res.matter}；请到“训练上线”重新训练`, 'ok');
            replaceChildren(out);
            load();
          } catch (err) { showErrors(out, err); }
        });
      } catch (err) { showErrors(out, err); }
    });
  }

  if (ctx.canEdit()) renderImport();
  await load();
}
