// How STIX objects are named, coloured and linked to throughout the console.
import type { NodeRef } from './api.js';
import { h } from './dom.js';

/** The types that get an actor page (GET /api/v1/actors/{id}). */
export const ACTOR_TYPES = new Set(['intrusion-set', 'threat-actor', 'campaign']);

export const pageOf = (n: { id: string; type: string }): string =>
  ACTOR_TYPES.has(n.type) ? `#/actor/${encodeURIComponent(n.id)}` : `#/object/${encodeURIComponent(n.id)}`;

export const graphOf = (id: string, depth = 1): string => `#/graph/${encodeURIComponent(id)}?depth=${depth}`;

/** A display name: the STIX name when there is one, else the type and the start of the UUID. */
export const nameOf = (n: { id: string; type: string; name?: string }): string =>
  n.name && n.name.trim() ? n.name : `${n.type} ${n.id.slice(n.type.length + 2, n.type.length + 10)}`;

const COLOURS: Record<string, string> = {
  'intrusion-set': '#c0392b',
  'threat-actor': '#e74c3c',
  campaign: '#d35400',
  malware: '#8e44ad',
  tool: '#2980b9',
  'attack-pattern': '#16a085',
  indicator: '#f39c12',
  identity: '#2c3e50',
  location: '#27ae60',
  vulnerability: '#b03a78',
  'course-of-action': '#7f8c8d',
  'x-mitre-tactic': '#5d6d7e',
  report: '#34495e',
  sighting: '#a04000',
};

export const colourOf = (type: string): string => COLOURS[type] ?? '#6c7a89';

export function typeBadge(type: string): HTMLElement {
  const b = h('span', { class: 'badge' }, type);
  b.style.setProperty('--badge', colourOf(type));
  return b;
}

export function nodeLink(n: NodeRef): HTMLElement {
  return h(
    'span',
    { class: 'node' },
    h('a', { href: pageOf(n) }, nameOf(n)),
    ' ',
    typeBadge(n.type),
    n.revoked ? h('span', { class: 'badge revoked' }, 'revoked') : null,
  );
}

export function nodeList(nodes: NodeRef[], none: string): HTMLElement {
  if (nodes.length === 0) return h('p', { class: 'muted' }, none);
  return h('ul', { class: 'nodes' }, ...nodes.map((n) => h('li', {}, nodeLink(n))));
}

export function whereLabel(l: { api_root: string; collection_title: string; tenant?: string }): string {
  return `${l.api_root} / ${l.collection_title}${l.tenant ? ` (${l.tenant})` : ''}`;
}
