// Small SVG charts: horizontal bars, grouped columns, donut, a rate bar against a ceiling.
// Labels go in as SVG text nodes (textContent), never as markup.

import { svg, h } from '../common/dom.js';

export const PALETTE = ['#1f5fbf', '#15803d', '#d97706', '#7c3aed', '#0891b2', '#c8102e', '#64748b', '#ca8a04'];

/** Horizontal bars: items [{label, value, display?}], one per row. */
export function hbars(items, { width = 560, row = 24, labelWidth = 190, color = PALETTE[0], empty = '暂无数据' } = {}) {
  if (!items.length) return h('p', { class: 'chart-empty' }, empty);
  const max = Math.max(1, ...items.map((i) => i.value));
  const height = items.length * row + 4;
  const barMax = width - labelWidth - 60;
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, role: 'img', class: 'svg-chart',
    'aria-label': listLabel(items) });
  items.forEach((item, i) => {
    const y = i * row + 2;
    const w = Math.max(item.value ? 2 : 0, (item.value / max) * barMax);
    root.append(
      svg('text', { x: labelWidth - 8, y: y + row / 2 + 4, 'text-anchor': 'end', class: 'lbl' }, truncate(item.label, Math.floor(labelWidth / 12))),
      svg('rect', { x: labelWidth, y: y + 4, width: w, height: row - 8, rx: 3, fill: item.color || color }),
      svg('text', { x: labelWidth + w + 6, y: y + row / 2 + 4, class: 'val' }, item.display ?? String(item.value)),
      svg('title', {}, `${item.label}：${item.display ?? item.value}`),
    );
  });
  return root;
}

/** Grouped columns: categories on x, one bar per series. */
export function columns(categories, series, { width = 420, height = 200 } = {}) {
  const max = niceMax(Math.max(...series.flatMap((s) => s.values)));
  const pad = { l: 30, r: 8, t: 14, b: 40 };
  const innerW = width - pad.l - pad.r;
  const innerH = height - pad.t - pad.b;
  const groupW = innerW / categories.length;
  const barW = Math.min(22, (groupW - 10) / series.length);
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img', class: 'svg-chart',
    'aria-label': series.map((s) => `${s.name}：${categories.map((cat, i) => `${cat} ${s.values[i]}`).join('，')}`).join('；') });
  for (let t = 0; t <= 4; t += 1) {
    const y = pad.t + innerH - (innerH * t) / 4;
    root.append(svg('line', { x1: pad.l, x2: width - pad.r, y1: y, y2: y, class: 'grid' }),
      svg('text', { x: pad.l - 4, y: y + 4, 'text-anchor': 'end', class: 'axis' }, String(Math.round((max * t) / 4))));
  }
  categories.forEach((cat, ci) => {
    const gx = pad.l + ci * groupW + (groupW - barW * series.length) / 2;
    series.forEach((s, si) => {
      const v = s.values[ci];
      const bh = (v / max) * innerH;
      root.append(svg('rect', { x: gx + si * barW, y: pad.t + innerH - bh, width: barW - 2, height: bh, fill: s.color, rx: 2 },
        svg('title', {}, `${s.name} · ${cat}：${v}`)));
      if (v) root.append(svg('text', { x: gx + si * barW + (barW - 2) / 2, y: pad.t + innerH - bh - 3, 'text-anchor': 'middle', class: 'val small' }, String(v)));
    });
    root.append(svg('text', { x: pad.l + ci * groupW + groupW / 2, y: height - pad.b + 16, 'text-anchor': 'middle', class: 'axis' }, cat));
  });
  const legend = h('div', { class: 'legend' }, series.map((s) => h('span', {}, h('i', { style: { background: s.color } }), s.name)));
  return h('div', {}, root, legend);
}

/** Donut with a legend: items [{label, value}]. */
export function donut(items, { size = 150, empty = '暂无数据' } = {}) {
  const total = items.reduce((n, i) => n + i.value, 0);
  if (!total) return h('p', { class: 'chart-empty' }, empty);
  const r = size / 2 - 12;
  const c = 2 * Math.PI * r;
  const root = svg('svg', { viewBox: `0 0 ${size} ${size}`, width: size, height: size, role: 'img', class: 'svg-chart',
    'aria-label': `咨询量 ${total}：${listLabel(items)}` });
  let offset = 0;
  items.forEach((item, i) => {
    const len = (item.value / total) * c;
    root.append(svg('circle', {
      cx: size / 2, cy: size / 2, r, fill: 'none', stroke: item.color || PALETTE[i % PALETTE.length], 'stroke-width': 20,
      'stroke-dasharray': `${len} ${c - len}`, 'stroke-dashoffset': -offset, transform: `rotate(-90 ${size / 2} ${size / 2})`,
    }, svg('title', {}, `${item.label}：${item.value}`)));
    offset += len;
  });
  root.append(svg('text', { x: size / 2, y: size / 2 + 2, 'text-anchor': 'middle', class: 'donut-total' }, String(total)),
    svg('text', { x: size / 2, y: size / 2 + 18, 'text-anchor': 'middle', class: 'axis' }, '咨询量'));
  const legend = h('ul', { class: 'donut-legend' }, items.map((item, i) => h('li', {},
    h('i', { style: { background: item.color || PALETTE[i % PALETTE.length] } }),
    h('span', {}, item.label), h('strong', {}, `${item.value}`), h('span', { class: 'muted' }, `${((item.value / total) * 100).toFixed(1)}%`))));
  return h('div', { class: 'donut' }, root, legend);
}

/** A rate on a 0..scale bar with a ceiling marker (e.g. escalation vs 10%). */
export function rateBar(rate, ceiling, { width = 420, scale = Math.max(0.2, ceiling * 2) } = {}) {
  const height = 64;
  const pad = 10;
  const inner = width - 2 * pad;
  const x = (v) => pad + Math.min(1, v / scale) * inner;
  const over = rate !== null && rate > ceiling;
  const label = `${rate === null ? '暂无数据' : `${(rate * 100).toFixed(1)}%`}，上限 ${(ceiling * 100).toFixed(0)}%`;
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img', class: 'svg-chart', 'aria-label': label },
    svg('rect', { x: pad, y: 18, width: inner, height: 16, rx: 8, fill: '#e8ecf2' }),
    rate === null ? null : svg('rect', { x: pad, y: 18, width: Math.max(0, x(rate) - pad), height: 16, rx: 8, fill: over ? '#d0312d' : '#15803d' }),
    svg('line', { x1: x(ceiling), x2: x(ceiling), y1: 10, y2: 42, stroke: '#1d2633', 'stroke-width': 2, 'stroke-dasharray': '3 2' }),
    svg('text', { x: x(ceiling), y: 56, 'text-anchor': 'middle', class: 'axis' }, `上限 ${(ceiling * 100).toFixed(0)}%`),
    svg('text', { x: pad, y: 56, class: 'axis' }, '0%'),
    svg('text', { x: width - pad, y: 56, 'text-anchor': 'end', class: 'axis' }, `${(scale * 100).toFixed(0)}%`));
  return root;
}

/** A round axis maximum divisible into 4 integer ticks. */
function niceMax(v) {
  if (v <= 4) return 4;
  const step = 10 ** Math.floor(Math.log10(v / 4));
  const unit = [1, 2, 2.5, 5, 10].map((m) => m * step).find((u) => u * 4 >= v);
  return Math.ceil(unit) * 4;
}

/** The accessible name of a chart of items [{label, value, display?}]. */
function listLabel(items) {
  return items.map((i) => `${i.label} ${i.display ?? i.value}`).join('，');
}

function truncate(text, n) {
  const s = String(text ?? '');
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
