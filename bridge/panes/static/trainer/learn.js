// Interactive learning (试一试 grown up): talk to the candidate model, see and correct each turn's
// prediction (intent, confidence, entities, next actions), save the talk as a story or a test story.
// Below: the test stories every go-live runs, with their results per story.

import { h, replaceChildren } from '../common/dom.js';
import { percent } from '../common/format.js';

const MODEL = { candidate: '候选模型（最近一次训练）', live: '线上模型（尚无候选模型）' };

function options(values, selected) {
  const list = values.includes(selected) || !selected ? values : [selected, ...values];
  return list.map((v) => h('option', { value: v, selected: v === selected }, v));
}

export async function renderLearn(view, ctx) {
  const stories = await ctx.api.get('/api/v1/trainer/stories');
  const intents = stories.domain.intents.map((i) => i.name);
  const actions = stories.domain.actions.filter((a) => a !== 'action_listen');
  const state = { turns: [] };
  const log = h('ol', { class: 'tr-learn', id: 'learn-log' });
  const text = h('input', { class: 'input tr-grow', id: 'learn-text', 'aria-label': '市民说的话', placeholder: '以市民的口吻说一句话' });
  const send = h('button', { type: 'button', class: 'btn btn--primary', id: 'learn-send', disabled: !ctx.canEdit() }, '发送');
  const model = h('span', { class: 'muted', id: 'learn-model' });
  const name = h('input', { class: 'input tr-grow', id: 'learn-name', 'aria-label': '故事名称', placeholder: '故事名称' });
  const saveStory = h('button', { type: 'button', class: 'btn', id: 'learn-save-story', disabled: !ctx.canEdit() }, '保存为故事');
  const saveTest = h('button', { type: 'button', class: 'btn btn--primary', id: 'learn-save-test', disabled: !ctx.canEdit() }, '保存为测试故事');
  const reset = h('button', { type: 'button', class: 'btn btn--ghost', id: 'learn-reset' }, '重新开始');
  const errors = h('div', { class: 'tr-errors', id: 'learn-errors', role: 'alert' });
  const tests = h('div', { id: 'story-tests' });
  const run = h('button', { type: 'button', class: 'btn', id: 'story-tests-run', disabled: !ctx.canEdit() }, '用候选模型运行');
  view.append(
    h('div', { class: 'tr-card' }, h('h2', {}, '交互学习'),
      h('p', { class: 'muted' }, '和训练中的小申对话：每一轮都显示它理解的意图、置信度、实体和接下来要执行的动作；理解错了就在下拉框里改正，然后保存为故事（训练数据）或测试故事（上线前必须通过）。'),
      model, log, h('div', { class: 'tr-row' }, text, send), errors,
      h('div', { class: 'tr-row' }, name, saveStory, saveTest, reset)),
    h('div', { class: 'tr-card' }, h('div', { class: 'tr-row' }, h('h2', {}, '测试故事'), run),
      h('p', { class: 'muted' }, '保存在 data/test_stories/ 的每条测试故事都会在上线前用新模型运行；任何一条不通过，新模型就不会上线。'),
      tests));

  async function predict(turn, intent) {
    const res = await ctx.api.post('/api/v1/trainer/learn', { turns: state.turns.slice(0, state.turns.indexOf(turn)).map(wire),
      text: turn.text, intent: intent || undefined });
    Object.assign(turn, { intent: res.intent, entities: res.entities, actions: res.actions.map((a) => a.name), pred: res });
    model.textContent = `模型：${MODEL[res.model] || res.model}（${res.model_file}）`;
  }

  function wire(t) {
    return { text: t.text, intent: t.intent, entities: t.entities.map(({ entity, value }) => ({ entity, value })), actions: t.actions };
  }

  function drawTurn(turn, i) {
    const p = turn.pred;
    const intentSel = h('select', { class: 'select', 'aria-label': '意图', dataset: { role: 'intent' }, disabled: i !== state.turns.length - 1 },
      ...options(intents, turn.intent));
    intentSel.addEventListener('change', async () => {
      try { await predict(turn, intentSel.value); draw(); } catch (err) { ctx.toast(err.message, 'error'); }
    });
    const acts = turn.actions.length ? turn.actions : [''];
    const actionSels = acts.map((a, j) => {
      const sel = h('select', { class: 'select', 'aria-label': '动作', dataset: { role: 'action' } },
        ...(a ? [] : [h('option', { value: '' }, '（不执行动作）')]), ...options(actions, a));
      sel.addEventListener('change', () => { turn.actions[j] = sel.value; turn.actions = turn.actions.filter(Boolean); });
      return sel;
    });
    const parsed = p.parsed?.name;
    return h('li', { class: 'tr-learn-turn', dataset: { turn: String(i) } },
      h('div', { class: 'tr-learn-user' }, turn.text),
      h('div', { class: 'tr-row' }, h('span', { class: 'muted' }, '意图'), intentSel,
        h('span', { class: 'muted', dataset: { role: 'confidence' } }, parsed && parsed !== turn.intent
          ? `已改正（模型：${parsed} ${percent(p.parsed.confidence || 0)}）` : `置信度 ${percent(p.parsed?.confidence || 0)}`)),
      h('div', { class: 'muted' }, '候选：', p.ranking.map((r) => `${r.name} ${percent(r.confidence || 0)}`).join('，')),
      h('div', { class: 'muted' }, '实体：', turn.entities.length ? turn.entities.map((e) => `${e.text || ''}→${e.entity}:${e.value}`).join('，') : '无'),
      h('div', { class: 'tr-row' }, h('span', { class: 'muted' }, '下一步动作'), ...actionSels,
        h('span', { class: 'muted' }, p.actions.map((a) => `${a.name} ${percent(a.confidence || 0)}（${a.policy || ''}）`).join('，') || '模型将等待用户输入')));
  }

  function draw() {
    replaceChildren(log, ...state.turns.map(drawTurn));
  }

  async function say() {
    const value = text.value.trim();
    if (!value) return;
    errors.replaceChildren();
    send.disabled = true;
    const turn = { text: value, intent: null, entities: [], actions: [], pred: null };
    state.turns.push(turn);
    try {
      await predict(turn);
      text.value = '';
      draw();
    } catch (err) {
      state.turns.pop();
      errors.textContent = err.message;
    } finally {
      send.disabled = !ctx.canEdit();
    }
  }

  async function save(saveAs) {
    errors.replaceChildren();
    if (!state.turns.length || !name.value.trim()) { errors.textContent = '请先对话，并填写故事名称。'; return; }
    try {
      await ctx.api.post('/api/v1/trainer/learn/save', { name: name.value.trim(), save_as: saveAs, turns: state.turns.map(wire) });
      ctx.toast(saveAs === 'test' ? '已保存为测试故事' : '已保存为故事', 'ok');
      if (saveAs === 'test') await loadTests();
    } catch (err) {
      const lines = err.extra?.errors?.length ? err.extra.errors : [err.message];
      errors.textContent = `未保存：${lines.join('；')}`;
    }
  }

  function failure(s) {
    if (s.kind === 'file') return s.got;
    return `第${s.turn + 1}轮${s.kind === 'intent' ? '意图' : '动作'}应为 ${s.expected}，实为 ${s.got}`;
  }

  function drawTests(list, results, caption) {
    const byName = new Map((results?.results || []).map((r) => [`${r.file}|${r.name}`, r]));
    replaceChildren(tests, h('p', { class: 'muted', id: 'story-tests-summary' }, caption),
      h('table', { class: 'tr-table' }, h('thead', {}, h('tr', {}, h('th', {}, '测试故事'), h('th', {}, '文件'), h('th', {}, '结果'))),
        h('tbody', {}, ...list.map((t) => {
          const r = byName.get(`${t.file}|${t.name}`);
          const bad = (r?.steps || []).filter((s) => !s.ok);
          return h('tr', { dataset: { name: t.name, result: r ? (r.passed ? 'passed' : 'failed') : 'none' } },
            h('td', {}, t.name), h('td', {}, t.file),
            h('td', {}, !r ? '—' : r.passed ? '通过' : h('span', { class: 'tr-overdue' }, '未通过：',
              bad.map(failure).join('；'))));
        }))));
  }

  async function loadTests() {
    const res = await ctx.api.get('/api/v1/trainer/story-tests');
    const last = res.last;
    drawTests(res.tests, last, last ? `最近一次上线检查：${last.passed}/${last.total} 通过（模型 ${last.model}）。` : '还没有上线检查的结果。');
  }

  run.addEventListener('click', async () => {
    run.disabled = true;
    try {
      const res = await ctx.api.post('/api/v1/trainer/story-tests/run');
      const list = (await ctx.api.get('/api/v1/trainer/story-tests')).tests;
      drawTests(list, res, `${MODEL[res.which] || res.which}：${res.passed}/${res.total} 通过。`);
    } catch (err) {
      ctx.toast(err.message, 'error');
    } finally {
      run.disabled = !ctx.canEdit();
    }
  });
  send.addEventListener('click', say);
  text.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') say(); });
  saveStory.addEventListener('click', () => save('story'));
  saveTest.addEventListener('click', () => save('test'));
  reset.addEventListener('click', () => { state.turns = []; draw(); errors.replaceChildren(); });
  await loadTests();
}
