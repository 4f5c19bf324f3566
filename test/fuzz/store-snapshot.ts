import type { LocalRuntime } from '../../local/runtime.ts';

/**
 * Everything the API can change, read through the runtime's own stores (so it holds whatever the
 * store's schema becomes): shares with their instances, access rules and snapshots, migrations, share
 * types, share networks, security services and migration schedules, in a stable order.
 */
export async function storeSnapshot(runtime: LocalRuntime): Promise<string> {
  const { migrationDeps, services } = runtime.composition;
  const [shares, migrations, shareTypes, shareNetworks, securityServices, schedules] = await Promise.all([
    migrationDeps.shares.list(),
    migrationDeps.migrations.list(),
    services.shareTypes.list(),
    services.shareNetworks.list(),
    services.securityServices.list(),
    services.schedules.list(),
  ]);
  const byId = <T extends { id: string }>(items: readonly T[]) => [...items].sort((a, b) => a.id.localeCompare(b.id));
  return JSON.stringify({
    shares: byId(shares),
    migrations: byId(migrations),
    shareTypes: byId(shareTypes),
    shareNetworks: byId(shareNetworks),
    securityServices: byId(securityServices),
    schedules: byId(schedules),
  });
}

/** Waits until no workflow execution runs (a 2xx may have started one), then a little for its copy tasks' last writes. */
export async function settle(runtime: LocalRuntime, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (runtime.workflow.runningExecutions().length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // One parked on migration_complete (auto_complete false) would wait for ever: stop it where it stands.
  if (runtime.workflow.runningExecutions().length > 0) await runtime.workflow.abortAll();
}
