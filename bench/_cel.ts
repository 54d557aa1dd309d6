import { celEnvironment, compileCel } from '../shared/rules/cel.js';
const env = celEnvironment([
  { name: 'TIMESTAMP_START', type: 'timestamp', nullable: false },
  { name: 'TIMESTAMP_END', type: 'timestamp', nullable: false },
  { name: 'SW_IN', type: 'number', nullable: true },
  { name: 'GPP', type: 'number', nullable: true },
  { name: 'NEE', type: 'number', nullable: true },
]);
const exprs = ['TIMESTAMP_END > TIMESTAMP_START', 'SW_IN == null || SW_IN < 10.0 || GPP == null || GPP >= 0.0', 'int(TIMESTAMP_START.getFullYear())', 'NEE == null ? null : dyn(NEE * 0.02162)', 'true'];
const N = 300000;
for (const e of exprs) {
  const p = compileCel(env, e, 'x');
  const ctx: Record<string, unknown> = {};
  const t = performance.now();
  for (let i = 0; i < N; i++) {
    ctx.TIMESTAMP_START = new Date(1.5e12 + i * 1800000); ctx.TIMESTAMP_END = new Date(1.5e12 + i * 1800000 + 1800000);
    ctx.SW_IN = i % 7 ? 200.5 : null; ctx.GPP = 3.2; ctx.NEE = 1.1;
    p(ctx);
  }
  console.log(e, ((performance.now() - t) * 1000 / N).toFixed(3), 'µs');
}
