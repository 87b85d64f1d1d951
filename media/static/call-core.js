// Voice and video calls (shared by call-user.js and call-agent.js).
// Each browser holds one RTCPeerConnection to the server's aiortc peer, which relays the other
// side's media and records the call. Signalling: call_invite / call_accept / call_decline /
// call_offer / call_ice / call_hangup, server pushes call_invite and call_state (docs/media.md).
import { el, addStyle, request, onConversation, notify } from './pane-kit.js';

const GATHER_MS = 3000;

function waitGathering(pc) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { if (pc.iceGatheringState === 'complete') resolve(); };
    pc.addEventListener('icegatheringstatechange', done);
    setTimeout(resolve, GATHER_MS);
  });
}

async function localMedia(kind) {
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: true, video: kind === 'video' });
  } catch (err) {
    if (kind !== 'video') throw err;
    return navigator.mediaDevices.getUserMedia({ audio: true }); // no camera: talk without video
  }
}

/**
 * The call engine of one page: at most one call at a time.
 * opts: {socket, onInvite(invite), onState(state), onMedia(kind, stream, local)}
 */
export function createCall(opts) {
  const { socket } = opts;
  const onInvite = opts.onInvite || (() => {});
  const onState = opts.onState || (() => {});
  const onMedia = opts.onMedia || (() => {});
  let pc = null;
  let stream = null;
  let current = null; // {call_id, conversation_id, kind, caller, state, notice}
  let iceServers = [];

  async function connect(call) {
    stream = await localMedia(call.kind);
    onMedia('local', stream);
    pc = new RTCPeerConnection({ iceServers });
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
    if (call.kind === 'video' && !stream.getVideoTracks().length) pc.addTransceiver('video', { direction: 'recvonly' });
    pc.ontrack = (ev) => onMedia(ev.track.kind, ev.streams[0] || new MediaStream([ev.track]));
    pc.onconnectionstatechange = () => {
      if (pc && pc.connectionState === 'failed') onState({ ...current, state: 'error', message: '通话连接失败' });
    };
    await pc.setLocalDescription(await pc.createOffer());
    await waitGathering(pc);
    const ack = await request(socket, 'call_offer', { call_id: call.call_id, sdp: pc.localDescription.sdp, type: 'offer' });
    if (!ack.ok) throw new Error(ack.error.message);
    await pc.setRemoteDescription({ type: ack.type, sdp: ack.sdp });
    pc.onicecandidate = (ev) => {
      if (ev.candidate && current) socket.emit('call_ice', { call_id: current.call_id, candidate: ev.candidate.toJSON() });
    };
  }

  function cleanup() {
    if (pc) { pc.close(); pc = null; }
    if (stream) { for (const t of stream.getTracks()) t.stop(); stream = null; }
    current = null;
  }

  socket.on('call_invite', (invite) => {
    if (current && current.call_id !== invite.call_id) {
      request(socket, 'call_decline', { call_id: invite.call_id }); // busy on another call
      return;
    }
    current = { ...invite, state: 'ringing', incoming: true };
    onInvite(current);
  });

  socket.on('call_state', (st) => {
    if (!current || st.call_id !== current.call_id) return;
    if (st.ice_servers) iceServers = st.ice_servers;
    current = { ...current, ...st };
    if (st.state === 'connecting' && !pc) {
      connect(current).catch((err) => {
        notify(`通话失败：${err.message || err}`);
        api.hangup();
      });
    }
    const snapshot = { ...current };
    if (st.state === 'ended') cleanup();
    onState(snapshot);
  });

  const api = {
    async invite(conversationId, kind) {
      if (current) return { ok: false, error: { code: 'call_busy', message: '已有进行中的通话' } };
      const ack = await request(socket, 'call_invite', { conversation_id: conversationId, kind });
      if (ack.ok) {
        iceServers = ack.ice_servers || [];
        current = { ...ack, incoming: false };
        onState({ ...current });
      }
      return ack;
    },
    accept() {
      return current ? request(socket, 'call_accept', { call_id: current.call_id }) : Promise.resolve({ ok: false });
    },
    decline() {
      return current ? request(socket, 'call_decline', { call_id: current.call_id }) : Promise.resolve({ ok: false });
    },
    async hangup() {
      const call = current;
      if (!call) return { ok: true };
      const ack = await request(socket, 'call_hangup', { call_id: call.call_id });
      if (current && current.call_id === call.call_id) { // no call_state came (already gone, or offline)
        cleanup();
        onState({ ...call, state: 'ended', reason: call.state === 'ringing' ? 'cancelled' : 'hangup' });
      }
      return ack;
    },
    stats() { return pc ? pc.getStats() : Promise.resolve(null); },
    get peer() { return pc; },
    get current() { return current; },
  };
  return api;
}

const CSS = `
.bb-call{position:fixed;right:16px;bottom:16px;width:min(360px,calc(100vw - 32px));z-index:2147483000;
  background:#1b2330;color:#fff;border-radius:10px;box-shadow:0 8px 30px rgba(0,0,0,.35);
  font:14px/1.5 system-ui,"PingFang SC","Microsoft YaHei",sans-serif;overflow:hidden}
.bb-call[hidden]{display:none}
.bb-call__head{display:flex;justify-content:space-between;align-items:center;padding:8px 12px;gap:8px}
.bb-call__status{font-weight:600}
.bb-call__timer{font-variant-numeric:tabular-nums;opacity:.8}
.bb-call__notice{background:#fff3cd;color:#6b4e00;padding:6px 12px;font-size:12px}
.bb-call__notice[hidden]{display:none}
.bb-call__rec{display:inline-block;width:8px;height:8px;border-radius:50%;background:#d93025;margin-right:6px;
  vertical-align:middle}
.bb-call__stage{position:relative;background:#000;aspect-ratio:4/3}
.bb-call__stage[hidden]{display:none}
.bb-call__remote{width:100%;height:100%;object-fit:cover}
.bb-call__local{position:absolute;right:8px;bottom:8px;width:30%;border:2px solid #fff;border-radius:4px;background:#333}
.bb-call__actions{display:flex;justify-content:center;gap:12px;padding:10px}
.bb-call__actions button{border:0;border-radius:18px;padding:6px 18px;color:#fff;font:inherit;cursor:pointer}
.bb-call__accept{background:#1a9c4b}.bb-call__decline,.bb-call__hangup{background:#d93025}
.bb-call__actions button[hidden]{display:none}
.bb-call-btn[disabled]{opacity:.5;cursor:not-allowed}
`;

const STATUS = {
  ringing: (c) => (c.incoming ? `${c.from && c.from.role === 'agent' ? '客服' : '用户'}邀请您${c.kind === 'video' ? '视频' : '语音'}通话`
    : '正在呼叫，等待对方接听…'),
  connecting: () => '正在接通…',
  active: () => '通话中',
  error: (c) => c.message || '通话出错',
};
const ENDED = {
  hangup: '通话已结束', cancelled: '通话已取消', declined: '对方已拒绝', missed: '无人接听',
  failed: '通话连接失败', connection_lost: '通话连接中断', max_duration: '通话时长已达上限',
  conversation_closed: '会话已结束，通话挂断', transferred: '会话已转接，通话挂断', handback: '会话已结束，通话挂断',
};

/** Mount the call buttons into the pane's slot and the call panel into the page. */
export function mountCall(hook, { role }) {
  addStyle('bb-call-css', CSS);
  const status = el('span', { class: 'bb-call__status' });
  const timer = el('span', { class: 'bb-call__timer' });
  const notice = el('div', { class: 'bb-call__notice', role: 'note', hidden: true });
  const remoteVideo = el('video', { class: 'bb-call__remote', autoplay: true, playsinline: true });
  remoteVideo.muted = true; // sound plays through remoteAudio
  const localVideo = el('video', { class: 'bb-call__local', autoplay: true, playsinline: true });
  localVideo.muted = true;
  const remoteAudio = el('audio', { class: 'bb-call__audio', autoplay: true });
  const stage = el('div', { class: 'bb-call__stage', hidden: true }, remoteVideo, localVideo);
  const acceptBtn = el('button', { type: 'button', class: 'bb-call__accept', hidden: true }, '接听');
  const declineBtn = el('button', { type: 'button', class: 'bb-call__decline', hidden: true }, '拒绝');
  const hangupBtn = el('button', { type: 'button', class: 'bb-call__hangup', hidden: true }, '挂断');
  const panel = el('section', { class: 'bb-call', hidden: true, 'data-cobrowse-block': true, 'aria-label': '通话' },
    el('div', { class: 'bb-call__head' }, status, timer), notice, stage, remoteAudio,
    el('div', { class: 'bb-call__actions' }, acceptBtn, declineBtn, hangupBtn));
  document.body.append(panel);

  const look = role === 'agent' ? 'btn btn--sm' : 'h5-btn';
  const voiceBtn = el('button', { type: 'button', class: `bb-call-btn ${look}`, 'data-call': 'audio' }, '语音通话');
  const videoBtn = el('button', { type: 'button', class: `bb-call-btn ${look}`, 'data-call': 'video' }, '视频通话');
  hook.slot.append(voiceBtn, videoBtn);

  let conversationId = null;
  let tick = null;
  let hideTimer = null;

  function play(media, stream) {
    if (media.srcObject !== stream) media.srcObject = stream;
    const p = media.play();
    if (p && p.catch) p.catch(() => {});
  }

  function showNotice(text) {
    notice.hidden = !text;
    notice.replaceChildren(el('span', { class: 'bb-call__rec', 'aria-hidden': 'true' }), text || '');
  }

  function startTimer() {
    const started = Date.now();
    clearInterval(tick);
    tick = setInterval(() => {
      const s = Math.floor((Date.now() - started) / 1000);
      timer.textContent = `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
    }, 500);
  }

  function render(call) {
    clearTimeout(hideTimer);
    panel.hidden = false;
    panel.dataset.state = call.state;
    const ended = call.state === 'ended';
    status.textContent = ended ? (ENDED[call.reason] || '通话已结束') : (STATUS[call.state] || (() => ''))(call);
    acceptBtn.hidden = declineBtn.hidden = !(call.state === 'ringing' && call.incoming);
    hangupBtn.hidden = ended || (call.state === 'ringing' && call.incoming);
    stage.hidden = call.kind !== 'video' || ended || call.state === 'ringing';
    // The user is always told that the call is recorded (the agent sees the same line).
    showNotice(ended ? '' : (call.notice || '本次通话将录音录像并存档，仅用于服务监督。'));
    voiceBtn.disabled = videoBtn.disabled = !ended || !conversationId;
    if (call.state === 'active') startTimer();
    if (ended || call.state === 'error') {
      clearInterval(tick);
      if (ended && call.duration_s) timer.textContent = `时长 ${call.duration_s} 秒`;
      for (const media of [remoteVideo, localVideo, remoteAudio]) media.srcObject = null;
      hideTimer = setTimeout(() => { panel.hidden = true; timer.textContent = ''; }, 4000);
    }
  }

  const engine = createCall({
    socket: hook.socket,
    onInvite: render,
    onState: render,
    onMedia(kind, stream) {
      if (kind === 'local') play(localVideo, stream);
      else if (kind === 'video') play(remoteVideo, stream);
      else play(remoteAudio, stream);
    },
  });

  async function start(kind) {
    if (!conversationId) return;
    voiceBtn.disabled = videoBtn.disabled = true;
    const ack = await engine.invite(conversationId, kind);
    if (!ack.ok) {
      notify(ack.error.message);
      voiceBtn.disabled = videoBtn.disabled = !conversationId;
    }
  }

  voiceBtn.addEventListener('click', () => start('audio'));
  videoBtn.addEventListener('click', () => start('video'));
  acceptBtn.addEventListener('click', async () => {
    const ack = await engine.accept();
    if (!ack.ok) notify(ack.error ? ack.error.message : '无法接听');
  });
  declineBtn.addEventListener('click', () => engine.decline());
  hangupBtn.addEventListener('click', () => engine.hangup());

  onConversation(hook, (id) => {
    conversationId = id || null;
    const busy = !!engine.current;
    voiceBtn.disabled = videoBtn.disabled = busy || !conversationId;
  });
  hook.call = engine; // for diagnostics and tests
  return engine;
}
