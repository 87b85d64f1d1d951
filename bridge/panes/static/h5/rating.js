// The rating dialog after a conversation closes: 5 levels and resolved or not, per target.

import { h, svg } from '../common/dom.js';
import { openDialog, toast } from '../common/dialog.js';
import { SCORES } from '../common/format.js';

const TARGETS = { bot: '智能客服小申', agent: '帮办人员' };

/** A face for score 1..5: the mouth bends from a frown to a smile. */
function face(score) {
  const bend = (score - 3) * 3; // -6 .. 6
  return svg('svg', { viewBox: '0 0 32 32', width: 30, height: 30, class: 'rate__face', 'aria-hidden': 'true' },
    svg('circle', { cx: 16, cy: 16, r: 14, fill: 'none', stroke: 'currentColor', 'stroke-width': 2 }),
    svg('circle', { cx: 11, cy: 13, r: 1.8, fill: 'currentColor' }),
    svg('circle', { cx: 21, cy: 13, r: 1.8, fill: 'currentColor' }),
    svg('path', { d: `M10 21 Q16 ${21 + bend} 22 21`, fill: 'none', stroke: 'currentColor', 'stroke-width': 2, 'stroke-linecap': 'round' }));
}

function targetBlock(target, answers) {
  const scoreRow = h('div', { class: 'rate__scores', role: 'radiogroup', 'aria-label': `${TARGETS[target]}满意度` });
  const resolvedRow = h('div', { class: 'rate__resolved' });
  const caption = h('div', { class: 'rate__caption' }, '请选择满意度');
  const paint = () => {
    scoreRow.querySelectorAll('button').forEach((b) => {
      b.classList.toggle('is-selected', Number(b.dataset.score) === answers[target].score);
      b.setAttribute('aria-checked', String(Number(b.dataset.score) === answers[target].score));
    });
    resolvedRow.querySelectorAll('button').forEach((b) => {
      const on = b.dataset.value === String(answers[target].resolved);
      b.classList.toggle('is-selected', on);
      b.setAttribute('aria-pressed', String(on));
    });
    caption.textContent = answers[target].score ? SCORES[answers[target].score - 1] : '请选择满意度';
  };
  SCORES.forEach((label, i) => {
    scoreRow.append(h('button', {
      type: 'button', class: 'rate__score', role: 'radio', 'aria-checked': 'false', dataset: { score: i + 1 }, title: label,
      'aria-label': label,
      onClick: () => { answers[target].score = i + 1; paint(); },
    }, face(i + 1), h('span', { class: 'rate__label' }, label)));
  });
  for (const [value, label] of [['true', '已解决'], ['false', '未解决']]) {
    resolvedRow.append(h('button', {
      type: 'button', class: 'rate__choice', 'aria-pressed': 'false', dataset: { value },
      onClick: () => { answers[target].resolved = value === 'true'; paint(); },
    }, label));
  }
  return h('section', { class: 'rate__block', dataset: { target } },
    h('h3', {}, `对${TARGETS[target]}的评价`), scoreRow, caption,
    h('div', { class: 'rate__q' }, '您的问题是否已解决？'), resolvedRow);
}

/** Ask for ratings of `targets`; `submit(target, score, resolved, comment)` stores one. */
export async function askRating(targets, submit) {
  const answers = Object.fromEntries(targets.map((t) => [t, { score: 0, resolved: null }]));
  const comment = h('textarea', { class: 'textarea rate__comment', maxlength: 1000, placeholder: '意见或建议（选填）' });
  const error = h('p', { class: 'dialog__error', role: 'alert' });
  const content = h('div', { class: 'rate' }, targets.map((t) => targetBlock(t, answers)), comment, error);
  const done = await openDialog({
    title: '服务评价',
    className: 'dialog--sheet',
    content,
    actions: [
      { label: '以后再说', value: false },
      {
        label: '提交评价', kind: 'primary', value: true, onClick: async () => {
          const missing = targets.find((t) => !answers[t].score || answers[t].resolved === null);
          if (missing) {
            error.textContent = `请完成对${TARGETS[missing]}的评价。`;
            return false;
          }
          try {
            for (const t of targets) await submit(t, answers[t].score, answers[t].resolved, comment.value.trim());
          } catch (err) {
            error.textContent = err.message;
            return false;
          }
          return true;
        },
      },
    ],
  });
  if (done) toast('感谢您的评价！', 'ok');
  return done;
}
