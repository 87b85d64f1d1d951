// Train and reload (with the go-live article-accuracy gate), and a box to try a sentence on the live model.

import { h, replaceChildren } from '../common/dom.js';
import { percent } from '../common/format.js';

const STATUS = { running: '进行中', done: '已上线', rejected: '评估未通过，未上线', failed: '失败' };

export async function renderTrain(view, ctx) {
  const bar = h('div', { style: { width: '0%' } });
  const status = h('div', { id: 'train-status', class: 'tr-result' }, '尚未开始');
  const log = h('div', { class: 'tr-log', id: 'train-log' });
  const evalBox = h('div', { id: 'train-eval' });
  const start = h('button', { type: 'button', class: 'btn btn--primary', id: 'train-start', disabled: !ctx.canEdit() }, '训练并上线');
  const tryInput = h('input', { class: 'input tr-grow', id: 'try-text', placeholder: '输入一句话，看看线上模型如何理解' });
  const tryBtn = h('button', { type: 'button', class: 'btn', id: 'try-btn' }, '试一试');
  const tryOut = h('div', { id: 'try-result', class: 'tr-result' });
  view.append(
    h('div', { class: 'tr-card' }, h('h2', {}, '训练并上线'),
      h('p', { class: 'muted' }, '先校验语料，再训练新模型，用上线评估集（data/eval/golive.yml）评估答案准确率；不低于线上模型才加载到线上机器人。'),
      h('div', { class: 'tr-row' }, start), h('div', { class: 'tr-progress' }, bar), status, evalBox, log),
    h('div', { class: 'tr-card' }, h('h2', {}, '试一试'), h('div', { class: 'tr-row' }, tryInput, tryBtn), tryOut));

  let timer = null;
  function draw(job) {
    bar.style.width = `${job.progress || 0}%`;
    status.textContent = `${STATUS[job.status] || job.status}（${job.progress || 0}%）` + (job.error && job.status !== 'done' ? `：${job.error}` : '');
    status.dataset.status = job.status;
    log.textContent = (job.log || []).join('\n');
    log.scrollTop = log.scrollHeight;
    const ev = job.evaluation;
    if (ev) {
      const source = { measured: '实测', stored: '上线时记录' }[ev.live_source] || '';
      replaceChildren(evalBox, h('p', {}, `上线评估集 ${ev.questions} 句：新模型答案准确率 ${percent(ev.accuracy)}`,
        ev.live_accuracy != null ? `，线上模型 ${percent(ev.live_accuracy)}（${source}）` : '',
        ev.intent_accuracy != null ? `，意图准确率 ${percent(ev.intent_accuracy)}` : '', `。${ev.verdict}`));
    }
  }
  async function poll(id) {
    clearTimeout(timer);
    if (view.dataset.tab !== 'train') return;
    const { job } = await ctx.api.get(`/api/v1/trainer/train/${id}`);
    draw(job);
    if (job.status === 'running') timer = setTimeout(() => poll(id), 1500);
    else start.disabled = !ctx.canEdit();
  }
  start.addEventListener('click', async () => {
    start.disabled = true;
    try {
      const { job } = await ctx.api.post('/api/v1/trainer/train');
      draw(job);
      poll(job.id);
    } catch (err) {
      ctx.toast(err.message, 'error');
      start.disabled = !ctx.canEdit();
    }
  });
  async function tryIt() {
    if (!tryInput.value.trim()) return;
    try {
      const r = await ctx.api.post('/api/v1/trainer/parse', { text: tryInput.value });
      replaceChildren(tryOut,
        h('div', {}, '意图：', h('strong', { id: 'try-intent' }, r.intent?.name || '—'), ` （置信度 ${percent(r.intent?.confidence || 0)}）`),
        h('div', { class: 'muted' }, '候选：', r.ranking.map((x) => `${x.name} ${percent(x.confidence)}`).join('，')),
        h('div', { class: 'muted' }, '实体：', r.entities.length ? r.entities.map((e) => `${e.text ?? ''}→${e.entity}:${e.value}`).join('，') : '无'),
        h('div', { class: 'muted' }, `模型：${r.model}`));
    } catch (err) {
      ctx.toast(err.message, 'error');
    }
  }
  tryBtn.addEventListener('click', tryIt);
  tryInput.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') tryIt(); });
  const { jobs } = await ctx.api.get('/api/v1/trainer/train');
  if (jobs[0]) {
    draw(jobs[0]);
    if (jobs[0].status === 'running') { start.disabled = true; poll(jobs[0].id); } else poll(jobs[0].id);
  }
}
