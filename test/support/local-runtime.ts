import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../../local/runtime.ts';
import { ManilaClient } from '../../local/manila-client.ts';

export interface TestRuntime {
  readonly runtime: LocalRuntime;
  readonly client: ManilaClient;
  readonly dataDir: string;
  stop(): Promise<void>;
  /** Stops and removes the data folder. */
  destroy(): Promise<void>;
}

/** The embedded runtime on a free port in a fresh data folder (or the one given, for restart tests). */
export async function startTestRuntime(options: Partial<LocalRuntimeOptions> & { backends?: unknown } = {}): Promise<TestRuntime> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'smig-e2e-')));
  let backendsFile = options.backendsFile;
  if (options.backends !== undefined) {
    backendsFile = path.join(dataDir, 'backends.json');
    await writeFile(backendsFile, JSON.stringify(options.backends));
  }
  const runtime = await startLocalRuntime({ port: 0, adminToken: 'test-admin-token', ...options, dataDir, backendsFile });
  const client = new ManilaClient(runtime.url, runtime.adminToken);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await runtime.close();
  };
  return {
    runtime,
    client,
    dataDir,
    stop,
    destroy: async () => {
      await stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
