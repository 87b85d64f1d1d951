// Entry point of the supervisor dashboard: login, filters, KPIs every 10 s and on live events.

import { $, replaceChildren, h } from '../common/dom.js';
import { loadCatalogue, departmentName } from '../common/catalogue.js';
import { toast } from '../common/dialog.js';
import { api, session, resume, logout, isSupervisor, bindLoginForm } from './session.js';
import { mountFilters, currentQuery } from './filters.js';
import { renderKpis } from './kpi-view.js';
import { startLive, addAlert } from './live.js';
import { refreshOffline } from './offline.js';
import { refreshOutbox } from './notify-view.js';
import { refreshRectify } from './rectify-view.js';

const REFRESH_MS = 10000;
const NOTICE_KEY = 'bangban.dashboard.notice';
let inFlight = null;
let again = false;

async function refresh() {
  if (inFlight) {
    again = true;
    return inFlight;
  }
  const query = currentQuery();
  inFlight = api.get('/api/v1/kpis', query).then((k) => {
    renderKpis(k);
    refreshOffline(api, query);
    refreshRectify(api, query);
    $('#kpis').dataset.query = new URLSearchParams(query).toString();
    $('#updated').textContent = `更新于 ${new Date().toLocaleTimeString('zh-CN', { hour12: false })}`;
  }).catch((err) => {
    if (err.status === 401) authFailed(err.message);
    else replaceChildren($('#cards'), h('p', { class: 'chart-empty' }, `数据加载失败：${err.message}`));
  }).finally(() => {
    inFlight = null;
    if (again) {
      again = false;
      refresh();
    }
  });
  return inFlight;
}

let debounce = null;
const soon = () => {
  clearTimeout(debounce);
  debounce = setTimeout(refresh, 500);
};

function authFailed(message) {
  logout();
  sessionStorage.setItem(NOTICE_KEY, message || '登录已失效，请重新登录。');
  location.reload();
}

async function loadRecentAlerts() {
  try {
    const { alerts } = await api.get('/api/v1/alerts');
    for (const a of [...alerts].reverse().slice(-15)) addAlert(a);
  } catch { /* optional */ }
}

async function start() {
  if (!isSupervisor()) {
    logout();
    showLogin('看板仅供班长和管理人员使用。');
    return;
  }
  $('#login').hidden = true;
  $('#app').hidden = false;
  await loadCatalogue(api);
  const me = session.me;
  $('#me').textContent = `${me.name} · ${(me.departments || []).map((d) => (d === '*' ? '全部部门' : departmentName(d))).join('、')}`;
  mountFilters(me, refresh);
  $('#logout').addEventListener('click', () => {
    logout();
    location.reload();
  });
  const live = startLive(session.token, () => { soon(); live.refreshAgents(); }, authFailed);
  await refresh();
  loadRecentAlerts();
  refreshOutbox(api);
  setInterval(() => {
    refresh();
    live.refreshAgents();
    refreshOutbox(api);
  }, REFRESH_MS);
}

function showLogin(message = '') {
  $('#app').hidden = true;
  $('#login').hidden = false;
  $('#login-error').textContent = message;
}

async function boot() {
  bindLoginForm(start);
  if (await resume()) await start();
  else {
    showLogin(sessionStorage.getItem(NOTICE_KEY) || '');
    sessionStorage.removeItem(NOTICE_KEY);
  }
}

boot().catch((err) => toast(err.message, 'error'));
