// Keyboard shortcuts of the desk and the help popover that lists them.

import { $ } from '../common/dom.js';
import { desk } from './store.js';
import { submit } from './composer.js';
import { focusSearch } from './kb.js';

function step(delta) {
  const ids = desk.ids();
  if (!ids.length) return;
  const at = ids.indexOf(desk.currentId);
  const next = ids[(at + delta + ids.length) % ids.length] ?? ids[0];
  desk.select(next);
}

function toggleHelp(force) {
  const pop = $('#help');
  pop.hidden = force === undefined ? !pop.hidden : !force;
}

export function mountShortcuts() {
  $('#help-btn').addEventListener('click', (e) => {
    e.stopPropagation();
    toggleHelp();
  });
  document.addEventListener('click', (e) => {
    if (!$('#help').hidden && !e.target.closest('#help')) toggleHelp(false);
  });
  document.addEventListener('keydown', (e) => {
    if (document.querySelector('dialog[open]')) return; // dialogs handle their own keys (Esc closes)
    const ctrl = e.ctrlKey || e.metaKey;
    if (ctrl && e.key === 'Enter') {
      e.preventDefault();
      submit();
    } else if (e.altKey && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) {
      e.preventDefault();
      step(e.key === 'ArrowUp' ? -1 : 1);
    } else if (ctrl && (e.key === 'k' || e.key === 'K')) {
      e.preventDefault();
      focusSearch();
    } else if (e.key === 'Escape') {
      toggleHelp(false);
      document.querySelector('.viewer')?.remove();
    }
  });
}
