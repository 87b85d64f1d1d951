// The call card of a phone conversation: caller (whole number for the assigned agent only), line, state,
// duration, the caller's earlier online conversations, and the notes of what was read to the caller.

import { h, replaceChildren, $ } from '../common/dom.js';
import { CHANNELS, STATES } from '../common/format.js';
import { matterName } from '../common/catalogue.js';
import { toast } from '../common/dialog.js';
import { desk } from './store.js';
import { api } from './session.js';
import { net } from './net.js';

const CALL_STATES = { ringing: '振铃中', talking: '通话中', ended: '已挂断' };
let shown = null; // {id, card}
let ticker = null;

/** Whether the conversation on screen is a phone call. */
export function onCall() {
  return desk.current?.card.channel === 'phone';
}

function seconds(call) {
  if (!call.answered_at) return null;
  const end = call.ended_at ? Date.parse(call.ended_at) : Date.now();
  return Math.max(0, Math.round((end - Date.parse(call.answered_at)) / 1000));
}

function duration(call) {
  const s = seconds(call);
  return s === null ? '—' : `${Math.floor(s / 60)}分${String(s % 60).padStart(2, '0')}秒`;
}

function historyList(items) {
  if (!items.length) return h('p', { class: 'muted' }, '来电号码未关联已实名的市民，或其无在线咨询记录。');
  return h('ul', { class: 'callcard__history' }, items.map((c) => h('li', {},
    h('span', { class: 'pill' }, CHANNELS[c.channel] || c.channel || '—'),
    h('span', {}, ` ${(c.created_at || '').slice(0, 10)} ${matterName(c.matter)} `),
    h('span', { class: 'muted' }, `${STATES[c.state] || c.state}${c.resolved === true ? '·已解决' : ''}`),
    c.question ? h('div', { class: 'callcard__q' }, c.question) : null)));
}

function notesList(notes) {
  return h('ul', { class: 'callcard__notes' }, notes.map((n) => h('li', {},
    h('strong', {}, n.kind === 'kb' ? `已读给来电人：${n.title || '知识库答案'}` : '通话小结'),
    h('div', {}, n.text))));
}

async function saveNote(kind, text, extra = {}) {
  const entry = desk.current;
  if (!entry || !onCall()) return false;
  await api.post(`/api/v1/phone/calls/${entry.card.id}/notes`, { kind, text, ...extra });
  await refresh();
  return true;
}

/** Record a KB answer read to the caller (kept on the call, sent to nobody). */
export async function readToCaller(article, text) {
  try {
    await saveNote('kb', text, { article_id: article.id || null, title: article.title || article.question || null });
    toast('已记录：读给来电人的知识库答案', 'ok');
  } catch (err) {
    toast(`记录失败：${err.message}`, 'error');
  }
}

function render(card) {
  const box = $('#call-card');
  const { call } = card;
  const summary = h('textarea', { class: 'textarea', rows: 3, maxlength: 4000, placeholder: '通话小结：来电诉求、答复情况…' });
  const save = h('button', { type: 'button', class: 'btn btn--sm', onClick: async () => {
    if (!summary.value.trim()) return;
    try {
      await saveNote('summary', summary.value.trim());
      toast('通话小结已保存', 'ok');
    } catch (err) {
      toast(`保存失败：${err.message}`, 'error');
    }
  } }, '保存小结');
  replaceChildren(box,
    h('div', { class: 'context__title' }, '来电'),
    h('dl', { class: 'kv callcard__kv' },
      h('dt', {}, '来电号码'), h('dd', { class: 'mono', id: 'call-caller' }, call.caller || call.caller_masked || '—'),
      h('dt', {}, '热线'), h('dd', {}, `${call.line_name || call.line}${call.ivr ? `（按键 ${call.ivr}）` : ''}`),
      h('dt', {}, '状态'), h('dd', { id: 'call-state' }, CALL_STATES[call.state] || call.state),
      h('dt', {}, '通话时长'), h('dd', { id: 'call-duration' }, duration(call))),
    h('div', { class: 'context__title' }, card.verified_citizen ? '该市民此前的在线咨询' : '历史咨询'),
    historyList(card.history || []),
    (card.notes || []).length ? notesList(card.notes) : null,
    h('div', { class: 'callcard__summary' }, summary, save));
  box.hidden = false;
}

async function refresh() {
  const entry = desk.current;
  const box = $('#call-card');
  $('#chat-main').classList.toggle('is-call', onCall()); // a call cannot go back to the bot
  if (!entry || entry.card.channel !== 'phone') {
    box.hidden = true;
    shown = null;
    return;
  }
  const id = entry.card.id;
  try {
    const card = await api.get(`/api/v1/phone/calls/${id}`);
    if (desk.currentId !== id) return;
    shown = { id, card };
    render(card);
  } catch (err) {
    replaceChildren(box, h('p', { class: 'muted' }, `来电信息加载失败：${err.message}`));
    box.hidden = false;
  }
}

export function mountCallCard() {
  desk.addEventListener('current', refresh);
  net.socket?.on('phone_call', ({ conversation_id: id, conversation }) => {
    if (conversation && desk.conversations.has(id)) desk.upsert(conversation);
    if (id === desk.currentId) refresh();
  });
  clearInterval(ticker);
  ticker = setInterval(() => {
    if (shown && shown.id === desk.currentId) $('#call-duration').textContent = duration(shown.card.call);
  }, 1000);
}
