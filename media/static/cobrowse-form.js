// The shared-form view of the agent's co-browse panel: the fields as the citizen sees them (sensitive
// ones masked by the user's device and again by the server), a suggestion typed next to a field, sent
// with 发送建议 (`form_suggest`), and the citizen's answer per field (采用 / 不采用).
import { el, addStyle } from './pane-kit.js';

const CSS = `
.bb-cob-form{padding:10px 12px;background:#fff}
.bb-cob-form__title{margin:0 0 8px;font-size:14px;font-weight:600}
.bb-cob-form__field{display:grid;grid-template-columns:1fr 1fr;gap:2px 8px;padding:6px 0;border-bottom:1px solid #e3e7ee}
.bb-cob-form__field label{grid-column:1/3;color:#3b4553;font-size:12px}
.bb-cob-form__value{font-weight:600;word-break:break-all;align-self:center}
.bb-cob-form__value.is-empty{color:#5a6474;font-weight:400}
.bb-cob-form__suggest{height:28px;padding:2px 8px;border:1px solid #c9d0db;border-radius:4px;min-width:0}
.bb-cob-form__locked{font-size:12px;color:#5a6474;align-self:center}
.bb-cob-form__reply{grid-column:1/3;font-size:12px}
.bb-cob-form__reply.is-accepted{color:#137136}.bb-cob-form__reply.is-rejected{color:#c42b27}
.bb-cob-form__note{width:100%;margin:8px 0 6px;height:28px;padding:2px 8px;border:1px solid #c9d0db;border-radius:4px}
.bb-cob-form__status{margin:6px 0 0;font-size:12px;color:#3b4553;min-height:18px}
`;

const shown = (field) => {
  if (field.masked) return field.filled ? field.value || '******' : '（未填写）';
  return field.value ? String(field.value) : '（未填写）';
};

/** The view; `suggest(formId, suggestions)` sends them and resolves with the server's ack. */
export function mountFormView({ suggest }) {
  addStyle('bb-cob-form-css', CSS);
  const title = el('h3', { class: 'bb-cob-form__title' });
  const fieldsBox = el('div', { class: 'bb-cob-form__fields' });
  const note = el('input', { class: 'bb-cob-form__note', placeholder: '说明（选填），随建议一起发给用户', 'aria-label': '建议说明' });
  const status = el('p', { class: 'bb-cob-form__status', role: 'status' });
  const sendBtn = el('button', { type: 'submit', class: 'btn btn--primary btn--sm bb-cob-form__send' }, '发送建议');
  const root = el('form', { class: 'bb-cob-form', hidden: true, 'aria-label': '用户共享的表单' },
    title, fieldsBox, note, sendBtn, status);
  let form = null;

  function fieldRow(field, typed) {
    const id = `bb-sug-${field.name.replace(/[^\w-]/g, '_')}`;
    const value = el('span', { class: `bb-cob-form__value${field.value || field.filled ? '' : ' is-empty'}` }, shown(field));
    const input = field.masked
      ? el('span', { class: 'bb-cob-form__locked' }, '敏感信息，不可代填')
      : el('input', { id, class: 'bb-cob-form__suggest', name: field.name, placeholder: '建议填写…', value: typed || '' });
    const label = el('label', field.masked ? {} : { for: id }, field.label || field.name);
    return el('div', { class: 'bb-cob-form__field', 'data-name': field.name, 'data-masked': field.masked ? 'true' : 'false' },
      label, value, input, el('span', { class: 'bb-cob-form__reply', 'aria-live': 'polite' }));
  }

  root.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!form) return;
    const suggestions = [...root.querySelectorAll('.bb-cob-form__suggest')]
      .filter((i) => i.value.trim())
      .map((i) => ({ name: i.name, value: i.value.trim(), note: note.value.trim() }));
    if (!suggestions.length) { status.textContent = '请先在字段旁填写建议'; return; }
    sendBtn.disabled = true;
    const ack = await suggest(form.form_id, suggestions);
    sendBtn.disabled = false;
    status.textContent = ack.ok ? `已发送 ${suggestions.length} 项建议，等待用户确认` : `发送失败：${ack.error ? ack.error.message : ''}`;
    if (ack.ok) root.dataset.suggestion = ack.suggestion_id;
  });

  return {
    el: root,
    /** Show (or refresh) the form the citizen shared; what the agent typed stays. */
    show(shared) {
      const typed = Object.fromEntries([...root.querySelectorAll('.bb-cob-form__suggest')].map((i) => [i.name, i.value]));
      form = shared || { fields: [] };
      title.textContent = form.title || form.form_id || '表单';
      fieldsBox.replaceChildren(...(form.fields || []).map((f) => fieldRow(f, typed[f.name])));
      root.hidden = false;
    },
    /** The citizen's answer to a suggestion: {accepted: [names], rejected: [names]}. */
    replied(reply) {
      const mark = (names, cls, text) => (names || []).forEach((name) => {
        const row = [...fieldsBox.children].find((r) => r.dataset.name === name);
        const out = row && row.querySelector('.bb-cob-form__reply');
        if (out) { out.className = `bb-cob-form__reply ${cls}`; out.textContent = text; }
      });
      mark(reply.accepted, 'is-accepted', '用户已采用');
      mark(reply.rejected, 'is-rejected', '用户未采用');
      status.textContent = `用户采用 ${(reply.accepted || []).length} 项，未采用 ${(reply.rejected || []).length} 项`;
    },
    clear() {
      form = null;
      fieldsBox.replaceChildren();
      note.value = '';
      status.textContent = '';
      root.hidden = true;
    },
  };
}
