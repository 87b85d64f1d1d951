// Rules and stories as steps: a list, the step editor (checked live by the server's validation,
// findings shown next to their steps), the diagram of the stories and a read-only YAML view.

import { $, h, replaceChildren } from '../common/dom.js';
import { stepEditor, showFindings } from './stories.js';
import { drawDiagram } from './diagram.js';

const KINDS = { story: '故事', rule: '规则' };
const CHECK_DELAY_MS = 600;

export async function renderFiles(view, ctx) {
  const state = { kind: 'story', data: null, current: null, oldName: null, timer: null, seq: 0 };
  const kindSel = h('select', { class: 'select', id: 'story-kind', 'aria-label': '类型' },
    ...Object.entries(KINDS).map(([k, v]) => h('option', { value: k }, v)));
  const list = h('ul', { class: 'tr-list', id: 'story-list' });
  const add = h('button', { type: 'button', class: 'btn btn--primary', id: 'story-new', disabled: !ctx.canEdit() }, '新建');
  const detail = h('div', { id: 'story-detail' });
  const diagram = h('div', { class: 'tr-diagram-box', id: 'story-diagram' });
  const yamlView = h('pre', { class: 'tr-diff tr-yaml', id: 'story-yaml' });
  const yamlToggle = h('button', { type: 'button', class: 'btn btn--sm', id: 'story-yaml-toggle' }, '显示 YAML');
  yamlView.hidden = true;
  view.append(
    h('div', { class: 'tr-split' }, h('div', {}, h('div', { class: 'tr-row' }, kindSel, add), list), detail),
    h('div', { class: 'tr-card' }, h('h2', {}, '故事示意图'),
      h('p', { class: 'muted' }, '与 rasa visualize 相同：从 START 出发，用户意图（圆角）与机器人动作（方框）依次相连，开头相同的故事共用节点。选中的故事以蓝色标出。'),
      diagram),
    h('div', { class: 'tr-card' }, h('div', { class: 'tr-row' }, h('h2', {}, 'YAML（只读）'), yamlToggle), yamlView));

  const items = () => (state.kind === 'story' ? state.data.stories : state.data.rules);

  async function load() {
    state.data = await ctx.api.get('/api/v1/trainer/stories');
    drawList();
    await Promise.all([drawGraph(), drawYaml()]);
  }

  async function drawGraph() {
    if (state.kind !== 'story') { replaceChildren(diagram, h('p', { class: 'muted' }, '示意图只画故事（规则不参与）。')); return; }
    drawDiagram(diagram, await ctx.api.get('/api/v1/trainer/stories/graph', { kind: 'story' }), state.oldName);
  }

  async function drawYaml() {
    const path = state.data[`${state.kind}_file`];
    yamlView.textContent = (await ctx.api.get('/api/v1/trainer/files', { path })).text;
  }

  async function moveItem(ev, name, by) {
    ev.stopPropagation();
    try {
      await ctx.api.post('/api/v1/trainer/stories/move', { kind: state.kind, name, by });
      await load();
    } catch (err) {
      ctx.toast(err.message, 'error');
    }
  }

  function drawList() {
    const all = items();
    list.replaceChildren(...all.map((s, i) => h('li', { 'aria-current': String(s.name === state.oldName), dataset: { name: s.name },
      onClick: () => open(structuredClone(s), s.name) }, h('span', {}, s.name),
    h('span', { class: 'tr-list-tools' }, h('span', { class: 'muted' }, String(s.steps.length)), ...(ctx.canEdit() ? [
      h('button', { type: 'button', class: 'btn btn--sm', title: '上移', dataset: { move: 'up' }, disabled: i === 0,
        onClick: (ev) => moveItem(ev, s.name, -1) }, '↑'),
      h('button', { type: 'button', class: 'btn btn--sm', title: '下移', dataset: { move: 'down' }, disabled: i === all.length - 1,
        onClick: (ev) => moveItem(ev, s.name, 1) }, '↓')] : [])))));
  }

  function open(story, oldName) {
    state.current = story;
    state.oldName = oldName;
    drawList();
    drawDetail();
    if (state.kind === 'story' && state.data) drawGraph();
  }

  function payload() {
    const { name, steps, ...rest } = state.current;
    return { kind: state.kind, story: { ...rest, name: name.trim(), steps }, old_name: state.oldName };
  }

  function drawDetail() {
    const story = state.current;
    if (!story) { replaceChildren(detail, h('p', { class: 'muted' }, '请在左侧选择一条，或新建。')); return; }
    const editable = ctx.canEdit();
    const name = h('input', { class: 'input tr-grow', id: 'story-name', value: story.name, disabled: !editable, 'aria-label': '名称' });
    const status = h('span', { class: 'muted', id: 'story-check' });
    const storyFindings = h('div', { class: 'tr-errors', id: 'story-findings', role: 'alert' });
    const editor = stepEditor(story, state.data.domain, { editable, onChange: () => scheduleCheck() });
    const save = h('button', { type: 'button', class: 'btn btn--primary', id: 'story-save', disabled: !editable }, '校验并保存');
    const del = h('button', { type: 'button', class: 'btn btn--danger', id: 'story-delete', disabled: !editable || !state.oldName }, '删除');
    name.addEventListener('input', () => { story.name = name.value; scheduleCheck(); });

    function scheduleCheck() {
      clearTimeout(state.timer);
      status.textContent = '待校验…';
      state.timer = setTimeout(check, CHECK_DELAY_MS);
    }
    async function check() {
      if (!story.name.trim()) { status.textContent = '请填写名称'; return; }
      const seq = ++state.seq;
      status.textContent = '校验中…';
      try {
        const res = await ctx.api.post('/api/v1/trainer/stories/check', payload());
        if (seq !== state.seq) return;
        showFindings(editor.el, storyFindings, res.findings, res.other);
        status.textContent = res.ok ? '校验通过' : `有 ${res.findings.length + res.other.length} 个问题`;
        status.dataset.ok = String(res.ok);
      } catch (err) {
        if (seq === state.seq) { status.textContent = err.message; status.dataset.ok = 'false'; }
      }
    }
    save.addEventListener('click', async () => {
      clearTimeout(state.timer);
      state.seq++;
      save.disabled = true;
      try {
        const res = await ctx.api.request('PUT', '/api/v1/trainer/stories', { body: payload() });
        ctx.toast(res.changed ? '已保存并通过校验' : '没有变化', 'ok');
        state.oldName = story.name.trim();
        await load();
        drawDetail();
        $('#story-check', detail).textContent = '已保存';
      } catch (err) {
        showFindings(editor.el, storyFindings, err.extra?.findings || [], err.extra?.findings ? err.extra.other || [] : [err.message]);
        status.textContent = '校验未通过，未保存';
        status.dataset.ok = 'false';
      } finally {
        save.disabled = !editable;
      }
    });
    del.addEventListener('click', async () => {
      if (!window.confirm(`确定删除“${state.oldName}”吗？`)) return;
      try {
        await ctx.api.request('DELETE', '/api/v1/trainer/stories', { body: { kind: state.kind, name: state.oldName } });
        ctx.toast('已删除', 'ok');
        state.current = null;
        state.oldName = null;
        drawDetail();
        await load();
      } catch (err) {
        showFindings(editor.el, storyFindings, [], err.extra?.errors || [err.message]);
      }
    });
    replaceChildren(detail, h('div', { class: 'tr-card' },
      h('h2', {}, `${KINDS[state.kind]}的步骤`),
      h('div', { class: 'tr-row' }, h('label', { class: 'muted' }, '名称'), name, status),
      storyFindings, editor.el, h('div', { class: 'tr-row' }, save, del)));
  }

  kindSel.addEventListener('change', async () => {
    state.kind = kindSel.value;
    state.current = null;
    state.oldName = null;
    drawList();
    drawDetail();
    await Promise.all([drawGraph(), drawYaml()]);
  });
  add.addEventListener('click', () => open({ name: '', steps: [{ intent: '' }, { action: '' }] }, null));
  yamlToggle.addEventListener('click', () => {
    yamlView.hidden = !yamlView.hidden;
    yamlToggle.textContent = yamlView.hidden ? '显示 YAML' : '隐藏 YAML';
  });
  await load();
  drawDetail();
}
