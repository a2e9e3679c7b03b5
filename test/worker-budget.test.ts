// How a worker close to its CPU limit sizes what it takes on: as many
// attempts in flight as the reserve (the last tenth of the soft limit) can
// finish at the CPU per attempt measured so far, within [floor, ceiling].
import { describe, expect, it } from 'vitest';
import { createWorkerBudget, taperCap } from '../functions/dispatch/worker-budget.ts';

const budgetAt = (usedMs: number | null) => createWorkerBudget({ cpuSoftLimitMs: 1000, cpuUsedMs: () => usedMs });

describe('taperCap', () => {
  it('keeps the reserve for the last tenth of the soft limit', () => {
    expect(budgetAt(0).reserveMs).toBe(100);
  });

  it('barely tapers cheap attempts: 0.05 ms each, the reserve finishes 2,000, capped at the ceiling', () => {
    const budget = budgetAt(950);
    expect(budget.room()).toBe('taper');
    expect(taperCap(budget, 19_000, 10, 500)).toBe(500);
  });

  it('tapers costly attempts: 2 ms each, the reserve finishes 50', () => {
    expect(taperCap(budgetAt(950), 475, 10, 500)).toBe(50);
  });

  it('never goes below the floor, however costly', () => {
    expect(taperCap(budgetAt(950), 20, 10, 500)).toBe(10);
  });

  it('takes the floor until there is a measure: CPU unknown, or fewer attempts finished than the floor', () => {
    expect(taperCap(budgetAt(null), 10_000, 10, 500)).toBe(10);
    expect(taperCap(budgetAt(950), 5, 10, 500)).toBe(10);
  });
});

describe('overtime', () => {
  it('just past the soft CPU limit the drainer may claim on (while its successor starts), up to a fifth more', () => {
    expect(budgetAt(1050).room()).toBe('overtime');
    expect(budgetAt(1199).room()).toBe('overtime');
    expect(budgetAt(1200).room()).toBe('none');
  });

  it('ends when the drainer says its successor serves', () => {
    const budget = budgetAt(1050);
    expect(budget.room()).toBe('overtime');
    budget.endOvertime();
    expect(budget.room()).toBe('none');
  });

  it('is not given past half the memory limit', () => {
    const budget = createWorkerBudget({ cpuSoftLimitMs: 1000, cpuUsedMs: () => 10, memoryLimitMb: 256, memoryUsedMb: () => 130 });
    expect(budget.room()).toBe('none');
  });
});
