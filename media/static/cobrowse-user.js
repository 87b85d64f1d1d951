// Co-browse (双屏互动), user side. The agent asks (cobrowse_request); the user consents with 同意共享
// (and can 停止共享 at any time); the page is recorded with rrweb, sensitive fields masked here and
// scrubbed again by the server, and streamed as cobrowse_events. The agent's pointer and highlights
// are shown; agent actions (申请协助操作) apply only after a second consent. Mini-programs without a
// DOM use shareForm(). Loaded by the user page as an ES module (bridge/panes/README.md).
import { el, addStyle, loadClassic, request, pane, notify } from './pane-kit.js';

const RECORD_JS = '/media-static/vendor/rrweb-record.min.js';
const SENSITIVE = /pass|pwd|idcard|id_card|id-card|idno|id_no|certno|cert_no|sfz|身份证|证件|bank|card|卡号|银行|phone|mobile|tel|手机|电话|验证码|otp|captcha|smscode|sms_code|cvv|cvc/i;
const FLUSH_MS = 100;
const MAX_BATCH_BYTES = 512 * 1024;

/** True for fields whose values never leave the page: passwords, ID/bank cards, phones, codes. */
export function isSensitive(node) {
  if (!node || node.nodeType !== 1) return false;
  if (node.closest && node.closest('[data-sensitive]')) return true;
  const tag = node.tagName.toLowerCase();
  if (tag !== 'input' && tag !== 'textarea' && tag !== 'select') return false;
  const type = (node.getAttribute('type') || '').toLowerCase();
  if (type === 'password' || type === 'tel') return true;
  for (const key of ['name', 'id', 'autocomplete', 'placeholder', 'aria-label']) {
    const value = node.getAttribute(key);
    if (value && SENSITIVE.test(value)) return true;
  }
  return false;
}

const CSS = `
.bb-cob-bar{position:fixed;top:0;left:0;right:0;z-index:2147483600;background:#1f6feb;color:#fff;
  font:14px/1.5 system-ui,"PingFang SC","Microsoft YaHei",sans-serif;padding:8px 12px;display:flex;
  flex-wrap:wrap;align-items:center;justify-content:center;gap:8px;box-shadow:0 2px 8px rgba(0,0,0,.25)}
.bb-cob-bar[hidden]{display:none}
.bb-cob-bar--ask{z-index:2147483601;background:#fff;color:#1b2330;border-bottom:3px solid #1f6feb}
.bb-cob-bar button{border:0;border-radius:14px;padding:3px 14px;font:inherit;cursor:pointer;background:#fff;color:#1f6feb}
.bb-cob-bar--ask button{background:#1f6feb;color:#fff}
.bb-cob-bar--ask button.bb-cob-no{background:#e9ecf1;color:#1b2330}
.bb-cob-pointer{position:absolute;width:18px;height:18px;margin:-9px 0 0 -9px;border-radius:50%;
  background:rgba(255,80,0,.75);border:2px solid #fff;pointer-events:none;z-index:2147483600;display:none;
  transition:left .08s linear,top .08s linear}
.bb-cob-pointer--click{animation:bb-cob-pulse .6s}
@keyframes bb-cob-pulse{from{box-shadow:0 0 0 0 rgba(255,80,0,.8)}to{box-shadow:0 0 0 18px rgba(255,80,0,0)}}
`;

function mount(hook) {
  addStyle('bb-cob-user-css', CSS);
  const { socket } = hook;
  let session = null; // {id, conversationId}
  let stopRecord = null;
  let buffer = [];
  let timer = null;
  let sending = false;
  let control = false;

  const ask = el('div', { class: 'bb-cob-bar bb-cob-bar--ask', role: 'dialog', hidden: true, 'data-cobrowse-ui': true });
  const banner = el('div', { class: 'bb-cob-bar', role: 'status', hidden: true, 'data-cobrowse-ui': true });
  const pointer = el('div', { class: 'bb-cob-pointer', 'data-cobrowse-ui': true, 'aria-hidden': 'true' });
  document.body.append(ask, banner, pointer);

  /** Show a question with two buttons; resolves true/false. */
  function question(text, yes, no) {
    return new Promise((resolve) => {
      const answer = (value) => { ask.hidden = true; ask.replaceChildren(); resolve(value); };
      ask.replaceChildren(el('span', {}, text),
        el('button', { type: 'button', class: 'bb-cob-yes', onclick: () => answer(true) }, yes),
        el('button', { type: 'button', class: 'bb-cob-no', onclick: () => answer(false) }, no));
      ask.hidden = false;
    });
  }

  function showBanner() {
    banner.replaceChildren(
      el('span', {}, control ? '客服正在协助操作您的页面' : '客服正在查看您的页面（密码、证件号、手机号等已隐藏）'),
      control ? el('button', { type: 'button', class: 'bb-cob-revoke', onclick: () => api.revokeControl() }, '收回操作权') : null,
      el('button', { type: 'button', class: 'bb-cob-stop', onclick: () => api.stop() }, '停止共享'));
    banner.hidden = false;
  }

  function teardown() {
    if (stopRecord) { stopRecord(); stopRecord = null; }
    clearInterval(timer);
    timer = null; buffer = []; control = false; session = null;
    banner.hidden = true; ask.hidden = true; pointer.style.display = 'none';
  }

  function flush() {
    if (sending || !buffer.length || !session) return;
    const batch = [];
    let size = 0;
    while (buffer.length) {
      const s = JSON.stringify(buffer[0]).length;
      if (batch.length && size + s > MAX_BATCH_BYTES) break;
      batch.push(buffer.shift());
      size += s;
    }
    sending = true;
    const current = session;
    request(socket, 'cobrowse_events', { conversation_id: current.conversationId, session_id: current.id, events: batch }, 10000)
      .then((ack) => {
        sending = false;
        if (ack.ok) return;
        const code = ack.error.code;
        if (code === 'rate_limited' || code === 'timeout') buffer = batch.concat(buffer);
        else if (code === 'cobrowse_not_active' || code === 'cobrowse_not_found') teardown();
      });
  }

  async function start() {
    await loadClassic(RECORD_JS);
    if (!session) return;
    showBanner();
    stopRecord = window.rrwebRecord.record({
      emit: (event) => {
        if (event.type === 4 && event.data) event.data.href = location.origin + location.pathname; // no token
        buffer.push(event);
        if (event.type === 2) flush();
      },
      maskAllInputs: true, // every input goes through maskInputFn, which hides only the sensitive ones
      maskInputFn: (text, node) => (isSensitive(node) ? '*'.repeat(text.length) : text),
      maskTextSelector: '[data-sensitive]',
      blockSelector: '[data-cobrowse-ui],[data-cobrowse-block]',
      sampling: { mousemove: 100, scroll: 150 }, // every input event: the agent sees typing live
      recordCanvas: false, collectFonts: false, inlineImages: false,
    });
    timer = setInterval(flush, FLUSH_MS);
  }

  socket.on('cobrowse_request', async (req) => {
    const accept = await question(req.notice || '客服申请查看您的当前页面，以便指导您操作。', '同意共享', '拒绝');
    const ack = await request(socket, 'cobrowse_consent',
      { conversation_id: req.conversation_id, session_id: req.session_id, accept });
    if (!ack.ok) { notify(ack.error.message); return; }
    if (accept && req.mode !== 'form') {
      session = { id: req.session_id, conversationId: req.conversation_id };
      start().catch((err) => notify(err.message));
    }
  });
  socket.on('cobrowse_control_request', async (req) => {
    const accept = await question(req.notice || '客服申请协助操作您的页面（不会填写密码、证件号等信息）。',
      '同意协助操作', '拒绝');
    request(socket, 'cobrowse_control_consent',
      { conversation_id: req.conversation_id, session_id: req.session_id, accept });
  });
  socket.on('cobrowse_state', (st) => {
    if (st.state === 'ended') { teardown(); return; }
    if (session && st.session_id === session.id) { control = st.control === 'on'; showBanner(); }
  });
  socket.on('cobrowse_pointer', (p) => {
    if (!session || p.conversation_id !== session.conversationId) return;
    pointer.style.display = p.kind === 'clear' ? 'none' : 'block';
    pointer.style.left = `${p.x}px`;
    pointer.style.top = `${p.y}px`;
    if (p.kind === 'click' || p.kind === 'highlight') {
      pointer.classList.remove('bb-cob-pointer--click');
      void pointer.offsetWidth; // restart the animation
      pointer.classList.add('bb-cob-pointer--click');
    }
    if (p.kind === 'highlight' && p.node_id != null) {
      const node = window.rrwebRecord.record.mirror.getNode(p.node_id);
      if (node && node.style) {
        const old = node.style.outline;
        node.style.outline = '3px solid #ff5000';
        setTimeout(() => { node.style.outline = old; }, 3000);
      }
    }
  });
  socket.on('cobrowse_control', (c) => {
    if (!control || !session || c.conversation_id !== session.conversationId) return;
    const node = window.rrwebRecord.record.mirror.getNode(c.node_id);
    if (c.action === 'scroll') { window.scrollTo(c.x || 0, c.y || 0); return; }
    if (!node) return;
    if (c.action === 'click' && node.click) node.click();
    else if (c.action === 'focus' && node.focus) node.focus();
    else if (c.action === 'input' && !isSensitive(node) && 'value' in node) { // never types into private fields
      node.value = c.value;
      node.dispatchEvent(new Event('input', { bubbles: true }));
      node.dispatchEvent(new Event('change', { bubbles: true }));
    }
  });
  socket.on('form_suggest', async (s) => {
    const names = (s.suggestions || []).map((x) => `${labels[x.name] || x.name}：${x.value}`).join('；')
      + ((s.suggestions || [])[0]?.note ? `（${s.suggestions[0].note}）` : '');
    const accept = await question(`客服建议填写：${names}`, '采用', '不采用');
    api.replySuggestion(s.suggestion_id, accept ? (s.suggestions || []).map((x) => x.name) : [], s.conversation_id);
  });

  const labels = {}; // field name -> label of the forms this page shared (suggestions name fields)
  const api = {
    stop() {
      if (session) request(socket, 'cobrowse_stop', { conversation_id: session.conversationId, session_id: session.id });
      teardown();
    },
    revokeControl() {
      if (session) {
        request(socket, 'cobrowse_control_consent',
          { conversation_id: session.conversationId, session_id: session.id, accept: false });
      }
    },
    /** Form-sharing mode (mini-programs, pages without rrweb): fields [{name, label, type, value, sensitive}];
     *  sensitive values are masked here and again by the server. */
    shareForm(form, conversationId = hook.currentConversation()) {
      for (const f of form.fields || []) labels[f.name] = f.label || f.name;
      const fields = (form.fields || []).map((f) => (f.sensitive ? { ...f, value: f.value ? '*'.repeat(String(f.value).length) : '' } : f));
      return request(socket, 'form_share', { conversation_id: conversationId, form: { ...form, fields } });
    },
    replySuggestion(suggestionId, acceptedNames, conversationId = hook.currentConversation()) {
      return request(socket, 'form_suggest_reply',
        { conversation_id: conversationId, suggestion_id: suggestionId, accepted: acceptedNames });
    },
    isSensitive,
    get session() { return session; },
  };
  hook.cobrowse = api;
  return api;
}

mount(pane());
