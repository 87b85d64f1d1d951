// One user turn in 对话回顾: how the bot understood it and what it answered; the trainer's three actions.

import { h, replaceChildren } from '../common/dom.js';
import { matterSelect, matterName, showErrors, clearErrors } from './ui.js';

function pct(x) {
  return typeof x === 'number' ? `${Math.round(x * 100)}%` : '—';
}

function intentSelect(intents, value) {
  return h('select', { class: 'select', name: 'intent', 'aria-label': '意图' }, ...intents.map((i) => h('option', { value: i, selected: i === value }, i)));
}

/** Run `send()`; on success toast `message` and redraw the conversation, else show the errors in `box`. */
async function submit(env, box, send, message) {
  clearErrors(box);
  try {
    await send();
    env.ctx.toast(message, 'ok');
    await env.reload();
  } catch (err) {
    showErrors(box, err);
  }
}

function correctForm(t, env, box) {
  const u = t.understood;
  const intent = intentSelect(env.intents, u.intent);
  const matter = matterSelect([{ id: '', name: '（不指明事项）' }, ...env.list.filter((m) => m.id)], u.matter || '');
  const phrase = h('input', { class: 'input', name: 'phrase', 'aria-label': '指明事项的词', placeholder: '问题中指明事项的词' });
  const save = h('button', { type: 'button', class: 'btn btn--primary btn--sm', name: 'save-example' }, '保存为例句');
  save.addEventListener('click', () => submit(env, box, () => env.ctx.api.post(`/api/v1/trainer/reviews/${env.cid}/nlu`, {
    seq: t.seq, intent: intent.value, matter: matter.value || null, phrase: phrase.value.trim() || null }),
  '已写入训练数据（个人信息已脱敏），训练上线后生效'));
  return h('div', { class: 'tr-row rv-form', dataset: { form: 'correct' } }, '意图', intent, '事项', matter, phrase, save);
}

async function wrongForm(t, env, box) {
  const matter = t.understood.matter;
  const articles = matter ? (await env.ctx.api.get('/api/v1/trainer/kb/articles', { matter })).articles : [];
  const pick = h('select', { class: 'select', name: 'article', 'aria-label': '正确的文章' }, h('option', { value: '' }, '（选择正确的文章）'),
    ...articles.map((a) => h('option', { value: a.id }, `${a.title}（${a.id}）`)));
  const answer = h('textarea', { class: 'input', name: 'answer', 'aria-label': '答复草稿', placeholder: '或者写一条答复草稿' });
  const send = h('button', { type: 'button', class: 'btn btn--primary btn--sm', name: 'send-draft' }, '提交到草稿审核');
  send.addEventListener('click', () => submit(env, box, () => env.ctx.api.post(`/api/v1/trainer/reviews/${env.cid}/draft`, {
    seq: t.seq, article_id: pick.value || null, answer: answer.value.trim() || null }), '已提交到草稿审核'));
  return h('div', { class: 'rv-form', dataset: { form: 'wrong' } }, h('div', { class: 'tr-row' }, pick, send), answer);
}

function testForm(t, env, box) {
  const intent = intentSelect(env.intents, t.understood.intent);
  const save = h('button', { type: 'button', class: 'btn btn--primary btn--sm', name: 'save-test' }, '保存测试对话');
  save.addEventListener('click', () => submit(env, box, () => env.ctx.api.post(`/api/v1/trainer/reviews/${env.cid}/test-story`, {
    seqs: [t.seq], intents: { [t.seq]: intent.value } }), '已保存为测试对话'));
  return h('div', { class: 'tr-row rv-form', dataset: { form: 'test' } }, '期望意图', intent, save);
}

export function turnCard(t, env) {
  const u = t.understood;
  const forms = h('div');
  const box = h('div', { class: 'tr-errors', role: 'alert' });
  const open = (make) => async () => replaceChildren(forms, await make(t, env, box));
  return h('div', { class: 'tr-card rv-turn', dataset: { seq: String(t.seq) } },
    h('p', {}, h('strong', {}, `第${t.seq}条 市民：`), t.text || '（非文字消息）'),
    h('div', { class: 'tr-row rv-understood' },
      h('span', { class: 'tr-tag', dataset: { field: 'intent' } }, `意图 ${u.intent || '—'}`),
      h('span', { class: 'tr-tag', dataset: { field: 'confidence' } }, `置信度 ${pct(u.confidence)}`),
      h('span', { class: 'tr-tag', dataset: { field: 'matter', value: u.matter || '' } }, `事项 ${matterName(env.list, u.matter)}`),
      h('span', { class: 'tr-tag', dataset: { field: 'article' } }, `文章 ${u.kb_article || '—'}`),
      h('span', { class: 'tr-tag' }, `范围 ${u.scope || '—'}`)),
    ...t.answers.map((a) => h('p', { class: 'rv-answer' }, h('strong', {}, '小申：'), a)),
    env.editable ? h('div', { class: 'tr-row' },
      h('button', { type: 'button', class: 'btn btn--sm', name: 'correct', onClick: open(correctForm) }, '纠正意图与事项'),
      h('button', { type: 'button', class: 'btn btn--sm', name: 'wrong', onClick: open(wrongForm) }, '答案不对'),
      h('button', { type: 'button', class: 'btn btn--sm', name: 'test', onClick: open(testForm) }, '存为测试对话')) : null,
    forms, box);
}
