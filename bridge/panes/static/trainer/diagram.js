// The stories as `rasa visualize` draws them: START, user intents, bot actions, END, as an SVG.
// The graph comes from GET /api/v1/trainer/stories/graph (stories sharing a beginning share nodes).

import { svg } from '../common/dom.js';

const W = 190;
const H = 64;
const BOX_W = 168;
const BOX_H = 30;

function layout(graph) {
  const end = graph.nodes.find((n) => n.kind === 'end');
  const kids = new Map();
  for (const e of graph.edges) {
    if (e.target === end.id) continue;
    if (!kids.has(e.source)) kids.set(e.source, []);
    kids.get(e.source).push(e.target);
  }
  const x = new Map();
  let slot = 0;
  const place = (id) => {
    const ch = kids.get(id) || [];
    if (!ch.length) x.set(id, slot++);
    else {
      const xs = ch.map(place);
      x.set(id, (xs[0] + xs[xs.length - 1]) / 2);
    }
    return x.get(id);
  };
  place(0);
  x.set(end.id, Math.max(0, (slot - 1) / 2));
  return { x, slots: Math.max(slot, 1), depth: end.depth };
}

function short(text, n = 22) {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}

/** Draw `graph` into `box`; the path of story `highlight` is emphasised. */
export function drawDiagram(box, graph, highlight = null) {
  const { x, slots, depth } = layout(graph);
  const pos = (n) => ({ cx: x.get(n.id) * W + W / 2, cy: n.depth * H + BOX_H / 2 + 8 });
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const root = svg('svg', { width: slots * W, height: (depth + 1) * H + 10, class: 'tr-diagram', role: 'img',
    'aria-label': '故事示意图' });
  for (const e of graph.edges) {
    const a = pos(byId.get(e.source));
    const b = pos(byId.get(e.target));
    const on = highlight && e.stories.includes(highlight);
    const mid = (a.cy + b.cy) / 2;
    root.append(svg('path', { d: `M${a.cx},${a.cy + BOX_H / 2} C${a.cx},${mid} ${b.cx},${mid} ${b.cx},${b.cy - BOX_H / 2}`,
      class: `tr-edge${on ? ' tr-edge--on' : ''}` }));
  }
  for (const n of graph.nodes) {
    const { cx, cy } = pos(n);
    const on = highlight && n.stories.includes(highlight);
    const g = svg('g', { class: `tr-node tr-node--${n.kind}${on ? ' tr-node--on' : ''}`, 'data-kind': n.kind,
      'data-label': n.label, 'data-stories': n.stories.join('|') }, svg('title', { text: `${n.label}\n${n.stories.join('\n')}` }));
    const round = n.kind === 'start' || n.kind === 'end' ? BOX_H / 2 : n.kind === 'intent' ? 12 : 3;
    g.append(svg('rect', { x: cx - BOX_W / 2, y: cy - BOX_H / 2, width: BOX_W, height: BOX_H, rx: round }),
      svg('text', { x: cx, y: cy + 4, 'text-anchor': 'middle', text: short(n.label) }));
    root.append(g);
  }
  box.replaceChildren(root);
}
