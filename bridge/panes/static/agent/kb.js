// Knowledge-base search, answers suggested for the user's last question, canned responses.

import { h, replaceChildren, $ } from '../common/dom.js';
import { matterName } from '../common/catalogue.js';
import { desk } from './store.js';
import { api } from './session.js';
import { insertText } from './composer.js';
import { renderCards } from '../common/cards.js';
import { onCall, readToCaller } from './callcard.js';

let kbMissing = false;
let lastSuggestFor = null;
let seq = 0;

/** Answer text to insert: the answer, then numbered steps if any. */
function answerText(r) {
  const steps = Array.isArray(r.steps) && r.steps.length
    ? `\n${r.steps.map((s, i) => `${i + 1}. ${typeof s === 'string' ? s : s.text || ''}`).join('\n')}`
    : '';
  return `${r.answer || ''}${steps}`.trim();
}

function resultItem(r) {
  return h('li', { class: 'kb-item' },
    h('div', { class: 'kb-item__head' },
      h('strong', { class: 'kb-item__title' }, r.title || r.question || ''),
      h('button', { type: 'button', class: 'btn btn--sm', title: '插入到回复框；电话咨询：记为已读给来电人',
        onClick: () => (onCall() ? readToCaller(r, answerText(r))
          : insertText(answerText(r), r.cards?.length ? r.id : null)) }, '插入')),
    h('div', { class: 'kb-item__meta' },
      h('span', { class: 'pill pill--blue' }, matterName(r.matter)),
      r.aspect ? h('span', { class: 'pill' }, r.aspect) : null),
    r.question && r.title ? h('div', { class: 'kb-item__q' }, `问：${r.question}`) : null,
    h('div', { class: 'kb-item__a' }, answerText(r)),
    renderCards({ cards: r.cards })); // not kept: a search result has no message id
}

async function search(q, matter, label) {
  const my = ++seq;
  const note = $('#kb-note');
  const list = $('#kb-results');
  if (kbMissing) {
    note.textContent = '知识库检索服务尚未开通。';
    return;
  }
  if (!q) {
    note.textContent = '输入关键词检索，或选择会话后自动推荐。';
    replaceChildren(list);
    return;
  }
  note.textContent = '检索中…';
  try {
    const res = await api.get('/api/v1/kb/search', { q, matter });
    if (my !== seq) return;
    const results = res.results || [];
    note.textContent = results.length ? label : `未找到与“${q}”相关的知识。`;
    replaceChildren(list, results.slice(0, 8).map(resultItem));
  } catch (err) {
    if (my !== seq) return;
    if (err.status === 404 && err.code === 'not_found') {
      kbMissing = true;
      note.textContent = '知识库检索服务尚未开通。';
    } else {
      note.textContent = `检索失败：${err.message}`;
    }
    replaceChildren(list);
  }
}

/** Suggestions for the user's last question in the current conversation. */
function suggest() {
  const entry = desk.current;
  if (!entry || $('#kb-q').value.trim()) return;
  const last = entry.log.last((m) => m.sender?.role === 'user' && m.type === 'text' && m.text && !m.text.startsWith('/'));
  const q = last?.text || entry.card.summary?.question || '';
  const key = `${entry.card.id}:${q}`;
  if (key === lastSuggestFor) return;
  lastSuggestFor = key;
  search(q.slice(0, 200), entry.card.matter || undefined, '为用户最近的问题推荐：');
}

async function loadCanned() {
  const list = $('#canned');
  try {
    const { responses } = await api.get('/api/v1/canned');
    replaceChildren(list, (responses || []).map((r) => h('li', {},
      h('button', { type: 'button', class: 'canned__item', title: r.text, onClick: () => insertText(r.text) },
        h('span', { class: 'canned__title' }, r.title || r.key), h('span', { class: 'canned__text' }, r.text)))));
  } catch (err) {
    replaceChildren(list, h('li', { class: 'muted' }, `快捷回复加载失败：${err.message}`));
  }
}

export function focusSearch() {
  const input = $('#kb-q');
  input.focus();
  input.select();
}

export function mountKnowledge() {
  let timer = null;
  const input = $('#kb-q');
  const run = () => {
    const q = input.value.trim();
    if (!q) {
      lastSuggestFor = null;
      suggest();
      return;
    }
    search(q, undefined, '检索结果：');
  };
  $('#kb-form').addEventListener('submit', (e) => {
    e.preventDefault();
    run();
  });
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(run, 350);
  });
  desk.addEventListener('current', suggest);
  desk.addEventListener('messages', (e) => { if (e.detail.id === desk.currentId) suggest(); });
  loadCanned();
  search('', undefined, '');
}
