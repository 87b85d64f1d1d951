// Who the user is. The app passes a portal token in `?token=`; a local run gets one from
// POST /api/v1/dev/user-token with a user id kept in localStorage and `?channel=`.

import { Api } from '../common/api.js';
import { uuid } from '../common/ids.js';

const SUB_KEY = 'bangban.h5.sub';
const CHANNELS = ['pc', 'app', 'wechat', 'alipay', 'kiosk'];

export const identity = { token: null, sub: null, name: null, channel: 'app' };
export const api = new Api(() => identity.token);

function claims(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const json = decodeURIComponent(escape(atob(part)));
    return JSON.parse(json);
  } catch {
    return {};
  }
}

export async function obtainToken() {
  const params = new URLSearchParams(location.search);
  const given = params.get('token');
  if (given) {
    const c = claims(given);
    Object.assign(identity, { token: given, sub: c.sub || 'user', name: c.name || '', channel: c.channel || 'app' });
    return identity;
  }
  let sub = params.get('sub') || localStorage.getItem(SUB_KEY);
  if (!sub) sub = `h5-${uuid().slice(0, 8)}`;
  localStorage.setItem(SUB_KEY, sub);
  const channel = CHANNELS.includes(params.get('channel')) ? params.get('channel') : 'app';
  const name = params.get('name') || `访客${sub.slice(-4)}`;
  const res = await api.post('/api/v1/dev/user-token', { sub, name, channel });
  Object.assign(identity, { token: res.token, sub, name, channel });
  return identity;
}
