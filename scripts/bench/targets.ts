// The bench's table: every measure once, with how each system's figure is
// read from the results, the ratio, and the target with its check. The
// printer (table.ts) only lays these rows out.
import type { DashboardRun } from './dashboard.ts';
import type { DispatchCost, LongRun, RealtimeRun } from './supaqueue.ts';
import { PEERS } from './peers.ts';
import { sizes } from './sizes.ts';
import { fmt, median, pct, type Throughput } from './util.ts';

export interface Results {
  ours: {
    throughput: Array<Throughput & DispatchCost>;
    backlogThroughput: Throughput[];
    /** CPU ms per second of one idle drainer. */
    idleCpuMsPerSecond: number;
    pickupWarm: number[];
    pickupCold: number[];
    singleEnqueue: number;
    claimEmpty: number[];
    claimBacklog: number[];
    long: LongRun;
    realtime: RealtimeRun;
    dashboard: DashboardRun;
  };
  peers: Record<string, { throughput: Throughput[]; pickup: number[] }>;
}

export interface Row {
  measure: string;
  ours: string;
  /** Per peer id; '' where the peer has no such figure. */
  peers: Record<string, string>;
  ratio: string;
  target: string;
  /** null: reported, no target. */
  pass: boolean | null;
}

const n = (x: number) => x.toLocaleString('en-US');
const processed = (ts: Throughput[]) => median(ts.map((t) => t.processed));
const enqueued = (ts: Throughput[]) => median(ts.map((t) => t.enqueue));
const graphiles = PEERS.filter((p) => p.kind === 'graphile');
/** graphile-worker's best figure over its configurations: the one the ratio is taken against. */
const bestGraphile = (r: Results, figure: (peer: Results['peers'][string]) => number, better: 'higher' | 'lower') => {
  const xs = graphiles.map((p) => figure(r.peers[p.id]));
  return better === 'higher' ? Math.max(...xs) : Math.min(...xs);
};
const perPeer = (r: Results, figure: (peer: Results['peers'][string]) => string) =>
  Object.fromEntries(PEERS.map((p) => [p.id, figure(r.peers[p.id])]));
const ratio = (x: number) => `${x.toFixed(2)}×`;

export function rows(r: Results): Row[] {
  const o = r.ours;
  const tput = processed(o.throughput);
  const gTput = bestGraphile(r, (p) => processed(p.throughput), 'higher');
  const enq = enqueued(o.throughput);
  const gEnq = bestGraphile(r, (p) => enqueued(p.throughput), 'higher');
  const p50 = pct(o.pickupWarm, 50);
  const gP50 = bestGraphile(r, (p) => pct(p.pickup, 50), 'lower');
  const p99 = pct(o.pickupWarm, 99);
  const claimEmpty = median(o.claimEmpty);
  const claimBacklog = median(o.claimBacklog);
  const backlogTput = processed(o.backlogThroughput);
  const rt = o.realtime;
  const rtP99 = pct(rt.lags, 99);
  const ms = (x: number) => fmt(x, ' ms');
  const pickup = (xs: number[]) => `p50 ${ms(pct(xs, 50))}, p99 ${ms(pct(xs, 99))}`;
  return [
    {
      measure: `end-to-end throughput, ${n(sizes.throughputEvents)} events, median of ${sizes.repeats} (events/s)`,
      ours: fmt(tput), peers: perPeer(r, (p) => fmt(processed(p.throughput))),
      ratio: ratio(tput / gTput), target: '≥ 1.0× graphile-worker', pass: tput >= gTput,
    },
    {
      measure: `${n(sizes.throughputEvents)}-event throughput run: dispatch CPU per 1,000 events / worker starts (median of ${sizes.repeats})`,
      ours: `${ms(median(o.throughput.map((t) => t.cpuMsPer1000)))} / ${n(median(o.throughput.map((t) => t.workerStarts)))}`,
      peers: {}, ratio: '', target: 'reported', pass: null,
    },
    {
      measure: 'one idle drainer: dispatch CPU per second (waits on LISTEN, no polling)',
      ours: ms(o.idleCpuMsPerSecond), peers: {}, ratio: '', target: 'reported', pass: null,
    },
    {
      measure: 'batch enqueue (events/s; 1,000 events per call: ours one HTTP request, peers one addJobs / insert; workers running)',
      ours: fmt(enq), peers: perPeer(r, (p) => fmt(enqueued(p.throughput))),
      ratio: ratio(enq / gEnq), target: '≥ 1.0× graphile-worker addJobs', pass: enq >= gEnq,
    },
    {
      measure: `pickup p50, enqueue commit → handler start, drainer alive (${o.pickupWarm.length} samples)`,
      ours: ms(p50), peers: perPeer(r, (p) => ms(pct(p.pickup, 50))),
      ratio: ratio(p50 / gP50), target: '≤ 1.0× graphile-worker', pass: p50 <= gP50,
    },
    {
      measure: 'pickup p99, drainer alive',
      ours: ms(p99), peers: perPeer(r, (p) => ms(pct(p.pickup, 99))),
      ratio: '', target: '≤ 25 ms', pass: p99 <= 25,
    },
    {
      measure: `pickup, no drainer alive (kicked over pg_net; ${o.pickupCold.length} samples)`,
      ours: pickup(o.pickupCold), peers: {}, ratio: '', target: 'reported', pass: null,
    },
    {
      measure: 'single-event enqueue over HTTP, 16 concurrent clients (events/s)',
      ours: fmt(o.singleEnqueue), peers: {}, ratio: '', target: '≥ 2,000', pass: o.singleEnqueue >= 2000,
    },
    {
      measure: `queue.claim(100) p50, ${n(sizes.backlogEvents)} queued (paused name) vs empty table`,
      ours: `${ms(claimBacklog)} vs ${ms(claimEmpty)}`, peers: {},
      ratio: ratio(claimBacklog / claimEmpty), target: '≤ 1.1×', pass: claimBacklog <= 1.1 * claimEmpty,
    },
    {
      measure: `end-to-end throughput, ${n(sizes.backlogEvents)} queued vs empty (events/s)`,
      ours: `${fmt(backlogTput)} vs ${fmt(tput)}`, peers: {},
      ratio: ratio(backlogTput / tput), target: '≥ 0.9×', pass: backlogTput >= 0.9 * tput,
    },
    {
      measure: `${n(sizes.longRunEvents)}-event run: dispatch worker peak RSS`,
      ours: fmt(o.long.peakRssMb, ' MB'), peers: {}, ratio: '', target: 'reported', pass: null,
    },
    {
      measure: `${n(sizes.longRunEvents)}-event run: dispatch CPU per 1,000 events`,
      ours: ms(o.long.cpuMsPer1000), peers: {}, ratio: '', target: 'reported', pass: null,
    },
    {
      measure: `${n(sizes.longRunEvents)}-event run: dispatch worker starts`,
      ours: n(o.long.workerStarts), peers: {}, ratio: '', target: 'reported', pass: null,
    },
    {
      measure: `${n(sizes.longRunEvents)}-event run: 546s (pg_net answers + limit terminations) / lost attempts`,
      ours: `${o.long.status546} + ${o.long.terminatedByLimit} / ${o.long.lost}`, peers: {}, ratio: '',
      target: 'none', pass: o.long.status546 + o.long.terminatedByLimit + o.long.lost === 0,
    },
    {
      measure: `Realtime: state changes a service-role subscriber got, ${n(sizes.throughputEvents)} events at ${fmt(rt.throughput)} events/s`,
      ours: `${n(rt.stateChanges)} of ${n(rt.expected)} (+${n(rt.otherUpdates)} lease-only updates)`, peers: {},
      ratio: ratio(rt.throughput / gTput), target: 'all, at ≥ 1.0× graphile-worker throughput',
      pass: rt.stateChanges === rt.expected && rt.throughput >= gTput,
    },
    {
      measure: 'Realtime: commit → callback lag of those changes',
      ours: `p50 ${ms(pct(rt.lags, 50))}, p99 ${ms(rtP99)}`, peers: {}, ratio: '', target: 'p99 ≤ 500 ms', pass: rtP99 <= 500,
    },
    {
      measure: `dashboard: events page with ${n(o.dashboard.events)} events, opened → first page of rows on screen`,
      ours: ms(o.dashboard.renderMs), peers: {}, ratio: '', target: '< 1,000 ms', pass: o.dashboard.renderMs < 1000,
    },
    {
      measure: `dashboard: frame time while ${n(o.dashboard.rate)} new events a second stream in (${n(o.dashboard.streamed)} in all)`,
      ours: `p50 ${ms(pct(o.dashboard.frames, 50))}, p99 ${ms(pct(o.dashboard.frames, 99))}, max ${ms(Math.max(...o.dashboard.frames))}`,
      peers: {}, ratio: '', target: 'reported', pass: null,
    },
    {
      measure: 'dashboard: the stream\'s last insert → its row on screen',
      ours: ms(o.dashboard.catchUpMs), peers: {}, ratio: '', target: '< 1,000 ms (keeps up)', pass: o.dashboard.catchUpMs < 1000,
    },
  ];
}
