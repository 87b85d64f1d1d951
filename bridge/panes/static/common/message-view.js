// Rendering of one chat message as DOM. Every piece of message data goes in as text.

import { h } from './dom.js';
import { clock, ROLES, bytes } from './format.js';
import { renderCards } from './cards.js';

const STATUS_TEXT = { sending: '发送中…', sent: '已发送', read: '已读', failed: '发送失败' };

/**
 * @param {object} msg a stored message (contract `message` event) or a pending local one
 * @param {object} opts
 *   self: the role that renders on the right ('user' on the H5 page, 'agent' in the pane)
 *   mediaUrl(url): a promise of a signed, short-lived URL of a media address for <img>/<audio>
 *   onButton(button): called when a bot button is pressed (omit to show them inert)
 *   onResend(msg): called from a failed message's "重发"
 *   onImage(url, msg): called when an image is clicked (enlarge)
 *   showNames: show the sender's name above the bubble
 *   statusOf(msg): status of a stored message ('sent', 'read' or null)
 */
export function renderMessage(msg, opts = {}) {
  const role = msg.sender?.role || 'user';
  if (role === 'system') {
    return h('div', { class: 'msg msg--system', dataset: { seq: msg.seq ?? '' } },
      h('span', { class: 'msg__system-text' }, msg.text || ''));
  }
  const mine = role === opts.self;
  const row = h('div', {
    class: `msg msg--${role}${mine ? ' msg--mine' : ''}`,
    dataset: { seq: msg.seq ?? '', cid: msg.client_msg_id || '' },
  });
  if (opts.showNames !== false) {
    const name = msg.sender?.name || ROLES[role] || '';
    row.append(h('div', { class: 'msg__meta' },
      h('span', { class: 'msg__name' }, name), h('span', { class: 'msg__time' }, clock(msg.ts))));
  }
  row.append(h('div', { class: 'msg__bubble' }, body(msg, opts)));
  const cards = renderCards(msg);
  if (cards) row.append(cards);
  if (msg.buttons?.length) row.append(buttons(msg, opts));
  const state = msg.status || (mine && opts.statusOf ? opts.statusOf(msg) : null);
  if (state) row.append(status({ ...msg, status: state }, opts));
  return row;
}

function body(msg, opts) {
  const media = msg.media;
  const localUrl = msg.localUrl; // object URL of a pending upload
  if (msg.type === 'image') {
    const img = h('img', { class: 'msg__image', alt: '截图', loading: 'lazy' });
    setMedia(img, 'src', localUrl, media?.thumb_url || media?.url, opts);
    if (opts.onImage) {
      img.addEventListener('click', async () => opts.onImage(localUrl || await signed(media?.url, opts), msg));
      img.classList.add('is-clickable');
    }
    return img;
  }
  if (msg.type === 'voice') {
    const audio = h('audio', { controls: true, preload: 'none' });
    setMedia(audio, 'src', localUrl, media?.url, opts);
    const wrap = h('div', { class: 'msg__voice' }, audio);
    if (media?.duration_s) wrap.append(h('span', { class: 'msg__voice-len' }, `${Math.round(media.duration_s)}″`));
    return wrap;
  }
  if (msg.type === 'file') {
    const link = h('a', { class: 'msg__file', href: '#', target: '_blank', rel: 'noopener' },
      media?.name || '附件', media?.size ? ` (${bytes(media.size)})` : '');
    setMedia(link, 'href', null, media?.url, opts);
    return link;
  }
  return h('span', { class: 'msg__text' }, msg.text || '');
}

async function signed(url, opts) {
  return (url && opts.mediaUrl && await opts.mediaUrl(url)) || '';
}

/** Set `attr` of `el` to the local object URL, else (when it arrives) to the signed media URL. */
function setMedia(el, attr, localUrl, url, opts) {
  if (localUrl) {
    el.setAttribute(attr, localUrl);
    return;
  }
  signed(url, opts).then((src) => { if (src) el.setAttribute(attr, src); });
}

function buttons(msg, opts) {
  const box = h('div', { class: 'msg__buttons' });
  for (const b of msg.buttons) {
    box.append(h('button', {
      type: 'button',
      class: 'chip',
      disabled: !opts.onButton,
      onClick: () => opts.onButton?.(b, msg),
    }, b.title || ''));
  }
  return box;
}

function status(msg, opts) {
  const el = h('div', { class: `msg__status is-${msg.status}` }, STATUS_TEXT[msg.status] || '');
  if (msg.status === 'failed') {
    if (msg.error) el.append(h('span', { class: 'msg__error' }, `：${msg.error}`));
    if (opts.onResend) {
      el.append(h('button', { type: 'button', class: 'link', onClick: () => opts.onResend(msg) }, '重发'));
    }
  }
  return el;
}
