import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GATEWAY_NODE_FLAGS } from './support/gateway-process';

describe('npm start', () => {
  it('runs the gateway with the Node flags the end-to-end tests and benchmarks use', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['start']).toBe(`node ${GATEWAY_NODE_FLAGS.join(' ')} --import tsx src/runtime/node.ts`);
  });
});
