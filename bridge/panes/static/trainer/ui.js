// Shared bits of the trainer views: error boxes, saving with validation feedback, matter options.

import { h, replaceChildren } from '../common/dom.js';

/** Show the validation errors of a failed save (ApiError with extra.errors) in `box`. */
export function showErrors(box, err) {
  const lines = err?.extra?.errors?.length ? err.extra.errors : [err?.message || '保存失败'];
  replaceChildren(box, h('strong', {}, '校验未通过，未保存：'), h('br'), lines.join('\n'));
}

export function clearErrors(box) {
  box.replaceChildren();
}

let matterCache = null;
/** Forget the cached matter list (after a matter was created, edited or retired). */
export function forgetMatters() {
  matterCache = null;
}

export async function matters(api) {
  if (!matterCache) matterCache = (await api.get('/api/v1/trainer/kb/matters')).matters;
  return matterCache;
}

export function matterSelect(list, value, { includePlatform = false, name = 'matter' } = {}) {
  const sel = h('select', { class: 'select', name, 'aria-label': '事项' });
  for (const m of list) {
    if (m.id === null && !includePlatform) continue;
    const opt = h('option', { value: m.id ?? '' }, m.name);
    if ((m.id ?? '') === (value ?? '')) opt.selected = true;
    sel.append(opt);
  }
  return sel;
}

export function matterName(list, id) {
  return list.find((m) => m.id === id)?.name || id || '—';
}

export function dateText(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString('zh-CN', { hour12: false });
}

/** Props of a clickable list item that the keyboard reaches too (Tab, then Enter or Space). */
export function pickable(onPick) {
  return {
    tabindex: 0, onClick: onPick,
    onKeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onPick(); } },
  };
}
