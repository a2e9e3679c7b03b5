// npm run bench [-- --quick]: supaqueue and its peers (graphile-worker,
// pg-boss), side by side in one run against one Postgres, the one the
// throwaway local stack starts. Each peer gets its own database there and
// runs its worker in its own Node process; every system gets the same number
// of events and the same trivial handler (x + y). Throughput repeats
// alternate systems (ours, each peer, ours, …) and the medians are reported.
// Prints one table (scripts/bench/targets.ts defines its rows and targets),
// then the same as Markdown for the README's Performance section.
// Sizes: scripts/bench/sizes.ts (--quick or SUPAQUEUE_BENCH_QUICK=1 for small ones).
import { cpus, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { PEERS, startPeer, type PeerRun } from './bench/peers.ts';
import { quick, sizes } from './bench/sizes.ts';
import { dashboardRun } from './bench/dashboard.ts';
import { startSupaqueue } from './bench/supaqueue.ts';
import { markdownTable, printTable } from './bench/table.ts';
import { rows, type Results } from './bench/targets.ts';
import { fmt, type Throughput } from './bench/util.ts';

const step = (what: string) => console.log(`  ${new Date().toISOString().slice(11, 19)} ${what}`);

function machine(): string {
  const os = readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="(.*)"$/m)?.[1] ?? process.platform;
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  return `${os}, ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.versions.node}; load average at the end ${load}`;
}

async function main() {
  const began = Date.now();
  console.log(`Starting a throwaway stack${quick ? ' (--quick sizes)' : ''}…`);
  const ours = await startSupaqueue();
  const peers: PeerRun[] = [];
  try {
    const [{ version }] = await ours.sql`select current_setting('server_version') as version`;
    step('claim(100), empty table');
    const claimEmpty = await ours.claimTimes(sizes.claimRounds);
    step('single-event enqueue');
    const singleEnqueue = await ours.singleEnqueue(sizes.singleEnqueues);
    for (const config of PEERS) {
      step(`starting ${config.label}`);
      peers.push(await startPeer(config, ours.stack.dbUrl));
    }

    step('pickup, drainer alive');
    const pickupWarm = await ours.pickupWarm(sizes.pickupSamples);
    step('one idle drainer, 10 s');
    const idleCpuMsPerSecond = await ours.idleCpu(10);
    step('pickup, no drainer alive');
    const pickupCold = await ours.pickupCold(sizes.coldSamples);
    const peerResults: Results['peers'] = {};
    for (const peer of peers) {
      step(`pickup, ${peer.config.label}`);
      peerResults[peer.config.id] = { throughput: [], pickup: await peer.pickup(peer.config.pickupSamples) };
    }

    const throughput: Awaited<ReturnType<typeof ours.throughput>>[] = [];
    for (let r = 1; r <= sizes.repeats; r++) {
      const t = await ours.throughput(sizes.throughputEvents);
      throughput.push(t);
      step(`throughput ${r}/${sizes.repeats}: supaqueue ${fmt(t.processed)} events/s (enqueue ${fmt(t.enqueue)}; dispatch ${t.workerStarts} worker start(s), ${fmt(t.cpuMsPer1000)} ms CPU per 1,000)`);
      for (const peer of peers) {
        const p = await peer.throughput(sizes.throughputEvents);
        peerResults[peer.config.id].throughput.push(p);
        step(`throughput ${r}/${sizes.repeats}: ${peer.config.label} ${fmt(p.processed)} jobs/s (enqueue ${fmt(p.enqueue)})`);
      }
    }
    for (const peer of peers.splice(0)) await peer.stop();

    step('Realtime at throughput');
    const realtime = await ours.realtime(sizes.throughputEvents);
    step('dashboard, events page');
    const dashboard = await dashboardRun(ours.stack, ours.sql, sizes.dashboard);
    step(`${sizes.longRunEvents.toLocaleString('en-US')}-event run`);
    const long = await ours.longRun(sizes.longRunEvents);
    step(`inserting ${sizes.backlogEvents.toLocaleString('en-US')} queued events, then waiting for Realtime to read past them`);
    await ours.insertBacklog(sizes.backlogEvents);
    await ours.realtimeCaughtUp();
    step('claim(100) and throughput with the backlog');
    const claimBacklog = await ours.claimTimes(sizes.claimRounds);
    const backlogThroughput: Throughput[] = [];
    for (let r = 0; r < sizes.repeats; r++) backlogThroughput.push(await ours.throughput(sizes.throughputEvents));

    const table = rows({
      ours: { throughput, backlogThroughput, idleCpuMsPerSecond, pickupWarm, pickupCold, singleEnqueue, claimEmpty, claimBacklog, long, realtime, dashboard },
      peers: peerResults,
    });
    console.log();
    printTable(table);
    const failed = table.filter((r) => r.pass === false).length;
    console.log(failed ? `\n${failed} target(s) missed.` : '\nAll targets met.');
    console.log(`\nMachine: ${machine()}; Postgres ${version}. Took ${Math.round((Date.now() - began) / 1000)} s.`);
    console.log(`\nMarkdown:\n\n${markdownTable(table)}`);
  } finally {
    for (const peer of peers) await peer.stop().catch(() => {});
    await ours.stop();
  }
}

await main();
