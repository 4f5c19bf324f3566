import { api, session } from '../api.js';
import { confirmAction, fill, h, toast } from '../dom.js';
import { FINAL_TASK_STATES, PHASE1_DONE, between, bytes, count, duration, time, tone } from '../format.js';
import { drawGraph } from '../graph.js';
import { migrateForm } from './migrate-form.js';

const POLL_MS = 2000;
let definition = null;

/**
 * A share and its migration: the state machine with the path taken, the task_state timeline, live
 * progress (bytes, files, rate, ETA; each partition), the read-only window, the copy passes, the error;
 * start, complete and cancel with confirmation. Polls while the migration moves and the page is shown.
 */
export async function shareView(main, shareId, isCurrent) {
  const render = async () => {
    const { share } = await api('GET', `/shares/${encodeURIComponent(shareId)}`);
    // Export locations have their own API since 2.9.
    const locations = (await api('GET', `/shares/${encodeURIComponent(shareId)}/export_locations`).catch(() => ({ export_locations: [] }))).export_locations;
    const migrations = session.isAdmin ? (await api('GET', `/shares/${encodeURIComponent(shareId)}/migrations`)).migrations : [];
    const migration = migrations[0];
    const execution = migration?.execution_id ? await api('GET', `/migrations/${encodeURIComponent(migration.id)}/execution`).catch(() => null) : null;
    if (session.isAdmin && definition === null) definition = (await api('GET', '/workflow/definition').catch(() => ({ definition: null }))).definition;
    if (!isCurrent()) return;
    fill(main,
      h('p', {}, h('a', { href: '#/shares' }, '← Shares')),
      h('h1', {}, share.name || share.id),
      shareCard(share, locations),
      actions(share, migration, render),
      migration ? migrationSection(migration, execution?.execution) : h('p', { class: 'muted' }, session.isAdmin ? 'No migration of this share yet.' : ''),
      migrations.length > 1 ? h('details', {}, h('summary', {}, `Earlier migrations (${migrations.length - 1})`), h('ul', {}, migrations.slice(1).map((m) => h('li', {}, `${time(m.created_at)}: ${m.task_state} → ${m.destination_host}`)))) : null);
    const moving = migration && !FINAL_TASK_STATES.has(migration.task_state);
    if (moving) setTimeout(() => isCurrent() && document.visibilityState !== 'hidden' ? render().catch(() => undefined) : undefined, POLL_MS);
  };
  await render();
}

function shareCard(share, locations) {
  const item = (label, value) => [h('dt', {}, label), h('dd', {}, value ?? '–')];
  const exportPath = (locations.find((l) => l.preferred) ?? locations[0])?.path;
  return h('div', { class: 'cards' },
    h('dl', { class: 'card' }, item('Status', h('span', { class: `badge ${tone(share.status)}` }, share.status)), item('Task state', share.task_state ? h('span', { class: `badge ${tone(share.task_state)}`, id: 'task-state' }, share.task_state) : h('span', { id: 'task-state' }, '–'))),
    h('dl', { class: 'card' }, item('Host', share.host), item('Size', `${share.size} GiB`)),
    h('dl', { class: 'card' }, item('Type', share.share_type_name), item('Export', exportPath)),
    h('dl', { class: 'card' }, item('ID', share.id), item('Project', share.project_id)));
}

function actions(share, migration, refresh) {
  if (!session.isAdmin) return null;
  const action = async (title, text, label, body) => {
    if (!(await confirmAction(title, text, label))) return;
    try {
      await api('POST', `/shares/${encodeURIComponent(share.id)}/action`, body);
      toast(`${label}: asked`);
      await refresh();
    } catch (error) {
      toast(`${label} refused: ${error.message}`);
    }
  };
  const moving = migration && !FINAL_TASK_STATES.has(migration.task_state);
  return h('div', { class: 'row' },
    !moving && share.status === 'available' ? h('button', { type: 'button', class: 'primary', id: 'start-migration', onclick: () => migrateForm(share, refresh) }, 'Migrate…') : null,
    moving && PHASE1_DONE.has(migration.task_state)
      ? h('button', { type: 'button', class: 'primary', id: 'complete-migration', onclick: () => action('Complete the migration?', 'The source turns read-only, the final pass copies what changed, and the share switches to the destination.', 'Complete', { migration_complete: null }) }, 'Complete')
      : null,
    moving ? h('button', { type: 'button', class: 'danger', id: 'cancel-migration', onclick: () => action('Cancel the migration?', 'The copy stops, the destination is deleted and the share stays where it is, as it was.', 'Cancel migration', { migration_cancel: null }) }, 'Cancel migration') : null);
}

function migrationSection(m, execution) {
  const progress = m.progress;
  const percent = progress ? Math.max(0, Math.min(100, Math.round(progress.total_progress ?? 0))) : 0;
  const copyFault = m.copy_fault;
  return h('section', { 'aria-labelledby': 'migration-title' },
    h('h2', { id: 'migration-title' }, `Migration to ${m.destination_host}`, ' ', h('span', { class: `badge ${tone(m.task_state)}`, id: 'migration-state' }, m.task_state)),
    h('p', { class: 'muted' }, `${m.mechanism_reason ?? m.mechanism ?? 'mechanism not chosen yet'} · started ${time(m.created_at)} · ${between(m.created_at, FINAL_TASK_STATES.has(m.task_state) ? m.updated_at : null)}`),
    m.error ? h('div', { class: 'error', role: 'alert' }, h('strong', {}, m.error.error), ': ', m.error.cause, h('br'), h('small', {}, time(m.error.at))) : null,
    copyFault ? h('div', { class: 'error', role: 'status' }, `Waiting out an infrastructure fault since ${time(copyFault.since)} (${copyFault.attempts} in a row): ${copyFault.last_error?.Error ?? copyFault.last_error ?? ''}. Next try ${time(copyFault.next_attempt_at)}.`) : null,
    h('h2', {}, 'Progress'),
    progress
      ? h('div', {},
        h('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': percent, 'aria-label': 'Migration progress' }, h('span', { style: `width:${percent}%` })),
        h('p', { id: 'progress-text' }, `${percent}% · ${progress.pass ?? ''} ${progress.phase ?? ''} · ${bytes(progress.bytes_done)} of ${bytes(progress.bytes_total)} · ${count(progress.files_done)} of ${count(progress.files_total)} files · ${bytes(progress.bytes_per_second)}/s · ETA ${progress.eta_seconds === null ? '–' : duration(progress.eta_seconds)}`))
      : h('p', { class: 'muted' }, 'No progress reported yet.'),
    partitionsTable(m.partitions),
    h('div', { class: 'cards' },
      h('dl', { class: 'card' }, h('dt', {}, 'Read-only window'), h('dd', { id: 'read-only-window' }, m.read_only_since ? `${between(m.read_only_since, m.read_only_until)}${m.read_only_until ? '' : ' so far'} (from ${time(m.read_only_since)})` : 'not begun: the source is writable'))),
    h('h2', {}, 'Task states'),
    h('ol', { class: 'timeline' }, (m.history ?? []).map((entry, i, all) => h('li', { class: i === all.length - 1 ? 'current' : '' }, `${entry.task_state} · ${time(entry.at)}${all[i + 1] ? ` · ${between(entry.at, all[i + 1].at)}` : ''}`))),
    m.copies?.length ? h('div', {}, h('h2', {}, 'Copy passes'), h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Pass', 'Files', 'Bytes', 'Time', 'Verified', 'Finished'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, m.copies.map((c) => h('tr', {}, h('td', {}, c.pass), h('td', {}, count(c.files)), h('td', {}, bytes(c.bytes)), h('td', {}, duration(c.seconds)), h('td', {}, c.verified ? 'yes' : 'no'), h('td', {}, time(c.finished_at)))))))) : null,
    definition ? h('div', {}, h('h2', {}, 'State machine'), h('p', { class: 'muted' }, execution ? `Execution ${execution.name}: ${execution.visits.length} states entered; the last is filled.` : 'The execution\'s path is not available.'),
      h('div', { class: 'graph' }, drawGraph(definition, (execution?.visits ?? []).map((v) => v.state), new Set((execution?.visits ?? []).filter((v) => v.failed).map((v) => v.state))))) : null);
}

function partitionsTable(partitions) {
  const list = partitions?.partitions ?? partitions?.details;
  if (!Array.isArray(list) || list.length === 0) return null;
  return h('div', {}, h('h2', {}, `Partitions (${list.length})`), h('div', { class: 'table-wrap' }, h('table', {},
    h('thead', {}, h('tr', {}, ['#', 'State', 'Pass', 'Bytes', 'Files', 'Rate', 'Attempts'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, list.map((p) => h('tr', {}, h('td', {}, p.index), h('td', {}, p.state), h('td', {}, p.pass ?? '–'), h('td', {}, bytes(p.bytes_done ?? p.bytes)), h('td', {}, count(p.files_done ?? p.files)), h('td', {}, p.bytes_per_second ? `${bytes(p.bytes_per_second)}/s` : '–'), h('td', {}, p.attempts ?? '–')))))));
}
