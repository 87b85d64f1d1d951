// Knowledge-base articles per matter: edit, publish now or for a policy date (version in force);
// or every article by the day its content was last verified (oldest first).

import { h, replaceChildren } from '../common/dom.js';
import { openDialog } from '../common/dialog.js';
import { matters, matterSelect, matterName, showErrors, clearErrors, dateText, pickable } from './ui.js';
import { guidesEditor } from './kb-guides.js';

const ASPECTS = { conditions: '办理条件', materials: '申请材料', process: '网上办理', offline: '线下窗口', fees: '收费',
  time_limit: '办理时限', progress: '进度查询', faq: '常见问题', tech: '技术问题' };

/** Every live article by verified date, oldest first; filtered by matter and "verified before". */
async function renderVerified(box, ctx, list, openMatter) {
  const matter = matterSelect([{ id: '', name: '全部事项' }, ...list.filter((m) => m.id)], '', { name: 'verified-matter' });
  const before = h('input', { class: 'input', type: 'date', name: 'verified-before', 'aria-label': '核实日期早于' });
  const table = h('table', { class: 'tr-table', id: 'kb-verified' });
  const count = h('span', { class: 'muted' });
  async function load() {
    const { articles } = await ctx.api.get('/api/v1/trainer/kb/verified', { matter: matter.value, before: before.value });
    count.textContent = `共 ${articles.length} 篇`;
    replaceChildren(table, h('tr', {}, ...['核实日期', '事项', '文章', '类别', '来源'].map((t) => h('th', {}, t))),
      ...articles.map((a) => h('tr', { dataset: { article: a.id, verified: a.verified_date } },
        h('td', { class: a.verified_date ? '' : 'tr-overdue' }, a.verified_date || '未核实'),
        h('td', {}, matterName(list, a.matter)),
        h('td', {}, h('button', { type: 'button', class: 'link', onClick: () => openMatter(a.matter) }, a.title), h('div', { class: 'muted' }, a.id)),
        h('td', {}, ASPECTS[a.aspect] || a.aspect), h('td', { class: 'muted' }, a.source || '—'))));
  }
  matter.addEventListener('change', load);
  before.addEventListener('change', load);
  replaceChildren(box, h('div', { class: 'tr-row' }, matter, h('span', {}, '核实早于'), before, count), table);
  await load();
}

export async function renderKb(view, ctx) {
  const list = await matters(ctx.api);
  let current = list[0]?.id ?? null;
  const ul = h('ul', { class: 'tr-list' });
  const detail = h('div');
  const byMatter = h('div', { class: 'tr-split' }, ul, detail);
  const byDate = h('div', { id: 'kb-by-date', hidden: true });
  const modes = h('div', { class: 'tr-row', id: 'kb-modes' },
    h('button', { type: 'button', class: 'btn btn--sm', dataset: { mode: 'matter' }, onClick: () => mode('matter') }, '按事项'),
    h('button', { type: 'button', class: 'btn btn--sm', dataset: { mode: 'verified' }, onClick: () => mode('verified') }, '按核实日期'));
  view.append(modes, byMatter, byDate);

  function mode(name) {
    byMatter.hidden = name !== 'matter';
    byDate.hidden = name !== 'verified';
    for (const b of modes.querySelectorAll('button')) b.classList.toggle('btn--primary', b.dataset.mode === name);
    if (name === 'verified') {
      renderVerified(byDate, ctx, list, (m) => { current = m; drawList(); load(); mode('matter'); })
        .catch((err) => ctx.toast(err.message, 'error'));
    }
  }

  function drawList() {
    ul.replaceChildren(...list.map((m) => h('li', { 'aria-current': String(m.id === current),
      ...pickable(() => { current = m.id; drawList(); load(); }) }, h('span', {}, m.name), h('span', { class: 'muted' }, String(m.articles)))));
  }

  async function load() {
    const data = await ctx.api.get('/api/v1/trainer/kb/articles', { matter: current ?? '' });
    const cards = data.articles.map((a) => articleCard(a, false));
    const pending = data.pending.map((a) => articleCard(a, true));
    const add = ctx.canEdit() && current ? h('button', { type: 'button', class: 'btn btn--primary',
      onClick: () => edit({ matter: current, aspect: 'faq', title: '', question: '', answer: '', steps: [] }) }, '新建问答') : null;
    replaceChildren(detail, h('div', { class: 'tr-row' }, add),
      pending.length ? h('h3', {}, '待生效 / 草稿版本') : null, ...pending, ...cards);
  }

  function articleCard(a, pending) {
    return h('div', { class: 'tr-card' },
      h('h3', {}, `${a.title}`),
      h('div', { class: 'muted' }, `${a.id} · ${ASPECTS[a.aspect] || a.aspect} · 第${a.version}版`,
        a.policy_effective_date ? ` · 政策生效日 ${a.policy_effective_date}` : '', pending ? ` · ${a.status === 'draft' ? '草稿' : '已发布待生效'}` : ''),
      a.question ? h('p', {}, h('strong', {}, '问：'), a.question) : null,
      h('p', {}, h('strong', {}, '答：'), a.answer),
      a.steps?.length ? h('ul', {}, ...a.steps.map((s) => h('li', {}, s))) : null,
      a.videos?.length || a.live?.length ? h('div', { class: 'muted' },
        `视频指南 ${a.videos?.length || 0} 个 · 直播 ${a.live?.length || 0} 场`) : null,
      h('div', { class: 'muted' }, `来源：${a.source || '—'} · 核实：${a.verified_date || '未核实'} · 更新：${dateText(a.updated_at || a.published_at)}`),
      ctx.canEdit() && !pending ? h('button', { type: 'button', class: 'btn btn--sm', onClick: () => edit(a) }, '编辑') : null);
  }

  async function edit(a) {
    const f = {
      title: h('input', { class: 'input', value: a.title || '' }),
      question: h('input', { class: 'input', value: a.question || '' }),
      answer: h('textarea', { class: 'input' }),
      steps: h('textarea', { class: 'input', placeholder: '每行一条' }),
      source: h('input', { class: 'input', value: a.source || '' }),
      policy: h('input', { class: 'input', type: 'date' }),
      aspect: h('select', { class: 'select' }, ...Object.entries(ASPECTS).map(([k, v]) => h('option', { value: k, selected: k === a.aspect }, v))),
    };
    f.answer.value = a.answer || '';
    f.steps.value = (a.steps || []).join('\n');
    const errors = h('div', { class: 'tr-errors', role: 'alert' });
    const hint = h('div', { class: 'muted' });
    const guides = guidesEditor(ctx, a);
    f.policy.addEventListener('change', async () => {
      hint.textContent = '';
      if (!f.policy.value) return;
      const r = await ctx.api.get('/api/v1/trainer/kb/publish-check', { policy_effective_date: f.policy.value });
      hint.textContent = r.possible ? `须在 ${r.publish_by} 前发布（生效前1个工作日）。`
        : `已无法在生效前1个工作日（${r.publish_by}）发布，发布后将提示逾期。`;
      hint.className = r.possible ? 'muted' : 'tr-warn';
    });
    const body = h('div', {},
      h('label', { class: 'field' }, h('span', {}, '类别'), f.aspect),
      h('label', { class: 'field' }, h('span', {}, '标题'), f.title),
      h('label', { class: 'field' }, h('span', {}, '问题'), f.question),
      h('label', { class: 'field' }, h('span', {}, '简短回答（≤120字）'), f.answer),
      h('label', { class: 'field' }, h('span', {}, '要点 / 步骤'), f.steps),
      h('label', { class: 'field' }, h('span', {}, '依据来源'), f.source),
      h('label', { class: 'field' }, h('span', {}, '政策生效日（可选）'), f.policy), hint, guides.element, errors);
    const save = (publish) => async () => {
      clearErrors(errors);
      try {
        const res = await ctx.api.post('/api/v1/trainer/kb/articles', {
          id: a.id || null, matter: a.matter ?? current, aspect: f.aspect.value, title: f.title.value,
          question: f.question.value, answer: f.answer.value, steps: f.steps.value.split('\n').map((s) => s.trim()).filter(Boolean),
          source: f.source.value, policy_effective_date: f.policy.value || null, publish, ...guides.value() });
        ctx.toast(res.warning || (res.applied ? '已发布，机器人即时生效' : publish ? '已发布，将于政策生效日生效' : '草稿已保存'),
          res.warning ? 'warn' : 'ok', res.warning ? 8000 : 4000);
        load();
        return true;
      } catch (err) {
        showErrors(errors, err);
        return false;
      }
    };
    await openDialog({ title: a.id ? `编辑 ${a.id}` : '新建问答', content: body, actions: [
      { label: '取消', value: null },
      { label: '保存草稿', onClick: save(false) },
      { label: '发布', kind: 'primary', onClick: save(true) },
    ] });
  }

  mode('matter');
  drawList();
  await load();
}
