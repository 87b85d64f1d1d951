// Intents with their examples, rules and stories; synonyms. Every save is validated by the server.

import { h, replaceChildren } from '../common/dom.js';
import { showErrors, clearErrors, pickable } from './ui.js';

const KIND_LABEL = { intents: '意图', synonyms: '同义词', lookups: '查找表', regexes: '正则' };
const KIND_OF = { intents: 'intent', synonyms: 'synonym', lookups: 'lookup', regexes: 'regex' };

export async function renderNlu(view, ctx) {
  const state = { data: await ctx.api.get('/api/v1/trainer/nlu'), group: 'intents', name: null };
  const list = h('ul', { class: 'tr-list', id: 'nlu-items' });
  const detail = h('div', { id: 'nlu-detail' });
  const groupSel = h('select', { class: 'select', id: 'nlu-group', 'aria-label': '语料类别' },
    ...Object.entries(KIND_LABEL).map(([k, v]) => h('option', { value: k }, v)));
  const filter = h('input', { class: 'input', placeholder: '筛选', id: 'nlu-filter', 'aria-label': '筛选' });
  view.append(h('div', { class: 'tr-split' },
    h('div', {}, h('div', { class: 'tr-row' }, groupSel, filter), list), detail));

  // an intent may be kept in several files (the matter waves): the trainer sees it once, with every example
  function items() {
    const merged = new Map();
    for (const it of state.data[state.group] || []) {
      const seen = merged.get(it.name);
      if (seen) { seen.examples = [...seen.examples, ...it.examples]; seen.files.push(it.file); }
      else merged.set(it.name, { ...it, files: [it.file] });
    }
    return [...merged.values()];
  }

  function drawList() {
    const q = filter.value.trim();
    list.replaceChildren(...items().filter((it) => !q || it.name.includes(q) || it.examples.some((e) => e.includes(q)))
      .map((it) => h('li', { 'aria-current': String(it.name === state.name), dataset: { name: it.name },
        ...pickable(() => { state.name = it.name; drawList(); drawDetail(); }) },
      h('span', {}, it.name), h('span', { class: 'muted' }, String(it.examples.length)))));
  }

  async function reload() {
    state.data = await ctx.api.get('/api/v1/trainer/nlu');
    drawList();
    drawDetail();
  }

  async function send(method, body, box) {
    clearErrors(box);
    try {
      const res = await ctx.api.request(method, '/api/v1/trainer/nlu/examples', { body });
      ctx.toast(res.changed ? '已保存并通过校验' : '没有变化', 'ok');
      await reload();
    } catch (err) {
      showErrors(box, err);
    }
  }

  function drawDetail() {
    const it = items().find((x) => x.name === state.name);
    if (!it) { replaceChildren(detail, h('p', { class: 'muted' }, '请在左侧选择一项。')); return; }
    const kind = KIND_OF[state.group];
    const errors = h('div', { class: 'tr-errors', id: 'nlu-errors', role: 'alert' });
    const ul = h('ul', { class: 'tr-examples' });
    for (const ex of it.examples) {
      const text = h('span', { class: 'tr-ex-text' }, ex);
      const li = h('li', { dataset: { example: ex } }, text);
      if (ctx.canEdit()) {
        li.append(
          h('button', { type: 'button', class: 'btn btn--sm', onClick: () => {
            const input = h('input', { class: 'input', value: ex, 'aria-label': '修改例句' });
            const save = h('button', { type: 'button', class: 'btn btn--sm btn--primary' }, '保存');
            save.addEventListener('click', () => send('PUT', { kind, name: it.name, old: ex, text: input.value }, errors));
            li.replaceChildren(input, save, h('button', { type: 'button', class: 'btn btn--sm', onClick: drawDetail }, '取消'));
            input.focus();
          } }, '编辑'),
          h('button', { type: 'button', class: 'btn btn--sm btn--danger',
            onClick: () => send('DELETE', { kind, name: it.name, text: ex }, errors) }, '删除'));
      }
      ul.append(li);
    }
    const card = h('div', { class: 'tr-card' },
      h('h2', {}, `${KIND_LABEL[state.group]}：${it.name}`),
      h('p', { class: 'muted' }, `文件 ${it.files.join('、')} · ${it.examples.length} 条例句`));
    if (it.rules) {
      card.append(h('div', {}, h('strong', {}, '规则：'), ...(it.rules.length ? it.rules.map((r) => h('span', { class: 'tr-tag' }, r)) : ['无'])));
      card.append(h('div', {}, h('strong', {}, '故事：'), ...(it.stories.length ? it.stories.map((r) => h('span', { class: 'tr-tag' }, r)) : ['无'])));
    }
    if (ctx.canEdit()) {
      const input = h('input', { class: 'input tr-grow', id: 'nlu-new', placeholder: '新增例句，实体标注如 [居住证](matter)' });
      const add = h('button', { type: 'button', class: 'btn btn--primary', id: 'nlu-add' }, '新增例句');
      const submit = () => input.value.trim() && send('POST', { kind, name: it.name, text: input.value }, errors);
      add.addEventListener('click', submit);
      input.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') submit(); });
      card.append(h('div', { class: 'tr-row' }, input, add));
    }
    card.append(errors, ul);
    replaceChildren(detail, card);
  }

  groupSel.addEventListener('change', () => { state.group = groupSel.value; state.name = null; drawList(); drawDetail(); });
  filter.addEventListener('input', drawList);
  drawList();
  drawDetail();
}
