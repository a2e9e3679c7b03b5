// One peer's worker, in a process of its own (started by peers.ts):
//   node --import tsx peer-worker.ts <graphile|pgboss> <database url> <options json>
// Runs the same trivial handler as supaqueue's bench (x + y). A pickup
// sample (payload.p) reports its handler start to the parent over IPC.
import { Logger, run } from 'graphile-worker';
import { PgBoss } from 'pg-boss';
import { QUEUE } from './peers.ts';
import { wallMs } from './util.ts';

const [kind, url, optionsJson] = process.argv.slice(2);
const options = JSON.parse(optionsJson);
const send = (m: unknown) => process.send!(m);

type Payload = { x?: number; y?: number; p?: number };
const handle = (payload: Payload) => {
  if (payload.p !== undefined) send({ picked: payload.p, at: wallMs() });
  return (payload.x ?? 0) + (payload.y ?? 0);
};

let stop: () => Promise<void>;
if (kind === 'graphile') {
  const runner = await run({
    connectionString: url, noHandleSignals: true, logger: new Logger(() => () => {}), // quiet: its info lines would flood the table
    taskList: { [QUEUE]: async (payload) => { handle(payload as Payload); } },
    ...options,
  });
  stop = () => runner.stop();
} else {
  const { batchSize, pollingIntervalSeconds } = options;
  const boss = new PgBoss({ connectionString: url });
  boss.on('error', (err) => console.error(`pg-boss: ${err}`));
  await boss.start();
  await boss.createQueue(QUEUE);
  await boss.work<Payload>(QUEUE, { batchSize, pollingIntervalSeconds }, async (jobs) => jobs.map((job) => handle(job.data)));
  stop = () => boss.stop({ graceful: false });
}
process.on('message', async () => {
  await stop();
  process.exit(0);
});
send({ ready: true });
