// Rules and stories: edit the whole file; the server validates before writing.

import { h } from '../common/dom.js';
import { showErrors, clearErrors } from './ui.js';

const FILES = { 'data/rules.yml': '规则 rules.yml', 'data/stories.yml': '故事 stories.yml' };

export async function renderFiles(view, ctx) {
  const sel = h('select', { class: 'select', 'aria-label': '文件' }, ...Object.entries(FILES).map(([k, v]) => h('option', { value: k }, v)));
  const area = h('textarea', { class: 'input tr-file', spellcheck: 'false', 'aria-label': '文件内容' });
  const errors = h('div', { class: 'tr-errors', role: 'alert' });
  const save = h('button', { type: 'button', class: 'btn btn--primary', disabled: !ctx.canEdit() }, '校验并保存');
  async function load() {
    clearErrors(errors);
    area.value = (await ctx.api.get('/api/v1/trainer/files', { path: sel.value })).text;
  }
  save.addEventListener('click', async () => {
    clearErrors(errors);
    save.disabled = true;
    try {
      const res = await ctx.api.request('PUT', '/api/v1/trainer/files', { body: { path: sel.value, text: area.value } });
      ctx.toast(res.changed ? '已保存并通过校验' : '没有变化', 'ok');
    } catch (err) {
      showErrors(errors, err);
    } finally {
      save.disabled = !ctx.canEdit();
    }
  });
  sel.addEventListener('change', load);
  view.append(h('div', { class: 'tr-card' }, h('div', { class: 'tr-row' }, sel, save), errors, area));
  await load();
}
