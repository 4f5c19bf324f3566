import { api } from '../api.js';
import { fill, h } from '../dom.js';

/** The pools the scheduler sees, with their capacity and what they can do. */
export async function poolsView(main) {
  const { pools } = await api('GET', '/scheduler-stats/pools/detail');
  const rows = pools.map((pool) => {
    const c = pool.capabilities ?? {};
    const total = Number(c.total_capacity_gb);
    const free = Number(c.free_capacity_gb);
    const used = Number.isFinite(total) && total > 0 && Number.isFinite(free) ? Math.round(((total - free) / total) * 100) : null;
    return h('tr', {},
      h('td', {}, pool.name),
      h('td', {}, c.share_backend_name ?? pool.backend),
      h('td', {}, c.availability_zone ?? '–'),
      h('td', {}, Number.isFinite(total) ? `${total} GiB` : String(c.total_capacity_gb ?? '–')),
      h('td', {}, Number.isFinite(free) ? `${free} GiB` : String(c.free_capacity_gb ?? '–')),
      h('td', {}, used === null ? '–' : h('div', { class: 'bar', title: `${used}% used`, role: 'img', 'aria-label': `${used}% used` }, h('span', { style: `width:${used}%` }))),
      h('td', {}, ['snapshot_support', 'create_share_from_snapshot_support', 'driver_handles_share_servers'].filter((k) => c[k] === true).join(', ') || '–'));
  });
  fill(main,
    h('h1', {}, 'Pools'),
    h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Pool', 'Backend', 'Zone', 'Total', 'Free', 'Used', 'Capabilities'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows))));
}
