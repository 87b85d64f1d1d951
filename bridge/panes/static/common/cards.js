// Cards of an answer (docs/protocol.md "Answer cards"): video guides and live sessions.
// Every value goes in as text or as an attribute checked here; a card's elements are kept per message
// so that repainting the conversation does not stop a video that is playing.

import { h } from './dom.js';

const LIVE_GRACE_MS = 2 * 3600 * 1000; // a session that started less long ago may still be running
const WHEN = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai', month: 'numeric', day: 'numeric', weekday: 'short', hour: '2-digit', minute: '2-digit',
  hourCycle: 'h23',
});

/** e.g. 11月29日 周日 19:30 (Shanghai time). */
function when(date) {
  const p = Object.fromEntries(WHEN.formatToParts(date).map((x) => [x.type, x.value]));
  return `${p.month}月${p.day}日 ${p.weekday} ${p.hour}:${p.minute}`;
}
const built = new Map(); // message id -> rendered cards

const mediaPath = (u) => (typeof u === 'string' && u.startsWith('/api/v1/media/') ? u : null);
const httpsUrl = (u) => (typeof u === 'string' && /^https:\/\/[^\s]+$/.test(u) ? u : null);

function length(seconds) {
  const s = Math.round(Number(seconds) || 0);
  return s ? `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}` : '';
}

function videoCard(card) {
  const src = mediaPath(card.src);
  if (!src) return null;
  const video = h('video', {
    class: 'answer-card__video', controls: true, playsinline: true, preload: 'none', src,
    poster: mediaPath(card.poster), 'aria-label': `视频指南：${card.title || ''}`,
  });
  const captions = mediaPath(card.captions);
  if (captions) video.append(h('track', { kind: 'subtitles', srclang: 'zh', label: '中文字幕', src: captions, default: true }));
  return h('figure', { class: 'answer-card answer-card--video' }, video,
    h('figcaption', { class: 'answer-card__title' }, `▶ ${card.title || '视频指南'}`,
      card.duration ? h('span', { class: 'answer-card__len' }, ` ${length(card.duration)}`) : null));
}

function liveCard(card, now) {
  const url = httpsUrl(card.url);
  const start = Date.parse(card.starts_at);
  if (!url || Number.isNaN(start) || start < now - LIVE_GRACE_MS) return null; // past sessions are hidden
  return h('div', { class: 'answer-card answer-card--live' },
    h('div', { class: 'answer-card__title' }, `直播解读：${card.title || ''}`),
    h('time', { class: 'answer-card__when', datetime: card.starts_at }, `${when(new Date(start))} 开播`),
    h('a', { class: 'answer-card__link', href: url, target: '_blank', rel: 'noopener noreferrer' }, '进入直播间'));
}

/** The cards of a message as one element, or null when it has none to show. */
export function renderCards(msg, now = Date.now()) {
  if (!Array.isArray(msg.cards) || !msg.cards.length) return null;
  const key = msg.id || null;
  if (key && built.has(key)) return built.get(key);
  const items = msg.cards.map((c) => (c?.type === 'video' ? videoCard(c) : c?.type === 'live' ? liveCard(c, now) : null))
    .filter(Boolean);
  const box = items.length ? h('div', { class: 'msg__cards' }, items) : null;
  if (key) built.set(key, box);
  return box;
}
