// 长者模式 of the user page: larger type, high contrast, fewer and larger buttons, voice first, plain words.
// Switched from the header, remembered in localStorage; `?elder=1` / `?elder=0` in the address sets it too.

import { $ } from '../common/dom.js';

const KEY = 'bangban.h5.elder';
// element -> [standard text, plain words of elder mode]
const WORDS = {
  '#handoff': ['转人工', '找人工客服'],
  '#end': ['结束', '结束咨询'],
  '#elder-toggle': ['长者模式', '标准版'],
};
const PLACEHOLDER = ['请输入您的问题', '请在这里打字，或点话筒说话'];
const RECORD = ['点击开始录音', '点一下，开始说话'];

function remembered() {
  try {
    return localStorage.getItem(KEY) === '1';
  } catch {
    return false; // storage blocked: standard mode
  }
}

function remember(on) {
  try {
    localStorage.setItem(KEY, on ? '1' : '0');
  } catch {
    // storage blocked: the mode lasts for this page only
  }
}

export const isElder = () => document.documentElement.classList.contains('elder');

/** The idle label of the record button in the current mode. */
export const recordLabel = () => RECORD[isElder() ? 1 : 0];

function apply(on) {
  document.documentElement.classList.toggle('elder', on);
  const i = on ? 1 : 0;
  for (const [sel, words] of Object.entries(WORDS)) $(sel).textContent = words[i];
  $('#elder-toggle').setAttribute('aria-pressed', String(on));
  $('#elder-toggle').setAttribute('aria-label', on ? '切换到标准版' : '切换到长者模式');
  $('#input').placeholder = PLACEHOLDER[i];
  const record = $('#record');
  if (!record.classList.contains('is-recording')) record.textContent = RECORD[i];
  window.dispatchEvent(new CustomEvent('bangban:elder', { detail: { on } }));
}

/** Set elder mode now (from the address, else what was remembered) and wire the header switch. */
export function mountElder() {
  const param = new URLSearchParams(location.search).get('elder');
  if (param === '1' || param === '0') remember(param === '1');
  apply(remembered());
  $('#elder-toggle').addEventListener('click', () => {
    const on = !isElder();
    remember(on);
    apply(on);
  });
}
