// The department queues in the top bar: waiting count and the oldest wait.

import { h, replaceChildren, $ } from '../common/dom.js';
import { departmentName } from '../common/catalogue.js';
import { timer } from '../common/format.js';
import { desk } from './store.js';

export function mountQueues() {
  const box = $('#queues');
  const render = () => {
    const items = [...desk.queues.values()].sort((a, b) => a.department.localeCompare(b.department));
    replaceChildren(box, items.map((q) => h('span', {
      class: `queue${q.waiting ? ' is-waiting' : ''}${q.oldest_wait_s >= 120 ? ' is-long' : ''}`,
      title: `${departmentName(q.department)}：排队 ${q.waiting} 人，最长等待 ${timer(q.oldest_wait_s)}`,
    },
    h('span', { class: 'queue__name' }, departmentName(q.department)),
    h('strong', { class: 'queue__count' }, String(q.waiting)),
    q.waiting ? h('span', { class: 'queue__wait' }, timer(q.oldest_wait_s)) : null)));
  };
  desk.addEventListener('queues', render);
  render();
}
