import { api, session } from '../api.js';
import { fill, h } from '../dom.js';
import { tone } from '../format.js';

const PAGE = 50;
const STATUSES = ['', 'available', 'migrating', 'creating', 'error', 'extending', 'shrinking', 'deleting'];

/** Shares with their status, host, size and task state; filters by status, name, host; paged by marker. */
export async function sharesView(main, query) {
  const filters = { status: query.get('status') ?? '', name: query.get('name') ?? '', host: query.get('host') ?? '' };
  const marker = query.get('marker') ?? '';
  const params = new URLSearchParams({ limit: String(PAGE), sort_key: 'created_at', sort_dir: 'desc' });
  if (session.isAdmin) params.set('all_tenants', '1');
  if (filters.status) params.set('status', filters.status);
  if (filters.name) params.set('name~', filters.name);
  if (filters.host) params.set('host', filters.host);
  if (marker) params.set('marker', marker);
  const { shares } = await api('GET', `/shares/detail?${params}`);

  const go = (next) => {
    const q = new URLSearchParams(Object.entries(next).filter(([, v]) => v));
    location.hash = `#/shares${q.size ? `?${q}` : ''}`;
  };
  const form = h('form', {
    class: 'row', role: 'search',
    onsubmit: (event) => {
      event.preventDefault();
      const data = new FormData(event.target);
      go({ status: data.get('status'), name: data.get('name'), host: data.get('host') });
    },
  },
  h('label', { for: 'f-status' }, 'Status', h('select', { id: 'f-status', name: 'status' }, STATUSES.map((s) => h('option', { value: s, selected: s === filters.status }, s || 'any')))),
  h('label', { for: 'f-name' }, 'Name contains', h('input', { id: 'f-name', name: 'name', value: filters.name, type: 'search' })),
  h('label', { for: 'f-host' }, 'Host', h('input', { id: 'f-host', name: 'host', value: filters.host, placeholder: 'host@backend#pool' })),
  h('button', { type: 'submit' }, 'Filter'));

  const rows = shares.map((share) => h('tr', {},
    h('td', {}, h('a', { href: `#/shares/${encodeURIComponent(share.id)}` }, share.name || share.id)),
    h('td', {}, h('span', { class: `badge ${tone(share.status)}` }, share.status)),
    h('td', {}, share.task_state ? h('span', { class: `badge ${tone(share.task_state)}` }, share.task_state) : '–'),
    h('td', {}, `${share.size} GiB`),
    h('td', {}, share.host ?? '–'),
    h('td', {}, share.share_proto),
    h('td', {}, share.project_id)));
  const next = shares.length === PAGE ? h('button', { type: 'button', onclick: () => go({ ...filters, marker: shares.at(-1).id }) }, 'Next page') : null;
  const first = marker ? h('button', { type: 'button', onclick: () => go(filters) }, 'First page') : null;
  fill(main,
    h('h1', {}, 'Shares'),
    form,
    shares.length === 0 ? h('p', { class: 'muted' }, 'No share matches.') : h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Name', 'Status', 'Task state', 'Size', 'Host', 'Protocol', 'Project'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows))),
    h('div', { class: 'row' }, first, next));
}
