// npm run stop: stops a stack started by `npm start` in another terminal.
import { readStackInfo } from './local/stack.ts';

const info = readStackInfo();
if (!info) {
  console.log('No local stack is running.');
  process.exit(0);
}
try {
  process.kill(info.pid, 'SIGTERM');
} catch {
  console.log(`The stack's process (${info.pid}) is gone; nothing to stop.`);
  process.exit(0);
}
for (let i = 0; i < 600; i++) {
  if (!readStackInfo()) {
    console.log('Stopped.');
    process.exit(0);
  }
  await new Promise((r) => setTimeout(r, 100));
}
console.error(`The stack (pid ${info.pid}) did not stop within 60 s.`);
process.exit(1);
