// Co-browse (双屏互动), agent side. 申请共享屏幕 asks the user of the current conversation; once the
// user consents, the pane replays the user's page live with rrweb's Replayer. Moving over the replay
// shows the agent's pointer on the user's page, a click highlights the element there; 申请协助操作
// asks for the second consent, after which clicks act on the user's page. Form-sharing sessions
// (mini-programs, form pages) show the shared fields with a suggestion box next to each
// (cobrowse-form.js). Loaded by the agent pane as an ES module.
import { el, addStyle, loadClassic, loadCss, request, pane, onConversation, notify } from './pane-kit.js';
import { mountFormView } from './cobrowse-form.js';

const REPLAY_JS = '/media-static/vendor/rrweb-replay.min.js';
const REPLAY_CSS = '/media-static/vendor/rrweb-replay.css';
const MOVE_MS = 50;

const CSS = `
.bb-cob{position:fixed;top:64px;right:16px;width:420px;max-height:calc(100vh - 80px);z-index:2147483000;background:#fff;
  border:1px solid #c8d1dc;border-radius:8px;box-shadow:0 8px 30px rgba(0,0,0,.25);display:flex;flex-direction:column;
  font:13px/1.5 system-ui,"PingFang SC","Microsoft YaHei",sans-serif;overflow:hidden}
.bb-cob[hidden]{display:none}
.bb-cob__head{display:flex;align-items:center;gap:8px;padding:6px 10px;background:#f2f5f9;border-bottom:1px solid #dde3ea}
.bb-cob__status{flex:1;font-weight:600}
.bb-cob__modes label{margin-left:6px;cursor:pointer}
.bb-cob__view{position:relative;overflow:auto;background:#e9edf2;min-height:200px;flex:1}
.bb-cob__replay{transform-origin:0 0}
.bb-cob__replay .replayer-wrapper{position:relative}
.bb-cob__replay iframe{border:0;background:#fff}
`;

function mount(hook) {
  addStyle('bb-cob-agent-css', CSS);
  loadCss(REPLAY_CSS);
  const { socket } = hook;
  const look = 'btn btn--sm';
  const requestBtn = el('button', { type: 'button', class: `bb-cob-request ${look}` }, '申请共享屏幕');
  const controlBtn = el('button', { type: 'button', class: `bb-cob-control ${look}`, hidden: true }, '申请协助操作');
  const stopBtn = el('button', { type: 'button', class: `bb-cob-stop ${look}`, hidden: true }, '停止共享');
  hook.slot.append(requestBtn, controlBtn, stopBtn);

  const status = el('span', { class: 'bb-cob__status' });
  const modes = el('span', { class: 'bb-cob__modes' });
  const replayRoot = el('div', { class: 'bb-cob__replay' });
  const formView = mountFormView({ suggest: (formId, suggestions) => api.suggest(formId, suggestions) });
  const view = el('div', { class: 'bb-cob__view' }, replayRoot, formView.el);
  const panel = el('section', { class: 'bb-cob', hidden: true, 'aria-label': '屏幕共享' },
    el('div', { class: 'bb-cob__head' }, status, modes,
      el('button', { type: 'button', class: 'btn btn--sm', onclick: () => api.stop() }, '停止共享')),
    view);
  document.body.append(panel);

  let conversationId = null;
  let session = null; // {id, conversationId, state, control, mode}
  let replayer = null;
  let mode = 'pointer';
  let lastMove = 0;
  const received = { batches: 0, events: 0 };

  for (const [value, label] of [['pointer', '指示'], ['highlight', '高亮'], ['control', '操作']]) {
    const input = el('input', { type: 'radio', name: 'bb-cob-mode', value, checked: value === 'pointer' });
    input.addEventListener('change', () => { mode = value; });
    modes.append(el('label', {}, input, label));
  }

  function render() {
    const mine = session && session.conversationId === conversationId;
    requestBtn.hidden = !!mine;
    requestBtn.disabled = !conversationId || !!session;
    controlBtn.hidden = !(mine && session.state === 'active' && session.mode === 'dom');
    controlBtn.disabled = !!session && session.control !== 'off';
    controlBtn.textContent = session && session.control === 'requested' ? '等待用户同意…' : '申请协助操作';
    if (session && session.control === 'on') controlBtn.textContent = '已获协助操作权';
    stopBtn.hidden = !mine;
    modes.querySelector('input[value=control]').disabled = !(session && session.control === 'on');
    if (!session) { panel.hidden = true; return; }
    panel.hidden = false;
    modes.hidden = session.mode === 'form';
    status.textContent = session.state === 'requested' ? '等待用户同意共享屏幕…'
      : session.mode === 'form' ? '用户共享的表单'
      : session.control === 'on' ? '用户页面（可协助操作）' : '用户页面（实时）';
  }

  function fit() {
    const iframe = replayer && replayer.iframe;
    if (!iframe) return;
    const width = iframe.offsetWidth || 1;
    const scale = Math.min(1, (view.clientWidth - 4) / width);
    replayRoot.style.transform = `scale(${scale})`;
    replayRoot.style.height = `${iframe.offsetHeight * scale}px`;
  }

  function teardown() {
    if (replayer) { try { replayer.destroy(); } catch { /* already gone */ } replayer = null; }
    replayRoot.replaceChildren();
    formView.clear();
    session = null;
    mode = 'pointer';
    modes.querySelector('input[value=pointer]').checked = true;
    render();
  }

  function pagePoint(ev) {
    const iframe = replayer && replayer.iframe;
    if (!iframe) return null;
    const rect = iframe.getBoundingClientRect();
    const scale = rect.width / (iframe.offsetWidth || rect.width);
    const x = (ev.clientX - rect.left) / scale;
    const y = (ev.clientY - rect.top) / scale;
    const win = iframe.contentWindow;
    const target = iframe.contentDocument && iframe.contentDocument.elementFromPoint(x, y);
    const id = target ? replayer.getMirror().getId(target) : -1;
    return { x: x + (win ? win.scrollX : 0), y: y + (win ? win.scrollY : 0), node_id: id > 0 ? id : null };
  }

  function onMouse(ev) {
    if (!session || session.state !== 'active') return;
    const p = pagePoint(ev);
    if (!p) return;
    const base = { conversation_id: session.conversationId, session_id: session.id };
    if (ev.type === 'mousemove') {
      const now = Date.now();
      if (now - lastMove < MOVE_MS) return;
      lastMove = now;
      socket.emit('cobrowse_pointer', { ...base, kind: 'move', x: p.x, y: p.y });
    } else if (ev.type === 'mouseleave') {
      socket.emit('cobrowse_pointer', { ...base, kind: 'clear', x: 0, y: 0 });
    } else if (mode === 'control' && p.node_id) {
      request(socket, 'cobrowse_control', { ...base, action: 'click', node_id: p.node_id })
        .then((ack) => { if (!ack.ok) notify(ack.error.message); });
    } else {
      socket.emit('cobrowse_pointer', { ...base, kind: mode === 'highlight' ? 'highlight' : 'click', ...p });
    }
  }
  for (const type of ['mousemove', 'click', 'mouseleave']) view.addEventListener(type, onMouse);

  async function replay(events) {
    if (!replayer) {
      await loadClassic(REPLAY_JS);
      if (replayer) return replay(events);
      replayer = new window.rrwebReplay.Replayer([], {
        root: replayRoot, liveMode: true, mouseTail: false, UNSAFE_replayCanvas: false, insertStyleRules: [],
        triggerFocus: false,
      });
      // The baseline is the user's clock at the first event: later events play as soon as they
      // arrive whatever the offset between the two clocks.
      replayer.startLive(events.length ? events[0].timestamp : Date.now());
      replayer.on('resize', () => setTimeout(fit));
    }
    for (const event of events) replayer.addEvent(event);
    fit();
  }

  let chain = Promise.resolve();
  socket.on('cobrowse_events', (batch) => {
    if (!session || batch.session_id !== session.id) return;
    received.batches += 1;
    received.events += batch.events.length;
    chain = chain.then(() => replay(batch.events)).catch((err) => notify(`无法显示用户页面：${err.message}`));
  });
  socket.on('cobrowse_state', (st) => {
    if (st.state === 'ended') {
      if (session && st.session_id === session.id) {
        teardown();
        if (st.reason && st.reason !== 'stopped') notify(st.reason === 'declined' ? '用户拒绝了屏幕共享' : '屏幕共享已结束');
        else if (st.by === 'user') notify('用户已停止共享');
      }
      return;
    }
    session = { id: st.session_id, conversationId: st.conversation_id, state: st.state, control: st.control, mode: st.mode };
    if (mode === 'control' && st.control !== 'on') {
      mode = 'pointer';
      modes.querySelector('input[value=pointer]').checked = true;
    }
    render();
  });
  socket.on('form_share', (f) => {
    session = { id: f.session_id, conversationId: f.conversation_id, state: 'active', control: 'off', mode: 'form' };
    formView.show(f.form);
    render();
  });
  socket.on('form_suggest_reply', (r) => {
    formView.replied(r);
    notify(`用户采用了 ${(r.accepted || []).length} 项建议${(r.rejected || []).length ? `，未采用 ${r.rejected.length} 项` : ''}`);
  });

  requestBtn.addEventListener('click', () => api.request('dom'));
  controlBtn.addEventListener('click', () => api.requestControl());
  stopBtn.addEventListener('click', () => api.stop());
  window.addEventListener('resize', fit);
  onConversation(hook, (id) => { conversationId = id || null; render(); });

  const api = {
    async request(requestMode = 'dom') {
      if (!conversationId) return { ok: false };
      const ack = await request(socket, 'cobrowse_request', { conversation_id: conversationId, mode: requestMode });
      if (!ack.ok) { notify(ack.error.message); return ack; }
      session = { id: ack.session_id, conversationId, state: ack.state, control: ack.control, mode: ack.mode };
      render();
      return ack;
    },
    async requestControl() {
      if (!session) return { ok: false };
      const ack = await request(socket, 'cobrowse_control_request',
        { conversation_id: session.conversationId, session_id: session.id });
      if (!ack.ok) notify(ack.error.message);
      else { session.control = ack.control; render(); }
      return ack;
    },
    suggest(formId, suggestions) {
      if (!session) return Promise.resolve({ ok: false });
      return request(socket, 'form_suggest',
        { conversation_id: session.conversationId, session_id: session.id, form_id: formId, suggestions });
    },
    async stop() {
      if (!session) return { ok: true };
      const ack = await request(socket, 'cobrowse_stop', { conversation_id: session.conversationId, session_id: session.id });
      teardown();
      return ack;
    },
    get session() { return session; },
    get replayer() { return replayer; },
    received,
  };
  hook.cobrowse = api;
  render();
  return api;
}

mount(pane());
