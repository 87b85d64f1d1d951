// Conversation actions: transfer, escalate to 12345, close (with a KB suggestion), handback.

import { h } from '../common/dom.js';
import { call } from '../common/realtime.js';
import { openDialog, toast } from '../common/dialog.js';
import { departments, matterName } from '../common/catalogue.js';
import { desk } from './store.js';
import { net } from './net.js';
import { isSupervisor } from './session.js';

/** Run an acknowledged event; show the refusal inside the dialog and keep it open. */
async function attempt(errorEl, fn) {
  errorEl.textContent = '';
  try {
    await fn();
    return true;
  } catch (err) {
    errorEl.textContent = err.message;
    return false;
  }
}

const errorLine = () => h('p', { class: 'dialog__error', role: 'alert' });

async function agentOptions() {
  if (!isSupervisor()) return [];
  try {
    const ack = await call(net.socket, 'supervise');
    return ack.agents.filter((a) => a.status === 'online');
  } catch {
    return [];
  }
}

async function transfer(entry) {
  const id = entry.card.id;
  const err = errorLine();
  const dep = h('select', { class: 'select', name: 'department' },
    departments().map((d) => h('option', { value: d.id, selected: d.id === entry.card.department }, d.name)));
  const agentIn = h('input', { class: 'input', name: 'agent', placeholder: '帮办账号，如 wangfang', list: 'agent-options' });
  const options = h('datalist', { id: 'agent-options' },
    (await agentOptions()).map((a) => h('option', { value: a.id }, `${a.name}（${a.active}/${a.capacity}）`)));
  const note = h('textarea', { class: 'textarea', name: 'note', placeholder: '转接说明（对方可见）：用户诉求、已办情况…', maxlength: 1000 });
  const byDep = h('input', { type: 'radio', name: 'target', value: 'department', checked: true });
  const byAgent = h('input', { type: 'radio', name: 'target', value: 'agent' });
  const sync = () => {
    dep.disabled = !byDep.checked;
    agentIn.disabled = !byAgent.checked;
  };
  byDep.addEventListener('change', sync);
  byAgent.addEventListener('change', sync);
  sync();
  const content = h('div', {},
    h('div', { class: 'radio-row field' }, h('label', {}, byDep, '转到部门队列'), h('label', {}, byAgent, '转给指定帮办')),
    h('label', { class: 'field' }, h('span', {}, '部门'), dep),
    h('label', { class: 'field' }, h('span', {}, '帮办账号'), agentIn, options),
    h('label', { class: 'field' }, h('span', {}, '转接说明'), note),
    err);
  await openDialog({
    title: '转接会话',
    content,
    actions: [
      { label: '取消', value: null },
      {
        label: '确认转接', kind: 'primary', onClick: () => attempt(err, async () => {
          const payload = { conversation_id: id, note: note.value.trim() };
          if (byDep.checked) payload.department = dep.value;
          else if (agentIn.value.trim()) payload.agent = agentIn.value.trim();
          else throw new Error('请填写帮办账号。');
          await call(net.socket, 'transfer', payload);
          toast('已转接', 'ok');
          desk.remove(id);
        }),
      },
    ],
  });
}

function defaultSummary(entry) {
  const s = entry.card.summary || {};
  const userLines = entry.log.list().filter((m) => m.sender?.role === 'user' && m.type === 'text')
    .slice(-3).map((m) => m.text);
  return [
    `事项：${matterName(entry.card.matter)}`,
    `用户诉求：${s.question || userLines[0] || ''}`,
    userLines.length ? `用户补充：${userLines.join('；')}` : '',
    '已办情况：',
  ].filter(Boolean).join('\n');
}

async function escalate(entry) {
  const id = entry.card.id;
  const err = errorLine();
  const summary = h('textarea', { class: 'textarea', rows: 7, maxlength: 4000 });
  summary.value = defaultSummary(entry);
  await openDialog({
    title: '转12345市民服务热线',
    content: h('div', {},
      h('p', { class: 'muted' }, '生成12345工单，会话转为“已转12345”，办理进展会通知用户。请写清诉求和已办情况。'),
      h('label', { class: 'field' }, h('span', {}, '工单摘要'), summary), err),
    actions: [
      { label: '取消', value: null },
      {
        label: '生成工单', kind: 'danger', onClick: () => attempt(err, async () => {
          if (!summary.value.trim()) throw new Error('请填写工单摘要。');
          const ack = await call(net.socket, 'escalate', { conversation_id: id, summary: summary.value.trim() });
          toast(`已转12345，工单号 ${ack.ticket?.id || ack.ticket?.ticket_id || ''}`, 'ok', 6000);
        }),
      },
    ],
  });
}

function lastAnswer(entry) {
  const m = entry.log.last((x) => x.sender?.role === 'agent' && x.type === 'text');
  return m?.text || '';
}

async function close(entry) {
  const id = entry.card.id;
  if (entry.ended) {
    desk.remove(id);
    return;
  }
  const err = errorLine();
  const yes = h('input', { type: 'radio', name: 'resolved', value: 'yes', checked: true });
  const no = h('input', { type: 'radio', name: 'resolved', value: 'no' });
  const addKb = h('input', { type: 'checkbox', name: 'kb' });
  const kbText = h('textarea', { class: 'textarea', rows: 5, maxlength: 4000, disabled: true,
    placeholder: '问题与答案，供知识库维护人员审核后加入。' });
  const question = entry.card.summary?.question || '';
  kbText.value = question ? `问：${question}\n答：${lastAnswer(entry)}` : lastAnswer(entry);
  const syncKb = () => {
    addKb.disabled = !yes.checked;
    if (!yes.checked) addKb.checked = false;
    kbText.disabled = !addKb.checked;
  };
  [yes, no, addKb].forEach((el) => el.addEventListener('change', syncKb));
  await openDialog({
    title: '结束会话',
    content: h('div', {},
      h('div', { class: 'field' }, h('span', {}, '用户问题是否已解决？'),
        h('div', { class: 'radio-row' }, h('label', {}, yes, '已解决'), h('label', {}, no, '未解决'))),
      h('label', { class: 'check field' }, addKb, '建议将本次答复加入知识库'),
      kbText, err),
    actions: [
      { label: '取消', value: null },
      {
        label: '结束并邀请评价', kind: 'primary', onClick: () => attempt(err, async () => {
          const payload = { conversation_id: id, resolved: yes.checked };
          if (addKb.checked && kbText.value.trim()) payload.kb_suggestion = kbText.value.trim();
          await call(net.socket, 'close', payload);
          toast('会话已结束，已邀请用户评价', 'ok');
          desk.remove(id);
        }),
      },
    ],
  });
}

async function handback(entry) {
  const id = entry.card.id;
  const err = errorLine();
  await openDialog({
    title: '转回智能客服',
    content: h('div', {}, h('p', {}, '会话将交还给智能客服小申，用户可以继续向小申提问。'), err),
    actions: [
      { label: '取消', value: null },
      {
        label: '转回小申', kind: 'primary', onClick: () => attempt(err, async () => {
          await call(net.socket, 'handback', { conversation_id: id });
          toast('已转回小申', 'ok');
          desk.remove(id);
        }),
      },
    ],
  });
}

const ACTIONS = { transfer, escalate, close, handback };

export function runAction(name) {
  const entry = desk.current;
  if (entry && ACTIONS[name]) ACTIONS[name](entry);
}

export function mountActions() {
  for (const btn of document.querySelectorAll('.chat__actions [data-action]')) {
    btn.addEventListener('click', () => runAction(btn.dataset.action));
  }
}
