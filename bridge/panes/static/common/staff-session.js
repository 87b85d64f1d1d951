// Staff login (agents, supervisors): token kept in sessionStorage under a per-pane key.

import { Api } from './api.js';

export function createStaffSession(key) {
  const session = { token: sessionStorage.getItem(key), me: null };
  const api = new Api(() => session.token);

  async function login(username, password) {
    const res = await api.post('/api/v1/agents/login', { username, password });
    session.token = res.token;
    sessionStorage.setItem(key, res.token);
    session.me = res.agent;
    return res.agent;
  }

  /** The profile for a stored token, or null when it is missing or no longer valid. */
  async function resume() {
    if (!session.token) return null;
    try {
      session.me = await api.get('/api/v1/me');
      return session.me;
    } catch {
      logout();
      return null;
    }
  }

  function logout() {
    session.token = null;
    session.me = null;
    sessionStorage.removeItem(key);
  }

  const isSupervisor = () => ['supervisor', 'admin'].includes(session.me?.role);

  /** Log in from the page's `#login-form`, then `start()`; errors go to `#login-error`. */
  function bindLoginForm(start) {
    document.querySelector('#login-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const form = e.currentTarget;
      try {
        await login(form.username.value.trim(), form.password.value);
        await start();
      } catch (err) {
        document.querySelector('#login-error').textContent = err.message;
      }
    });
  }

  return { session, api, login, resume, logout, isSupervisor, bindLoginForm };
}
