import { startRehearsal } from '/work/main/rehearsal/rehearsal.ts';
import { runScenarios } from '/work/main/rehearsal/run-scenarios.ts';
import { SCENARIOS } from '/work/main/rehearsal/scenarios/index.ts';
const only = process.env.ONLY?.split(',');
const pick = only ? SCENARIOS.filter((s) => only.includes(s.name)) : SCENARIOS;
const permissive = process.env.PERMISSIVE === '1';
const t0 = Date.now();
const r = await startRehearsal({ workDir: '/work/main/.rehearsal/smoke', editPolicy: permissive ? (_role, _name, doc) => ({ ...doc, Statement: [...(doc.Statement as any[]), { Effect: 'Allow', Action: '*', Resource: '*' }] }) : undefined });
console.log('up in', Date.now() - t0, 'ms', r.apiUrl);
try {
  await runScenarios(r, pick, (res) => console.log(JSON.stringify({ ...res, denied: res.denied.map(d => d.operation) }, null, 1)));
} finally { await r.stop(); }
