/**
 * `npm run rehearse`: the AWS rehearsal from the command line. Synthesizes the stack, deploys it into
 * moto with IAM enforced, runs the scenarios, prints the report and exits 0 only if every scenario
 * held and no call was denied. Needs root (the copy task's EFS volumes are bind mounts in a mount
 * namespace), moto 5 with its server in python3, and the manila CLI (python3-manilaclient).
 *
 *   npm run rehearse                                  every scenario
 *   npm run rehearse -- --scenario access-point,cancel
 *   npm run rehearse -- --keep                        keep .rehearsal/<run>/ (logs, cdk.out, EFS folders)
 */
import { rm } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { buildReport, formatReport, writeReport } from './report.ts';
import { startRehearsal } from './rehearsal.ts';
import { runScenarios } from './run-scenarios.ts';
import { SCENARIOS } from './scenarios/index.ts';

const { values } = parseArgs({
  options: {
    scenario: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'work-dir': { type: 'string' },
  },
});

const wanted = values.scenario?.split(',').map((name) => name.trim()).filter(Boolean);
const unknown = (wanted ?? []).filter((name) => !SCENARIOS.some((scenario) => scenario.name === name));
if (unknown.length > 0) {
  process.stderr.write(`Unknown scenario(s): ${unknown.join(', ')}. Known: ${SCENARIOS.map((scenario) => scenario.name).join(', ')}\n`);
  process.exit(2);
}
const scenarios = wanted ? SCENARIOS.filter((scenario) => wanted.includes(scenario.name)) : SCENARIOS;

const started = Date.now();
process.stdout.write('Synthesizing the stack and deploying it into moto (IAM enforced)...\n');
const rehearsal = await startRehearsal({ workDir: values['work-dir'] });
process.stdout.write(`Deployed in ${((Date.now() - started) / 1000).toFixed(0)} s: ${rehearsal.functions.functions.size} functions, ${rehearsal.deployment.roles.size} roles; API at ${rehearsal.api.url}\n`);
let ok = false;
try {
  // Every scenario at once: they are independent, and most of their time is waiting for EFS's metrics.
  const results = await runScenarios(rehearsal, scenarios, {
    concurrent: true,
    onResult: (result) => process.stdout.write(`${result.ok ? 'ok  ' : 'FAIL'} ${result.name} (${result.seconds.toFixed(1)} s)${result.error ? `: ${result.error}` : ''}\n`),
  });
  const report = buildReport(rehearsal, results, (Date.now() - started) / 1000);
  const file = await writeReport(report, rehearsal.workDir);
  ok = report.ok;
  const kept = values.keep || !ok;
  process.stdout.write(`\n${formatReport(report)}\n\n${kept ? `Report, cdk.out, EFS folders and every process's log: ${rehearsal.workDir} (${file})` : 'Run folder removed (--keep keeps it).'}\n`);
} finally {
  await rehearsal.stop();
  if (!values.keep && ok) await rm(rehearsal.workDir, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
