import { api } from '../api.js';
import { confirmAction, fill, h, toast } from '../dom.js';

/**
 * The migration_start form: the destination pool, with what each pool lacks for this share (its current
 * pool, too little free space, another zone than the type asks), the four guarantees explained, a new
 * share type. The service checks again and answers why it refuses; this only saves a round trip.
 */
const GUARANTEES = [
  ['writable', 'Writable', 'Clients keep writing to the share while the data is copied; it turns read-only only for the final pass.', true],
  ['preserve_metadata', 'Preserve metadata', 'Owners, modes, times, extended attributes and ACLs arrive exactly; refused if the destination cannot keep them.', true],
  ['nondisruptive', 'Nondisruptive', 'The export path does not change. Only a driver that migrates natively can promise it.', false],
  ['preserve_snapshots', 'Preserve snapshots', 'The share\'s snapshots are replayed on the destination, oldest first.', false],
];

export async function migrateForm(share, onStarted) {
  const [{ pools }, { share_types: types }] = await Promise.all([api('GET', '/scheduler-stats/pools/detail'), api('GET', '/types')]);
  const type = types.find((t) => t.id === share.share_type) ?? types.find((t) => t.name === share.share_type_name);
  const zones = type?.extra_specs?.availability_zones?.split(',').map((z) => z.trim()).filter(Boolean) ?? [];
  const reasons = (pool) => {
    const c = pool.capabilities ?? {};
    const why = [];
    if (pool.name === share.host) why.push('the share is here now');
    const free = Number(c.free_capacity_gb);
    if (Number.isFinite(free) && free < share.size) why.push(`${free} GiB free, the share needs ${share.size}`);
    if (zones.length > 0 && c.availability_zone && !zones.includes(c.availability_zone)) why.push(`zone ${c.availability_zone}; the type asks for ${zones.join(', ')}`);
    return why;
  };
  const choices = pools.map((pool, i) => {
    const why = reasons(pool);
    return h('label', { class: 'pool-choice' },
      h('input', { type: 'radio', name: 'host', value: pool.name, required: true, id: `pool-${i}` }),
      ` ${pool.name}`,
      h('span', { class: 'why' }, why.length === 0 ? `fits: ${pool.capabilities?.free_capacity_gb ?? '?'} GiB free${pool.capabilities?.availability_zone ? `, zone ${pool.capabilities.availability_zone}` : ''}` : `not a fit: ${why.join('; ')}`));
  });
  const dialog = h('dialog', { 'aria-labelledby': 'migrate-title' });
  const preview = h('ul', { id: 'schedule-preview', 'aria-live': 'polite' });
  const timing = () => {
    const data = new FormData(form);
    const when = data.get('when');
    if (when === 'at') {
      const local = data.get('at');
      return local ? { at: new Date(local).toISOString() } : null;
    }
    if (when === 'cron') return data.get('cron') ? { cron: data.get('cron'), timezone: data.get('timezone') || 'UTC' } : null;
    return null;
  };
  let previewTimer;
  const updatePreview = () => {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(async () => {
      const t = timing();
      if (!t) return fill(preview);
      try {
        const { firings } = await api('GET', `/migration-schedules/preview?${new URLSearchParams({ ...t, count: '5' })}`);
        fill(preview, firings.map((f) => h('li', {}, new Date(f).toLocaleString())));
      } catch (error) {
        fill(preview, h('li', { class: 'error' }, error.message));
      }
    }, 300);
  };
  const form = h('form', {
    onsubmit: async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const host = data.get('host');
      const scheduled = timing();
      if (scheduled) {
        dialog.close();
        const firstText = preview.textContent ? ` First firing: ${preview.querySelector('li')?.textContent}.` : '';
        if (!(await confirmAction('Schedule the migration?', `Share ${share.name || share.id} will move to ${host} when the schedule fires.${firstText}`, 'Schedule'))) return;
        try {
          const guarantees = Object.fromEntries(GUARANTEES.map(([key]) => [key, data.get(key) === 'on']));
          const { migration_schedule: created } = await api('POST', '/migration-schedules', {
            migration_schedule: { share_id: share.id, host, ...guarantees, ...(data.get('new_share_type_id') ? { new_share_type_id: data.get('new_share_type_id') } : {}), ...scheduled },
          });
          toast(`Scheduled: next firing ${new Date(created.next_fire_at).toLocaleString()}`);
        } catch (error) {
          toast(`Not scheduled: ${error.message}`);
        } finally {
          dialog.remove();
        }
        return;
      }
      const body = {
        migration_start: {
          host,
          ...Object.fromEntries(GUARANTEES.map(([key]) => [key, data.get(key) === 'on'])),
          force_host_assisted_migration: data.get('force_host_assisted_migration') === 'on',
          ...(data.get('new_share_type_id') ? { new_share_type_id: data.get('new_share_type_id') } : {}),
        },
      };
      dialog.close();
      const ok = await confirmAction('Start the migration?', `Share ${share.name || share.id} moves from ${share.host} to ${host}. The copy starts now; the switchover waits for your "complete".`, 'Start');
      if (!ok) return;
      try {
        await api('POST', `/shares/${encodeURIComponent(share.id)}/action`, body);
        toast('Migration started');
        onStarted();
      } catch (error) {
        toast(`Not started: ${error.message}`);
      } finally {
        dialog.remove();
      }
    },
  },
  h('h2', { id: 'migrate-title' }, `Migrate ${share.name || share.id}`),
  h('fieldset', {}, h('legend', {}, 'Destination pool'), choices),
  h('fieldset', {}, h('legend', {}, 'Guarantees'),
    GUARANTEES.map(([key, label, help, on]) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: key, checked: on }), h('span', {}, h('strong', {}, label), h('br'), h('span', { class: 'muted' }, help)))),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'force_host_assisted_migration' }), h('span', {}, h('strong', {}, 'Copy even if the driver could migrate natively'), h('br'), h('span', { class: 'muted' }, 'force_host_assisted_migration')))),
  h('fieldset', { oninput: updatePreview, onchange: updatePreview }, h('legend', {}, 'When'),
    h('label', { class: 'check' }, h('input', { type: 'radio', name: 'when', value: 'now', checked: true }), 'Now'),
    h('label', { class: 'check' }, h('input', { type: 'radio', name: 'when', value: 'at', id: 'when-at' }), 'Once, at ', h('input', { type: 'datetime-local', name: 'at', 'aria-label': 'Time of the one-time schedule' })),
    h('label', { class: 'check' }, h('input', { type: 'radio', name: 'when', value: 'cron', id: 'when-cron' }), 'In a recurring window ',
      h('input', { name: 'cron', placeholder: 'cron(0 2 ? * SUN *)', 'aria-label': 'Cron expression', id: 'cron' }),
      h('input', { name: 'timezone', value: Intl.DateTimeFormat().resolvedOptions().timeZone, 'aria-label': 'Time zone', size: 14 })),
    h('p', { class: 'muted' }, 'Next firings:'), preview),
  h('label', { for: 'new-type' }, 'New share type (retype)', h('select', { id: 'new-type', name: 'new_share_type_id' }, h('option', { value: '' }, 'keep the current type'), types.filter((t) => t.id !== type?.id).map((t) => h('option', { value: t.id }, t.name)))),
  h('div', { class: 'buttons' }, h('button', { type: 'button', onclick: () => { dialog.close(); dialog.remove(); } }, 'Back'), h('button', { type: 'submit', class: 'primary', id: 'migrate-submit' }, 'Start migration')));
  dialog.append(form);
  document.body.append(dialog);
  dialog.showModal();
}
