// Request validation, without a server: the edge's first line of defence.
import { describe, expect, it } from 'vitest';
import { parseEnqueue, parseHandler, parseTimestamp } from '../src/shared/validate.ts';

describe('parseTimestamp', () => {
  it('accepts ISO 8601 date-times with a time zone', () => {
    expect(parseTimestamp('2028-02-29T00:00:00Z')?.toISOString()).toBe('2028-02-29T00:00:00.000Z');
    expect(parseTimestamp('2026-12-31T23:59:59.123+02:00')?.toISOString()).toBe('2026-12-31T21:59:59.123Z');
    expect(parseTimestamp('2030-01-01T10:00Z')?.toISOString()).toBe('2030-01-01T10:00:00.000Z');
    expect(parseTimestamp('2030-01-01T10:00:00-0530')?.toISOString()).toBe('2030-01-01T15:30:00.000Z');
  });

  it('refuses dates that do not exist instead of rolling them over', () => {
    for (const bad of ['2026-02-30T00:00:00Z', '2026-02-29T00:00:00Z', '2026-04-31T00:00:00Z', '2026-13-01T00:00:00Z', '2026-12-31T24:00:00Z', '2026-12-31T23:60:00Z']) {
      expect(parseTimestamp(bad), bad).toBeUndefined();
    }
  });

  it('refuses anything without a time or a time zone', () => {
    for (const bad of ['2030-01-01', '2030-01-01T10:00', '2030-01-01 10:00:00Z', 'tomorrow', '1893456000', '', 42]) {
      expect(parseTimestamp(bad), String(bad)).toBeUndefined();
    }
  });
});

describe('parseEnqueue', () => {
  it('reports every invalid item of a batch by index, and accepts 10,000 items', () => {
    expect(() => parseEnqueue({ events: [{ name: 'A' }, { name: 1 }, { name: 'B', priority: 500 }] })).toThrow(/2 of 3 events are invalid/);
    expect(parseEnqueue({ events: Array.from({ length: 10_000 }, () => ({ name: 'A' })) }).items).toHaveLength(10_000);
    expect(() => parseEnqueue({ events: Array.from({ length: 10_001 }, () => ({ name: 'A' })) })).toThrow(/at most 10000/);
  });
});

describe('parseHandler', () => {
  it('takes rate limits as a pair and lets an update remove a limit with null', () => {
    expect(() => parseHandler({ name: 'A', kind: 'code', target: 'A', rate_limit: 5 }, 'create')).toThrow(/together/);
    expect(parseHandler({ concurrency_limit: null }, 'update')).toEqual({ concurrency_limit: null });
    expect(parseHandler({ rate_limit: null, rate_period_ms: null }, 'update')).toEqual({ rate_limit: null, rate_period_ms: null });
  });
});
