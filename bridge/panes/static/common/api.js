// HTTP API client: JSON in and out, Bearer token, the contract's error shape.

export class ApiError extends Error {
  constructor(status, code, message, extra = {}) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.extra = extra;
  }
}

const NETWORK_MESSAGE = '网络连接失败，请检查网络后重试。';

export class Api {
  /** @param {() => string|null} getToken */
  constructor(getToken = () => null) {
    this.getToken = getToken;
  }

  headers(extra = {}) {
    const token = this.getToken();
    return token ? { ...extra, Authorization: `Bearer ${token}` } : extra;
  }

  async request(method, path, { body, query, form } = {}) {
    const url = new URL(path, location.origin);
    for (const [k, v] of Object.entries(query || {})) {
      if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, v);
    }
    const init = { method, headers: this.headers() };
    if (form) init.body = form;
    else if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(url, init);
    } catch {
      throw new ApiError(0, 'network', NETWORK_MESSAGE);
    }
    const data = await res.json().catch(() => null);
    if (!res.ok) {
      const err = (data && data.error) || {};
      throw new ApiError(res.status, err.code || `http_${res.status}`, err.message || `请求失败（${res.status}）`, err);
    }
    return data;
  }

  get(path, query) { return this.request('GET', path, { query }); }
  post(path, body) { return this.request('POST', path, { body }); }

  /** Upload one file to a conversation: POST /api/v1/media → {media_id, type, ...}. */
  upload(conversationId, file, filename) {
    const form = new FormData();
    form.append('conversation_id', conversationId);
    form.append('file', file, filename || file.name || 'upload');
    return this.request('POST', '/api/v1/media', { form });
  }

  /** A media URL usable in <img>/<audio> (which cannot send headers): token in the query. */
  mediaUrl(url) {
    if (!url) return '';
    const u = new URL(url, location.origin);
    const token = this.getToken();
    if (token) u.searchParams.set('token', token);
    return u.pathname + u.search;
  }
}
