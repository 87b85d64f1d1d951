// Shared helpers of the media scripts: element building (text only), classic-script loading,
// acknowledged Socket.IO emits and the pane hook (window.BangbanPane, `bangban:conversation`).

/** An element with attributes and (text-only) children. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'style') node.style.cssText = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

const classic = new Map();

/** Load a classic (UMD) script once; resolves when it ran. */
export function loadClassic(url) {
  if (!classic.has(url)) {
    classic.set(url, new Promise((resolve, reject) => {
      const script = el('script', { src: url });
      script.onload = resolve;
      script.onerror = () => reject(new Error(`无法加载 ${url}`));
      document.head.append(script);
    }));
  }
  return classic.get(url);
}

export function loadCss(url) {
  if (document.querySelector(`link[href="${url}"]`)) return;
  document.head.append(el('link', { rel: 'stylesheet', href: url }));
}

export function addStyle(id, css) {
  if (document.getElementById(id)) return;
  const style = el('style', { id });
  style.textContent = css;
  document.head.append(style);
}

/** Emit with an ack; a timeout answers like a server error. */
export function request(socket, event, data, timeoutMs = 20000) {
  return new Promise((resolve) => {
    socket.timeout(timeoutMs).emit(event, data, (err, ack) => {
      resolve(err || !ack ? { ok: false, error: { code: 'timeout', message: '网络超时，请重试' } } : ack);
    });
  });
}

/** The page hook; throws when the page did not set it. */
export function pane() {
  const hook = window.BangbanPane;
  if (!hook || !hook.socket || !hook.slot) throw new Error('BangbanPane is not set');
  return hook;
}

/** Call `fn(conversationId)` now and whenever the page's conversation changes. */
export function onConversation(hook, fn) {
  fn(hook.currentConversation());
  window.addEventListener('bangban:conversation', (ev) => fn(ev.detail ? ev.detail.conversationId : null));
}

/** Show `text` briefly in a small toast (errors of media actions). */
export function notify(text) {
  addStyle('bb-media-toast-css', '.bb-media-toast{position:fixed;left:50%;bottom:90px;transform:translateX(-50%);'
    + 'background:rgba(0,0,0,.8);color:#fff;padding:8px 14px;border-radius:6px;font:14px/1.4 sans-serif;'
    + 'z-index:2147483647;max-width:80vw}');
  const toast = el('div', { class: 'bb-media-toast', role: 'status', 'data-cobrowse-ui': true }, text);
  document.body.append(toast);
  setTimeout(() => toast.remove(), 3500);
}
