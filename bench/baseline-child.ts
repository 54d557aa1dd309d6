// The runner's process before any worker starts: node, tsx and the engine's modules.
import '../shared/local/runner.js';
import '../shared/config/load.js';

console.log(JSON.stringify({ seconds: 0, rowsIn: 0, rowsOut: 0, rowsRejected: 0, status: 'SUCCEEDED', maxRssMb: process.resourceUsage().maxRSS / 1024 }));
