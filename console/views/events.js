import { api } from '../api.js';
import { fill, h } from '../dom.js';
import { time, tone } from '../format.js';

/** The newest migration events (EventBridge's envelope: at home the lines of events.jsonl), newest first. */
export async function eventsView(main, query) {
  const shareId = query.get('share_id') ?? '';
  const { events } = await api('GET', `/migration-events?limit=200${shareId ? `&share_id=${encodeURIComponent(shareId)}` : ''}`);
  const rows = [...events].reverse().map((event) => {
    const d = event.detail ?? {};
    return h('tr', {},
      h('td', {}, time(event.time)),
      h('td', {}, event['detail-type']),
      h('td', {}, d.share_id ? h('a', { href: `#/shares/${encodeURIComponent(d.share_id)}` }, d.share_name || d.share_id) : '–'),
      h('td', {}, d.task_state ? h('span', { class: `badge ${tone(d.task_state)}` }, d.task_state) : '–'),
      h('td', {}, d.destination_host ?? d.host ?? '–'));
  });
  fill(main,
    h('h1', {}, 'Events'),
    shareId ? h('p', {}, `Of share ${shareId} · `, h('a', { href: '#/events' }, 'all shares')) : null,
    rows.length === 0 ? h('p', { class: 'muted' }, 'No event yet.') : h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Time', 'Event', 'Share', 'Task state', 'Host'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows))));
}
