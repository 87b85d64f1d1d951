// Trainer console: login, tabs, and one view module per tab.

import { createStaffSession } from '../common/staff-session.js';
import { $, $$, show } from '../common/dom.js';
import { toast } from '../common/dialog.js';
import { renderNlu } from './nlu.js';
import { renderFiles } from './files.js';
import { renderKb } from './kb.js';
import { renderTrain } from './train.js';
import { renderUnanswered } from './unanswered.js';
import { renderDrafts } from './drafts.js';
import { renderLedger } from './ledger.js';
import { renderHistory } from './history.js';
import { renderLearn } from './learn.js';
import { renderReview } from './review.js';
import { renderMatters } from './matters.js';

const ALLOWED = ['trainer', 'admin', 'supervisor'];
const VIEWS = {
  nlu: renderNlu, files: renderFiles, kb: renderKb, train: renderTrain,
  unanswered: renderUnanswered, drafts: renderDrafts, ledger: renderLedger, history: renderHistory,
  learn: renderLearn,
};
VIEWS.review = renderReview;
VIEWS.matters = renderMatters;
const staff = createStaffSession('bangban.trainer.token');
const ctx = { api: staff.api, toast, me: null, canEdit: () => ['trainer', 'admin'].includes(ctx.me?.role) };

async function openTab(name) {
  for (const b of $$('#tabs button')) b.setAttribute('aria-selected', String(b.dataset.tab === name));
  const view = $('#view');
  view.replaceChildren();
  view.dataset.tab = name;
  try {
    await VIEWS[name](view, ctx);
  } catch (err) {
    toast(err.message || '加载失败', 'error');
  }
  if (location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`);
}

function enter(me) {
  ctx.me = me;
  $('#me').textContent = `${me.name}（${{ trainer: '训练师', admin: '管理员', supervisor: '班长' }[me.role] || me.role}）`;
  show($('#login'), false);
  show($('#app'), true);
  const first = (location.hash || '#nlu').slice(1);
  openTab(VIEWS[first] ? first : 'nlu');
}

function showLogin(message = '') {
  show($('#app'), false);
  show($('#login'), true);
  $('#login-error').textContent = message;
}

$('#login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const form = new FormData(ev.currentTarget);
  $('#login-error').textContent = '';
  try {
    const me = await staff.login(form.get('username'), form.get('password'));
    if (!ALLOWED.includes(me.role)) {
      staff.logout();
      showLogin('该账号无权使用训练师控制台。');
      return;
    }
    enter(me);
  } catch (err) {
    $('#login-error').textContent = err.message;
  }
});
$('#logout').addEventListener('click', () => { staff.logout(); showLogin(); });
$('#tabs').addEventListener('click', (ev) => {
  const btn = ev.target.closest('button[data-tab]');
  if (btn) openTab(btn.dataset.tab);
});

const me = await staff.resume();
if (me && ALLOWED.includes(me.role)) enter(me); else showLogin();
