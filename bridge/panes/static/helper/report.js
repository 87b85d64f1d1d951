// Logging a problem met on the spot: matter, what happened, place, photos, the citizen's consent and contact.

import { $, h, replaceChildren, show } from '../common/dom.js';
import { matters } from '../common/catalogue.js';
import { toast } from '../common/dialog.js';

const MAX_PHOTOS = 6;

/** Wire the form; `onLogged(entry)` runs after a problem is registered. */
export function mountReport(api, me, onLogged) {
  const form = $('#report-form');
  const photos = [];
  const select = $('#r-matter');
  replaceChildren(select, h('option', { value: '' }, '请选择事项'),
    matters().map((m) => h('option', { value: m.id }, m.name)));
  const resetPlace = () => {
    $('#r-hall').value = me.hall || '';
    $('#r-window').value = me.window || '';
  };
  resetPlace();
  $('#r-consent').addEventListener('change', (e) => show($('#r-contact-field'), e.currentTarget.checked));

  $('#r-file').addEventListener('change', async (e) => {
    const input = e.currentTarget;
    for (const file of [...input.files]) {
      if (photos.length >= MAX_PHOTOS) {
        toast(`最多上传${MAX_PHOTOS}张照片`, 'warn');
        break;
      }
      try {
        const media = await api.upload('own', file, file.name);
        photos.push(media.media_id);
        const img = h('img', { alt: '现场照片', dataset: { media: media.media_id } });
        $('#r-photos').append(img);
        img.src = await api.mediaUrl(media.thumb_url || media.url);
      } catch (err) {
        toast(`照片上传失败：${err.message}`, 'error');
      }
    }
    input.value = '';
  });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    $('#report-error').textContent = '';
    const consent = $('#r-consent').checked;
    const body = {
      matter: select.value, problem: $('#r-problem').value.trim(), hall: $('#r-hall').value.trim(),
      window: $('#r-window').value.trim(), photos: [...photos], consent,
      contact: consent ? $('#r-contact').value.trim() : '',
    };
    if (!body.matter || !body.problem) {
      $('#report-error').textContent = '请选择事项并填写遇到的问题。';
      return;
    }
    $('#r-submit').disabled = true;
    try {
      const { entry } = await api.post('/api/v1/offline-help/problems', body);
      form.reset();
      photos.length = 0;
      replaceChildren($('#r-photos'));
      show($('#r-contact-field'), false);
      resetPlace();
      toast(`已登记，编号 ${entry.id}`, 'ok');
      onLogged(entry);
    } catch (err) {
      $('#report-error').textContent = err.message;
    } finally {
      $('#r-submit').disabled = false;
    }
  });
}
