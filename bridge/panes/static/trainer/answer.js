// The dialog that publishes an answer into the KB (from a draft or an unanswered question).

import { h } from '../common/dom.js';
import { openDialog } from '../common/dialog.js';
import { matters, matterSelect, showErrors, clearErrors } from './ui.js';

const INTENTS = ['ask_matter', 'ask_conditions', 'ask_materials', 'ask_process', 'ask_fees', 'ask_time_limit',
  'ask_progress', 'ask_offline', 'platform_tech'];

/** Opens the dialog; `post(body)` sends it. Resolves true when published. */
export async function answerDialog(ctx, { title, question, answer, matter, post }) {
  const list = await matters(ctx.api);
  const f = {
    matter: matterSelect(list, matter),
    question: h('input', { class: 'input', value: question || '' }),
    answer: h('textarea', { class: 'input' }),
    intent: h('select', { class: 'select' }, h('option', { value: '' }, '不加入语料'),
      ...INTENTS.map((i) => h('option', { value: i, selected: i === 'ask_matter' }, i))),
    policy: h('input', { class: 'input', type: 'date' }),
  };
  f.answer.value = answer || '';
  const errors = h('div', { class: 'tr-errors', role: 'alert' });
  const body = h('div', {},
    h('label', { class: 'field' }, h('span', {}, '办事事项'), f.matter),
    h('label', { class: 'field' }, h('span', {}, '用户问题'), f.question),
    h('label', { class: 'field' }, h('span', {}, '答复（≤120字为宜）'), f.answer),
    h('label', { class: 'field' }, h('span', {}, '问题加入哪个意图的语料（下次训练生效）'), f.intent),
    h('label', { class: 'field' }, h('span', {}, '政策生效日（可选）'), f.policy), errors);
  const result = await openDialog({ title, content: body, actions: [
    { label: '取消', value: false },
    { label: '审核通过并发布', kind: 'primary', onClick: async () => {
      clearErrors(errors);
      try {
        const res = await post({ matter: f.matter.value, question: f.question.value, answer: f.answer.value,
          intent: f.intent.value || null, policy_effective_date: f.policy.value || null });
        const nluNote = res.nlu.changed ? '，问题已加入语料' : res.nlu.errors.length ? `，语料未加入：${res.nlu.errors[0]}` : '';
        ctx.toast(`已发布为 ${res.article.id}${nluNote}`, res.nlu.errors.length ? 'warn' : 'ok', 6000);
        return true;
      } catch (err) {
        showErrors(errors, err);
        return false;
      }
    } },
  ] });
  return Boolean(result);
}
