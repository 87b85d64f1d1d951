// The notification outbox for supervisors: counts by provider and state, dead letters with a retry button.

import { h, replaceChildren, $ } from '../common/dom.js';
import { clock } from '../common/format.js';
import { toast } from '../common/dialog.js';

const PROVIDERS = { wechat: '微信小程序', alipay: '支付宝小程序', push: '随申办推送', sms: '短信' };
const STATES = { pending: '待发送', sending: '发送中', sent: '已送达', skipped: '未发送', dead: '发送失败' };
const KINDS = { reply: '帮办回复', offhours_reply: '留言回复', your_turn: '轮到您了', workorder: '工单进展', rating: '评价邀请', rectification: '整改结果' };

function countsTable(counts) {
  return h('table', { class: 'table', id: 'notify-counts' },
    h('thead', {}, h('tr', {}, h('th', {}, '渠道'), Object.values(STATES).map((t) => h('th', {}, t)))),
    h('tbody', {}, Object.entries(PROVIDERS).map(([p, name]) => h('tr', { dataset: { provider: p } },
      h('td', {}, name),
      Object.keys(STATES).map((s) => h('td', { class: s === 'dead' && counts[p]?.[s] ? 'is-bad' : '' },
        String(counts[p]?.[s] ?? 0)))))));
}

function deadLetters(api, items, reload) {
  if (!items.length) return h('p', { class: 'chart-note' }, '没有发送失败的通知。');
  return h('ul', { class: 'alerts-feed', id: 'notify-dead' }, items.map((i) => h('li', { class: 'feed', dataset: { id: i.id } },
    h('span', { class: 'feed__time' }, clock(i.created_at)),
    h('span', {}, `${PROVIDERS[i.provider] || i.provider} · ${KINDS[i.kind] || i.kind} · 尝试 ${i.attempts} 次 · ${i.last_error || ''}`),
    h('button', {
      type: 'button', class: 'btn btn--sm', 'aria-label': `重新发送通知 ${i.id}`,
      onclick: async () => {
        try {
          await api.post(`/api/v1/notify/outbox/${encodeURIComponent(i.id)}/retry`);
          toast('已重新排队发送。');
        } catch (err) {
          toast(err.message, 'error');
        }
        reload();
      },
    }, '重试'))));
}

/** Load the outbox overview into #notify-outbox (failures leave the section as it was). */
export async function refreshOutbox(api) {
  const box = $('#notify-outbox');
  if (!box) return;
  try {
    const [all, dead] = await Promise.all([api.get('/api/v1/notify/outbox'), api.get('/api/v1/notify/outbox', { state: 'dead' })]);
    replaceChildren(box, countsTable(all.counts), deadLetters(api, dead.items.slice(0, 20), () => refreshOutbox(api)));
  } catch { /* optional section */ }
}
