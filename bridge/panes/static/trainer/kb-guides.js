// The article editor's video guides and live sessions (docs/kb-format.md `videos`, `live`): upload a video
// (POST /api/v1/videos, transcoded in the background; its state shown until ready), remove one, add or
// remove a live session. `value()` is what the article save sends.

import { h, replaceChildren } from '../common/dom.js';

const STATE = { processing: '转码中…', ready: '可播放', failed: '转码失败' };
const MAX_VIDEOS = 3;
const MAX_LIVE = 5;

/** "2026-12-03T19:30:00+08:00" -> "2026-12-03T19:30" for <input type=datetime-local>, and back. */
const toLocal = (iso) => (iso || '').slice(0, 16);
const toIso = (local) => (local ? `${local.length === 16 ? `${local}:00` : local}+08:00` : '');

export function guidesEditor(ctx, article) {
  const videos = (article.videos || []).map((v) => ({ ...v, state: 'ready' }));
  const live = (article.live || []).map((s) => ({ ...s }));
  const videoList = h('ul', { class: 'tr-guides', id: 'kb-videos' });
  const liveList = h('div', { id: 'kb-live' });
  const status = h('div', { class: 'muted', role: 'status' });
  const file = h('input', { type: 'file', accept: 'video/mp4,video/quicktime,video/webm', name: 'video-file' });
  const captions = h('input', { type: 'file', accept: '.vtt,text/vtt', name: 'video-captions' });
  const title = h('input', { class: 'input', name: 'video-title', maxlength: 60 });

  async function poll(v) {
    for (let i = 0; i < 900 && v.state === 'processing'; i += 1) {
      await new Promise((r) => setTimeout(r, 2000));
      try {
        const job = await ctx.api.get(`/api/v1/videos/${v.media}`);
        Object.assign(v, { state: job.state, reason: job.reason, duration: job.duration_s });
      } catch { /* try again */ }
      drawVideos();
    }
  }

  async function upload() {
    if (!file.files[0]) { status.textContent = '请选择视频文件'; return; }
    if (videos.length >= MAX_VIDEOS) { status.textContent = `每篇文章最多 ${MAX_VIDEOS} 个视频`; return; }
    const form = new FormData();
    form.append('title', title.value.trim() || file.files[0].name.replace(/\.[^.]+$/, '').slice(0, 60));
    form.append('file', file.files[0]);
    if (captions.files[0]) form.append('captions', captions.files[0]);
    status.textContent = '上传中…';
    try {
      const job = await ctx.api.request('POST', '/api/v1/videos', { form });
      const v = { media: job.video_id, title: job.title, duration: job.duration_s, state: job.state };
      videos.push(v);
      status.textContent = '已上传，转码完成后即可在回答中播放';
      file.value = ''; captions.value = ''; title.value = '';
      drawVideos();
      poll(v);
    } catch (err) {
      status.textContent = err.message;
    }
  }

  function drawVideos() {
    replaceChildren(videoList, ...videos.map((v, i) => h('li', { dataset: { video: v.media } },
      h('span', {}, v.title), ' ',
      h('span', { class: v.state === 'failed' ? 'tr-warn' : 'muted' }, STATE[v.state] || v.state, v.reason ? `：${v.reason}` : ''),
      ' ', h('button', { type: 'button', class: 'link', onClick: () => { videos.splice(i, 1); drawVideos(); } }, '移除'))));
  }

  function drawLive() {
    replaceChildren(liveList, ...live.map((s, i) => {
      const row = h('div', { class: 'tr-row', dataset: { live: String(i) } },
        h('label', { class: 'field' }, h('span', {}, '直播主题'),
          h('input', { class: 'input', value: s.title || '', maxlength: 60, onInput: (e) => { s.title = e.target.value; } })),
        h('label', { class: 'field' }, h('span', {}, '开播时间（北京时间）'),
          h('input', { class: 'input', type: 'datetime-local', value: toLocal(s.starts_at),
            onInput: (e) => { s.starts_at = toIso(e.target.value); } })),
        h('label', { class: 'field' }, h('span', {}, '直播链接（https）'),
          h('input', { class: 'input', type: 'url', value: s.url || '', onInput: (e) => { s.url = e.target.value.trim(); } })),
        h('button', { type: 'button', class: 'link', onClick: () => { live.splice(i, 1); drawLive(); } }, '删除'));
      return row;
    }));
  }

  drawVideos();
  drawLive();
  const element = h('fieldset', { class: 'tr-guides-box' },
    h('legend', {}, '视频指南与直播解读'),
    videoList,
    h('div', { class: 'tr-row' },
      h('label', { class: 'field' }, h('span', {}, '视频文件（MP4/MOV/WebM）'), file),
      h('label', { class: 'field' }, h('span', {}, '字幕（WebVTT，可选）'), captions),
      h('label', { class: 'field' }, h('span', {}, '视频标题'), title),
      h('button', { type: 'button', class: 'btn btn--sm', onClick: upload }, '上传视频')),
    status,
    liveList,
    h('button', { type: 'button', class: 'btn btn--sm', onClick: () => {
      if (live.length < MAX_LIVE) { live.push({ title: '', starts_at: '', url: '' }); drawLive(); }
    } }, '添加直播'));

  const value = () => ({
    videos: videos.filter((v) => v.state !== 'failed').map((v) => ({ media: v.media, title: v.title, ...(v.duration ? { duration: v.duration } : {}) })),
    live: live.map((s) => ({ title: s.title, starts_at: s.starts_at, url: s.url })),
  });
  return { element, value };
}
