// An object and its neighbours (GET /api/v1/objects/{id}/neighbors) drawn with Cytoscape.js: nodes
// coloured by type and labelled by name, edges labelled with the relationship type or the
// property that links them. Tapping a node recentres the graph on it; tapping the centre opens its
// page. The Cytoscape instance is exposed as window.__palisadeGraph for the browser tests.
import cytoscape from 'cytoscape';
import { getJson, type Neighbors } from '../api.js';
import { h } from '../dom.js';
import { colourOf, graphOf, nameOf, pageOf, typeBadge } from '../nodes.js';
import type { ViewContext } from '../view.js';

declare global {
  interface Window {
    __palisadeGraph?: cytoscape.Core;
  }
}

export async function graphView(ctx: ViewContext): Promise<void> {
  const depth = ctx.params.get('depth') === '2' ? 2 : 1;
  const data = await getJson<Neighbors>(
    `objects/${encodeURIComponent(ctx.arg)}/neighbors?depth=${depth}&limit=1000`,
    ctx.signal,
  );
  const root = data.nodes.find((n) => n.id === data.root);
  const rootName = root ? nameOf(root) : data.root;
  const depthButton = (d: 1 | 2): HTMLElement =>
    h(
      'a',
      {
        class: d === depth ? 'button' : 'button secondary',
        href: graphOf(data.root, d),
        'aria-pressed': d === depth ? 'true' : 'false',
        id: `graph-depth-${d}`,
      },
      d === 1 ? 'Depth 1' : 'Depth 2',
    );
  const counts = new Map<string, number>();
  for (const n of data.nodes) counts.set(n.type, (counts.get(n.type) ?? 0) + 1);
  const canvas = h('div', { id: 'graph', class: 'graph', role: 'img', 'aria-label': `Graph of ${rootName}` });
  ctx.root.append(
    h(
      'header',
      { class: 'page-head' },
      h('h1', {}, 'Graph: ', root ? h('a', { href: pageOf(root) }, rootName) : rootName),
      h('div', { class: 'actions' }, depthButton(1), depthButton(2)),
    ),
    h(
      'p',
      { class: 'muted', id: 'graph-summary' },
      `${data.nodes.length} nodes, ${data.edges.length} edges.`,
      data.truncated ? h('strong', { class: 'warn' }, ' The graph was cut at the size limit.') : null,
      ' Tap a node to centre the graph on it; tap the centre to open its page.',
    ),
    h(
      'ul',
      { class: 'legend' },
      ...[...counts.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([type, n]) => h('li', {}, typeBadge(type), ` ${n}`)),
    ),
    canvas,
  );

  const ids = new Set(data.nodes.map((n) => n.id));
  const cy = cytoscape({
    container: canvas,
    elements: [
      ...data.nodes.map((n) => ({
        group: 'nodes' as const,
        data: { id: n.id, label: nameOf(n), type: n.type, depth: n.depth, colour: colourOf(n.type) },
        classes: n.id === data.root ? 'root' : n.revoked ? 'revoked' : '',
      })),
      ...data.edges
        .filter((e) => ids.has(e.source) && ids.has(e.target))
        .map((e, i) => ({
          group: 'edges' as const,
          data: { id: `e${i}`, source: e.source, target: e.target, label: e.label, kind: e.kind },
        })),
    ],
    style: [
      {
        selector: 'node',
        style: {
          'background-color': 'data(colour)',
          label: 'data(label)',
          'font-size': 10,
          color: '#1d2733',
          'text-valign': 'bottom',
          'text-margin-y': 3,
          'text-wrap': 'ellipsis',
          'text-max-width': '120px',
          width: 18,
          height: 18,
        },
      },
      { selector: 'node.root', style: { width: 30, height: 30, 'border-width': 3, 'border-color': '#1d2733' } },
      { selector: 'node.revoked', style: { opacity: 0.5 } },
      {
        selector: 'edge',
        style: {
          width: 1.2,
          'line-color': '#9aa5b1',
          'target-arrow-color': '#9aa5b1',
          'target-arrow-shape': 'triangle',
          'curve-style': 'bezier',
          label: 'data(label)',
          'font-size': 8,
          color: '#52606d',
          'text-rotation': 'autorotate',
          'text-background-color': '#ffffff',
          'text-background-opacity': 0.8,
        },
      },
      { selector: 'edge[kind = "ref"]', style: { 'line-style': 'dashed' } },
    ],
    layout: {
      name: 'concentric',
      concentric: (n: cytoscape.NodeSingular) => 3 - Number(n.data('depth')),
      levelWidth: () => 1,
      // small graphs get room for their labels; large ones stay compact enough to fit
      minNodeSpacing: data.nodes.length < 40 ? 60 : 12,
      animate: false,
    },
    maxZoom: 2.5,
    wheelSensitivity: 0.4,
  });
  cy.on('tap', 'node', (ev) => {
    const id = (ev.target as cytoscape.NodeSingular).id();
    const type = String((ev.target as cytoscape.NodeSingular).data('type'));
    location.hash = id === data.root ? pageOf({ id, type }) : graphOf(id, depth);
  });
  window.__palisadeGraph = cy;
  ctx.onLeave(() => {
    cy.destroy();
    delete window.__palisadeGraph;
  });
}
