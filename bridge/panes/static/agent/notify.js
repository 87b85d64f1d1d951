// New-assignment signals: a desktop notification and a short two-tone chime made with WebAudio.

import { matterName } from '../common/catalogue.js';
import { CHANNELS } from '../common/format.js';

let audio = null;

/** Ask for notification permission (call from a user gesture, e.g. the login button). */
export function prepareNotifications() {
  if ('Notification' in window && Notification.permission === 'default') {
    Notification.requestPermission().catch(() => {});
  }
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
  } catch {
    audio = null;
  }
}

export function chime() {
  if (!audio) return;
  if (audio.state === 'suspended') audio.resume().catch(() => {});
  const start = audio.currentTime + 0.01;
  [[880, 0], [1320, 0.16]].forEach(([freq, at]) => {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = 'sine';
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, start + at);
    gain.gain.exponentialRampToValueAtTime(0.25, start + at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + at + 0.22);
    osc.connect(gain).connect(audio.destination);
    osc.start(start + at);
    osc.stop(start + at + 0.25);
  });
}

export function announceAssignment(card) {
  chime();
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  if (document.visibilityState === 'visible' && document.hasFocus()) return;
  const who = card.user?.name || '用户';
  const n = new Notification('新的帮办会话', {
    body: `${who} · ${CHANNELS[card.channel] || card.channel || ''} · ${matterName(card.matter)}`,
    tag: `bangban-${card.id}`,
  });
  n.onclick = () => {
    window.focus();
    n.close();
  };
}
