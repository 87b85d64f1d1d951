// One story or rule as steps: user intents (with an example sentence), bot actions, slots, loops.
// `stepEditor` draws the steps of `story` into a list and calls `onChange` after every edit.

import { h, replaceChildren } from '../common/dom.js';

export const STEP_KINDS = {
  intent: '用户意图', action: '机器人动作', slot_was_set: '设置槽位', active_loop: '表单循环',
};

/** The kind of a step (its Rasa key). */
export function stepKind(step) {
  return Object.keys(STEP_KINDS).find((k) => k in step) || Object.keys(step)[0];
}

export function newStep(kind) {
  if (kind === 'slot_was_set') return { slot_was_set: [{}] };
  if (kind === 'active_loop') return { active_loop: '' };
  return { [kind]: '' };
}

function datalist(id, values) {
  return h('datalist', { id }, ...values.map((v) => h('option', { value: v })));
}

function entityRows(step, domain, onChange) {
  const box = h('div', { class: 'tr-row tr-step-entities' });
  const draw = () => {
    const ents = step.entities || [];
    replaceChildren(box, h('span', { class: 'muted' }, '实体：'), ...ents.map((e, j) => {
      const [name, value] = Object.entries(e)[0] || ['', ''];
      const sel = h('select', { class: 'select', 'aria-label': '实体' },
        ...domain.entities.map((n) => h('option', { value: n, selected: n === name }, n)));
      const val = h('input', { class: 'input', value: value ?? '', placeholder: '取值', 'aria-label': '实体取值' });
      const update = () => { ents[j] = { [sel.value]: val.value }; onChange(); };
      sel.addEventListener('change', update);
      val.addEventListener('input', update);
      return h('span', { class: 'tr-tag' }, sel, val, h('button', { type: 'button', class: 'btn btn--sm', title: '删除实体',
        onClick: () => { ents.splice(j, 1); if (!ents.length) delete step.entities; draw(); onChange(); } }, '×'));
    }), h('button', { type: 'button', class: 'btn btn--sm', onClick: () => {
      step.entities = [...(step.entities || []), { [domain.entities[0]]: '' }];
      draw();
      onChange();
    } }, '+ 实体'));
  };
  draw();
  return box;
}

function slotRow(step, onChange) {
  const [name, value] = Object.entries((step.slot_was_set || [{}])[0] || {})[0] || ['', ''];
  const slot = h('input', { class: 'input', value: name, placeholder: '槽位', 'aria-label': '槽位' });
  const val = h('input', { class: 'input', value: value ?? '', placeholder: '取值', 'aria-label': '槽位取值' });
  const update = () => { step.slot_was_set = [{ [slot.value]: val.value }]; onChange(); };
  slot.addEventListener('input', update);
  val.addEventListener('input', update);
  return [slot, val];
}

function valueInput(step, kind, domain, onChange) {
  if (kind === 'slot_was_set') return slotRow(step, onChange);
  const list = kind === 'intent' ? 'tr-intents' : kind === 'action' ? 'tr-actions' : 'tr-forms';
  const input = h('input', { class: 'input tr-step-value', value: step[kind] ?? '', list, 'aria-label': STEP_KINDS[kind] || kind,
    placeholder: kind === 'intent' ? '选择或输入意图' : kind === 'action' ? '选择或输入动作' : '表单名（空：结束循环）' });
  const example = h('span', { class: 'muted tr-step-example' });
  const showExample = () => {
    const it = domain.intents.find((x) => x.name === input.value.trim());
    example.textContent = kind === 'intent' && it?.example ? `例：${it.example}` : '';
  };
  input.addEventListener('input', () => {
    step[kind] = kind === 'active_loop' && !input.value.trim() ? null : input.value.trim();
    showExample();
    onChange();
  });
  showExample();
  return [input, example];
}

/** The steps of `story` as an editable list (`editable` false: read only). */
export function stepEditor(story, domain, { editable, onChange }) {
  const ol = h('ol', { class: 'tr-steps', id: 'story-steps' });
  const changed = () => { draw(); onChange(); };
  function move(i, by) {
    const [s] = story.steps.splice(i, 1);
    story.steps.splice(i + by, 0, s);
    changed();
  }
  function draw() {
    replaceChildren(ol, ...story.steps.map((step, i) => {
      const kind = stepKind(step);
      const li = h('li', { class: `tr-step tr-step--${kind}`, dataset: { step: String(i), kind } },
        h('span', { class: 'tr-step-kind' }, STEP_KINDS[kind] || kind));
      if (kind in STEP_KINDS) li.append(...valueInput(step, kind, domain, onChange));
      else li.append(h('code', {}, JSON.stringify(step)));
      if (editable) {
        li.append(h('span', { class: 'tr-step-tools' },
          h('button', { type: 'button', class: 'btn btn--sm', title: '上移', disabled: i === 0, onClick: () => move(i, -1) }, '↑'),
          h('button', { type: 'button', class: 'btn btn--sm', title: '下移', disabled: i === story.steps.length - 1, onClick: () => move(i, 1) }, '↓'),
          h('button', { type: 'button', class: 'btn btn--sm btn--danger', title: '删除步骤', onClick: () => { story.steps.splice(i, 1); changed(); } }, '删除')));
      }
      if (kind === 'intent' && domain.entities.length) li.append(entityRows(step, domain, onChange));
      li.append(h('div', { class: 'tr-step-finding', role: 'alert' }));
      if (!editable) for (const el of li.querySelectorAll('input, select, button')) el.disabled = true;
      return li;
    }));
  }
  const adders = h('div', { class: 'tr-row', id: 'story-add-steps' }, ...Object.entries(STEP_KINDS).map(([kind, label]) =>
    h('button', { type: 'button', class: 'btn btn--sm', dataset: { add: kind }, disabled: !editable,
      onClick: () => { story.steps.push(newStep(kind)); changed(); ol.lastElementChild?.querySelector('input')?.focus(); } }, `+ ${label}`)));
  draw();
  const lists = h('div', { hidden: true }, datalist('tr-intents', domain.intents.map((i) => i.name)),
    datalist('tr-actions', domain.actions), datalist('tr-forms', domain.forms));
  return { el: h('div', {}, lists, ol, adders), redraw: draw };
}

/** Show `findings` ([{step, message, level}]) next to their steps; story-level ones go into `storyBox`. */
export function showFindings(root, storyBox, findings, other = []) {
  for (const box of root.querySelectorAll('.tr-step-finding')) box.replaceChildren();
  for (const li of root.querySelectorAll('.tr-step')) li.removeAttribute('data-invalid');
  const general = [];
  for (const f of findings) {
    const li = f.step === null || f.step === undefined ? null : root.querySelector(`.tr-step[data-step="${f.step}"]`);
    if (!li) { general.push(f.message); continue; }
    li.dataset.invalid = 'true';
    li.querySelector('.tr-step-finding').append(h('div', {}, f.message));
  }
  replaceChildren(storyBox, ...[...general, ...other].map((m) => h('div', {}, m)));
}
