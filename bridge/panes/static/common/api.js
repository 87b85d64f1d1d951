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

  /**
   * A short-lived signed URL for <img>/<audio> (which cannot send headers) of a media address
   * (`/api/v1/media/<id>[?thumb=1]`): GET …/link once per item, reused until shortly before it expires.
   * Tokens never go into URLs. Resolves to '' when the link cannot be had.
   */
  async mediaUrl(url) {
    if (!url) return '';
    const u = new URL(url, location.origin);
    const id = decodeURIComponent(u.pathname.split('/').pop());
    this.links = this.links || new Map();
    let entry = this.links.get(id);
    if (!entry || entry.expiresAt * 1000 - Date.now() < 60_000) {
      entry = { expiresAt: Infinity, promise: this.get(`/api/v1/media/${encodeURIComponent(id)}/link`) };
      this.links.set(id, entry);
      entry.promise.then((l) => { entry.expiresAt = l.expires_at; }, () => this.links.delete(id));
    }
    try {
      const link = await entry.promise;
      return (u.searchParams.get('thumb') && link.thumb_url) || link.url;
    } catch {
      return '';
    }
  }
}
