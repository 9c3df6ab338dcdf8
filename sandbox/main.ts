import { SANDBOX_DEFAULT_PORTS } from './credentials';
import { startSandbox } from './index';

/**
 * `npm run sandbox`: the five simulators on fixed ports with the sources' generators running, for a
 * person (or a separately started gateway) to talk to. The land system pushes its callbacks to
 * SANDBOX_LAND_TARGET (the gateway's base URL), or to whatever `PUT /__sandbox/target` names later.
 */
function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    process.stderr.write(`sandbox: ${name}="${raw}" is not a port number (0..65535)\n`);
    process.exit(78);
  }
  return value;
}

function perMinute(): number {
  const raw = process.env['SANDBOX_NEW_PER_MINUTE'];
  const value = raw ? Number(raw) : 6;
  if (!Number.isFinite(value) || value <= 0) {
    process.stderr.write(`sandbox: SANDBOX_NEW_PER_MINUTE="${raw}" must be a positive number\n`);
    process.exit(78);
  }
  return value;
}

const sandbox = await startSandbox({
  ports: {
    province: port('SANDBOX_PROVINCE_PORT', SANDBOX_DEFAULT_PORTS.province),
    dvcqg: port('SANDBOX_DVCQG_PORT', SANDBOX_DEFAULT_PORTS.dvcqg),
    civilStatus: port('SANDBOX_CIVIL_STATUS_PORT', SANDBOX_DEFAULT_PORTS.civilStatus),
    land: port('SANDBOX_LAND_PORT', SANDBOX_DEFAULT_PORTS.land),
    business: port('SANDBOX_BUSINESS_PORT', SANDBOX_DEFAULT_PORTS.business),
  },
  land: process.env['SANDBOX_LAND_TARGET'] ? { target: process.env['SANDBOX_LAND_TARGET'] } : {},
  generator: { newPerMinute: perMinute() },
});

process.stdout.write(['lienthong sandbox is running:', ...sandbox.describe().map((line) => `  ${line}`), ''].join('\n'));

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void sandbox.close().then(() => process.exit(0));
  });
}
