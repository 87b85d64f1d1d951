// Entry point of the agent pane: login, then the desk (and the supervisor tab for supervisors).

import { $, $$ } from '../common/dom.js';
import { loadCatalogue, departmentName } from '../common/catalogue.js';
import { loadOptionalScripts } from '../common/media-hooks.js';
import { toast } from '../common/dialog.js';
import { api, session, login, resume, logout, isSupervisor } from './session.js';
import { desk } from './store.js';
import { net, startNet, setPresence } from './net.js';
import { prepareNotifications } from './notify.js';
import { mountConversationList } from './conv-list.js';
import { mountChat } from './chat.js';
import { mountComposer } from './composer.js';
import { mountKnowledge } from './kb.js';
import { mountActions } from './actions.js';
import { mountQueues } from './queues.js';
import { mountShortcuts } from './shortcuts.js';
import { mountSupervisor } from './supervisor.js';
import { mountCallCard } from './callcard.js';

const NOTICE_KEY = 'bangban.agent.notice';
const MEDIA_SCRIPTS = ['/media-static/call-agent.js', '/media-static/cobrowse-agent.js'];

function showLogin(message = '') {
  $('#app').hidden = true;
  $('#login').hidden = false;
  $('#login-error').textContent = message;
  $('#login-form [name=username]').focus();
}

function mountLogin() {
  $('#login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    $('#login-error').textContent = '';
    prepareNotifications();
    try {
      await login(form.username.value.trim(), form.password.value);
      form.password.value = '';
      await startDesk();
    } catch (err) {
      $('#login-error').textContent = err.message;
    } finally {
      button.disabled = false;
    }
  });
}

function mountTopbar() {
  const me = session.me;
  $('#me').textContent = `${me.name}${me.departments?.length ? ` · ${me.departments.map(departmentName).join('、')}` : ''}`;
  const select = $('#presence');
  select.addEventListener('change', async () => {
    try {
      await setPresence(select.value);
    } catch (err) {
      toast(`状态切换失败：${err.message}`, 'error');
    }
  });
  desk.addEventListener('presence', (e) => {
    const { status, active, capacity } = e.detail;
    select.value = status;
    $('#presence-dot').className = `dot dot--${status}`;
    $('#load').textContent = capacity ? `接待 ${active}/${capacity}` : '';
  });
  desk.addEventListener('connection', (e) => { $('#conn').hidden = e.detail.connected; });
  $('#logout').addEventListener('click', async () => {
    try {
      await setPresence('offline');
    } catch { /* leaving anyway */ }
    net.socket?.disconnect();
    logout();
    location.reload();
  });
}

function mountTabs() {
  if (!isSupervisor()) return;
  const sup = mountSupervisor();
  $('#tab-supervise').hidden = false;
  for (const tab of $$('#tabs .tab')) {
    tab.addEventListener('click', () => {
      for (const t of $$('#tabs .tab')) t.classList.toggle('is-active', t === tab);
      const supervise = tab.dataset.tab === 'supervise';
      $('#desk').hidden = supervise;
      $('#supervise').hidden = !supervise;
      if (supervise) sup.show();
      else sup.hide();
    });
  }
}

async function startDesk() {
  $('#login').hidden = true;
  $('#app').hidden = false;
  await loadCatalogue(api);
  mountTopbar();
  mountTabs();
  mountQueues();
  mountConversationList();
  mountChat();
  mountComposer();
  mountKnowledge();
  mountActions();
  mountShortcuts();
  startNet({
    onAuthFailure: (message) => {
      net.socket?.disconnect();
      logout();
      sessionStorage.setItem(NOTICE_KEY, message || '登录已失效，请重新登录。');
      location.reload();
    },
  });
  mountCallCard();
  window.BangbanPane = {
    role: 'agent', socket: net.socket, token: session.token, api, slot: $('#media-slot'),
    currentConversation: () => desk.currentId,
  };
  loadOptionalScripts(MEDIA_SCRIPTS);
}

async function boot() {
  mountLogin();
  if (await resume()) {
    prepareNotifications();
    await startDesk();
  } else {
    showLogin(sessionStorage.getItem(NOTICE_KEY) || '');
    sessionStorage.removeItem(NOTICE_KEY);
  }
}

boot();
