// The input bar: text, screenshot upload, voice messages recorded with MediaRecorder.

import { $ } from '../common/dom.js';
import { toast } from '../common/dialog.js';
import { timer } from '../common/format.js';
import { isElder, recordLabel } from './elder.js';

const MAX_VOICE_S = 60;

function pickMime() {
  const types = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/mp4', 'audio/webm'];
  return types.find((t) => window.MediaRecorder?.isTypeSupported?.(t)) || '';
}

export function mountComposer(client, chat) {
  const input = $('#input');
  const send = () => {
    const text = input.value.trim();
    if (!text) return;
    client.send({ type: 'text', text });
    input.value = '';
    autosize();
    client.typing(false);
  };
  const autosize = () => {
    input.style.height = 'auto';
    const max = parseFloat(getComputedStyle(input).maxHeight) || 110; // 7rem: larger in elder mode
    input.style.height = `${Math.min(input.scrollHeight, max)}px`;
  };

  let typingTimer = null;
  input.addEventListener('input', () => {
    autosize();
    client.typing(true);
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => client.typing(false), 2500);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send();
    }
  });
  $('#send').addEventListener('click', send);

  const needConversation = () => {
    if (chat.conversationId) return false;
    toast(isElder() ? '请先打字或点上面的常见问题，说一下您要办什么事，之后就可以按话筒说话了'
      : '请先用文字描述您的问题，再发送图片或语音', 'warn');
    return true;
  };

  $('#pick-image').addEventListener('click', () => {
    if (!needConversation()) $('#image-input').click();
  });
  $('#image-input').addEventListener('change', (e) => {
    const file = e.target.files[0];
    e.target.value = '';
    if (!file) return;
    if (!file.type.startsWith('image/')) {
      toast('请选择图片文件', 'warn');
      return;
    }
    client.send({ type: 'image', file, filename: file.name, localUrl: URL.createObjectURL(file) });
  });

  mountVoice(client, chat, needConversation);
}

function mountVoice(client, chat, needConversation) {
  const toggle = $('#voice-toggle');
  const record = $('#record');
  const input = $('#input');
  let recorder = null;
  let chunks = [];
  let started = 0;
  let tick = null;
  let cancelled = false;

  const setMode = (voice) => {
    record.hidden = !voice;
    input.hidden = voice;
    $('#send').hidden = voice; // the record button sends
    toggle.classList.toggle('is-active', voice);
    toggle.setAttribute('aria-label', voice ? '改为打字' : '语音');
  };
  // 长者模式: voice first, as soon as there is a conversation to send it in (media needs one)
  let voiceFor = null;
  const preferVoice = () => {
    if (!isElder() || !chat.conversationId || voiceFor === chat.conversationId || !window.MediaRecorder) return;
    voiceFor = chat.conversationId;
    setMode(true);
  };
  chat.addEventListener('state', preferVoice);
  window.addEventListener('bangban:elder', (e) => (e.detail.on ? preferVoice() : setMode(false)));
  preferVoice();
  toggle.addEventListener('click', () => {
    if (!window.MediaRecorder || !navigator.mediaDevices?.getUserMedia) {
      toast('当前浏览器不支持录音', 'warn');
      return;
    }
    if (needConversation()) return;
    setMode(record.hidden);
  });

  const stop = (cancel) => {
    cancelled = cancel;
    if (recorder && recorder.state !== 'inactive') recorder.stop();
  };

  record.addEventListener('click', async () => {
    if (recorder && recorder.state === 'recording') {
      stop(false);
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      toast('无法使用麦克风，请在设置中允许录音', 'error');
      return;
    }
    const mimeType = pickMime();
    recorder = new MediaRecorder(stream, mimeType ? { mimeType } : undefined);
    chunks = [];
    cancelled = false;
    recorder.ondataavailable = (e) => { if (e.data.size) chunks.push(e.data); };
    recorder.onstop = () => {
      stream.getTracks().forEach((t) => t.stop());
      clearInterval(tick);
      record.classList.remove('is-recording');
      record.textContent = recordLabel();
      const seconds = (Date.now() - started) / 1000;
      if (cancelled) return;
      if (seconds < 1) {
        toast('说话时间太短', 'warn');
        return;
      }
      const type = recorder.mimeType || mimeType || 'audio/webm';
      const ext = type.includes('mp4') ? 'm4a' : type.includes('ogg') ? 'ogg' : 'webm';
      const blob = new Blob(chunks, { type });
      const file = new File([blob], `voice.${ext}`, { type });
      client.send({ type: 'voice', file, filename: file.name, localUrl: URL.createObjectURL(blob), media: { duration_s: seconds } });
    };
    recorder.start();
    started = Date.now();
    record.classList.add('is-recording');
    const paint = () => {
      const s = (Date.now() - started) / 1000;
      record.textContent = isElder() ? `正在录音 ${timer(s)}，说完点一下发送` : `录音中 ${timer(s)}，点击发送`;
      if (s >= MAX_VOICE_S) stop(false);
    };
    paint();
    tick = setInterval(paint, 250);
  });
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape') stop(true); });
}
