import { svg } from './dom.js';

/**
 * The state machine drawn from its definition (Amazon States Language, as synthesized from the CDK app):
 * one box per top-level state, a row per distance from StartAt (breadth first, so loops do not stretch
 * it), arrows for Next, Default, Choices and Catch. States the execution entered are tinted, the one it
 * is in is filled; a Map's own states (the partitions' child executions) are drawn as the Map.
 */
const BOX_W = 190;
const BOX_H = 28;
const GAP_X = 18;
const GAP_Y = 30;

function targetsOf(state) {
  const targets = [];
  if (state.Next) targets.push(state.Next);
  if (state.Default) targets.push(state.Default);
  for (const choice of state.Choices ?? []) if (choice.Next) targets.push(choice.Next);
  for (const handler of state.Catch ?? []) if (handler.Next) targets.push(handler.Next);
  return [...new Set(targets)];
}

export function layout(definition) {
  const states = definition?.States ?? {};
  const depth = new Map([[definition.StartAt, 0]]);
  const queue = [definition.StartAt];
  while (queue.length > 0) {
    const name = queue.shift();
    for (const next of targetsOf(states[name] ?? {})) {
      if (!depth.has(next) && states[next]) {
        depth.set(next, depth.get(name) + 1);
        queue.push(next);
      }
    }
  }
  // States no path reaches (none in a valid definition) go last.
  for (const name of Object.keys(states)) if (!depth.has(name)) depth.set(name, depth.size);
  const rows = [];
  for (const [name, d] of depth) (rows[d] ??= []).push(name);
  const width = Math.max(...rows.map((row) => row.length)) * (BOX_W + GAP_X) + GAP_X;
  const position = new Map();
  rows.forEach((row, r) => {
    const offset = (width - row.length * (BOX_W + GAP_X) + GAP_X) / 2;
    row.forEach((name, i) => position.set(name, { x: offset + i * (BOX_W + GAP_X), y: GAP_Y / 2 + r * (BOX_H + GAP_Y) }));
  });
  return { states, position, width, height: rows.length * (BOX_H + GAP_Y) + GAP_Y / 2 };
}

/** `visits`: the execution's states in the order entered; `failed`: the names of states that failed. */
export function drawGraph(definition, visits = [], failed = new Set()) {
  const { states, position, width, height } = layout(definition);
  const visited = new Set(visits);
  const current = visits.at(-1);
  const edges = [];
  for (const [name, state] of Object.entries(states)) {
    const from = position.get(name);
    for (const next of targetsOf(state)) {
      const to = position.get(next);
      if (!from || !to) continue;
      const x1 = from.x + BOX_W / 2;
      const y1 = from.y + BOX_H;
      const x2 = to.x + BOX_W / 2;
      const y2 = to.y;
      const d = y2 > y1 ? `M${x1},${y1} L${x2},${y2}` : `M${x1},${y1} C${x1 + 60},${y1 + 40} ${x2 + 60},${y2 - 40} ${x2},${y2}`;
      edges.push(svg('path', { d, 'marker-end': 'url(#arrow)' }));
    }
  }
  const boxes = Object.keys(states).map((name) => {
    const { x, y } = position.get(name);
    const classes = ['state', visited.has(name) ? 'visited' : '', name === current ? 'current' : '', failed.has(name) ? 'failed' : ''].filter(Boolean).join(' ');
    const label = name.length > 30 ? `${name.slice(0, 29)}…` : name;
    return svg('g', { class: classes, 'data-state': name },
      svg('title', {}, `${name} (${states[name].Type})`),
      svg('rect', { x, y, width: BOX_W, height: BOX_H, rx: 5 }),
      svg('text', { x: x + 8, y: y + 18 }, label));
  });
  return svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `State machine, ${Object.keys(states).length} states${current ? `, now in ${current}` : ''}` },
    svg('defs', {}, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto-start-reverse' }, svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#9aa4b1' }))),
    edges, boxes);
}
