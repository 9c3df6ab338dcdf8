import { describe, expect, it } from 'vitest';
import { onlyLateStepsOutOfOrder, type PushedSteps } from './world';

/** The rule the end-to-end checks apply to pushed sources: only a step later than the window may follow its successor. */
describe('onlyLateStepsOutOfOrder', () => {
  const expected = ['100|2', '200|4', '300|9'];
  // Each step first sent at 1,000, 2,000, 3,000 ms; window 10 s.
  const pushed = (acknowledgedAt: number[]): PushedSteps => ({ firstSentAt: [1_000, 2_000, 3_000], acknowledgedAt, reorderWindowMs: 10_000 });

  it('passes the source order', () => {
    expect(onlyLateStepsOutOfOrder(expected, expected, pushed([1_100, 2_100, 3_100]))).toBe(true);
  });

  it('passes a step acknowledged more than the window after its successor was first sent', () => {
    expect(onlyLateStepsOutOfOrder(['100|2', '300|9', '200|4'], expected, pushed([1_100, 13_001, 3_100]))).toBe(true);
  });

  it('fails a step that reached the gateway within the window and still follows its successor', () => {
    expect(onlyLateStepsOutOfOrder(['100|2', '300|9', '200|4'], expected, pushed([1_100, 13_000, 3_100]))).toBe(false);
    expect(onlyLateStepsOutOfOrder(['200|4', '100|2', '300|9'], expected, pushed([1_100, 2_100, 3_100]))).toBe(false);
  });

  it('fails a step missing or held twice, however late', () => {
    const late = pushed([1_100, 60_000, 3_100]);
    expect(onlyLateStepsOutOfOrder(['100|2', '300|9'], expected, late)).toBe(false);
    expect(onlyLateStepsOutOfOrder(['100|2', '300|9', '200|4', '200|4'], expected, late)).toBe(false);
  });
});
