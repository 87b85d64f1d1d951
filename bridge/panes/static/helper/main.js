// Entry point of /helper: login, then three tabs — search the KB, log a problem, follow one's own items.

import { $, $$, show } from '../common/dom.js';
import { loadCatalogue } from '../common/catalogue.js';
import { toast } from '../common/dialog.js';
import { HELPER_ROLES, api, bindLoginForm, isHelper, logout, resume, session } from './session.js';
import { mountKb } from './kb.js';
import { mountReport } from './report.js';
import { mountMine } from './mine.js';

let refreshMine = null;

function select(tab) {
  for (const b of $$('.hp-tab')) b.setAttribute('aria-selected', String(b.dataset.tab === tab));
  for (const name of ['kb', 'report', 'mine']) show($(`#tab-${name}`), name === tab);
  if (tab === 'mine') refreshMine().catch((err) => toast(err.message, 'error'));
}

function showLogin(message = '') {
  show($('#app'), false);
  show($('#logout'), false);
  show($('#login'), true);
  $('#login-error').textContent = message;
}

async function start() {
  if (!isHelper()) {
    logout();
    showLogin('本页面仅供窗口帮办、帮办员和帮办领导干部使用。');
    return;
  }
  const me = session.me;
  $('#me').textContent = [me.name, HELPER_ROLES[me.role], me.hall, me.window].filter(Boolean).join(' · ');
  show($('#login'), false);
  show($('#app'), true);
  show($('#logout'), true);
  await loadCatalogue(api);
  mountKb(api);
  refreshMine = mountMine(api);
  mountReport(api, me, () => select('mine'));
  for (const b of $$('.hp-tab')) b.addEventListener('click', () => select(b.dataset.tab));
  document.body.dataset.ready = 'true';
}

async function boot() {
  $('#logout').addEventListener('click', () => {
    logout();
    location.reload();
  });
  bindLoginForm(start);
  if (await resume()) await start();
  else showLogin();
}

boot().catch((err) => toast(err.message, 'error'));
