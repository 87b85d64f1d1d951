// Alerts from the server (first response late, forbidden words seen by supervisors) in a bar.

import { h } from '../common/dom.js';
import { timer } from '../common/format.js';

const TEXT = {
  first_response_late: (a) => `会话已分配 ${timer(a.waited_s || 60)}，尚未首次回复用户，请尽快响应。`,
  forbidden_words: (a) => `${a.agent?.name || '帮办人员'}的消息含服务禁语“${a.phrase || ''}”，已被拦截。`,
};

export function showAlert(alert, onOpen) {
  const box = document.getElementById('alerts');
  if (!box) return;
  const text = (TEXT[alert.kind] || (() => `提醒：${alert.kind}`))(alert);
  const item = h('div', { class: `alert alert--${alert.kind}`, role: 'alert' },
    h('span', { class: 'alert__icon' }, '⚠'),
    h('span', { class: 'alert__text' }, text));
  if (alert.conversation_id && onOpen) {
    item.append(h('button', { type: 'button', class: 'link', onClick: () => onOpen(alert.conversation_id) }, '查看'));
  }
  item.append(h('button', { type: 'button', class: 'icon-btn', 'aria-label': '关闭提醒', onClick: () => item.remove() }, '×'));
  box.append(item);
  setTimeout(() => item.remove(), 60000);
}
