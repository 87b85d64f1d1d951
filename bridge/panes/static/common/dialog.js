// Modal dialogs on <dialog>, and transient toasts.

import { h } from './dom.js';

/**
 * Open a modal dialog. `content` is a node; `actions` a list of {label, kind, value, onClick}.
 * Resolves with the value of the button pressed (onClick may return false to keep it open),
 * or null when closed with Esc or the close button.
 */
export function openDialog({ title, content, actions = [], className = '' }) {
  return new Promise((resolve) => {
    const dlg = h('dialog', { class: `dialog ${className}` });
    const close = (value) => {
      dlg.close();
      dlg.remove();
      resolve(value);
    };
    const footer = h('div', { class: 'dialog__actions' });
    for (const a of actions) {
      footer.append(h('button', {
        type: 'button',
        class: `btn ${a.kind ? `btn--${a.kind}` : ''}`,
        onClick: async (ev) => {
          const btn = ev.currentTarget;
          if (a.onClick) {
            btn.disabled = true;
            let keep;
            try {
              keep = (await a.onClick()) === false;
            } finally {
              btn.disabled = false;
            }
            if (keep) return;
          }
          close(a.value ?? true);
        },
      }, a.label));
    }
    dlg.append(
      h('div', { class: 'dialog__head' },
        h('h2', { class: 'dialog__title' }, title),
        h('button', { type: 'button', class: 'icon-btn', 'aria-label': '关闭', onClick: () => close(null) }, '×')),
      h('div', { class: 'dialog__body' }, content),
      actions.length ? footer : null,
    );
    dlg.addEventListener('cancel', (ev) => {
      ev.preventDefault();
      close(null);
    });
    document.body.append(dlg);
    dlg.showModal();
    const first = dlg.querySelector('input, textarea, select');
    if (first) first.focus();
  });
}

let toastBox;

/** A short message at the top of the page; kind: info | ok | warn | error. */
export function toast(text, kind = 'info', ms = 4000) {
  if (!toastBox) {
    toastBox = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(toastBox);
  }
  const el = h('div', { class: `toast toast--${kind}` }, text);
  toastBox.append(el);
  setTimeout(() => el.remove(), ms);
  return el;
}
