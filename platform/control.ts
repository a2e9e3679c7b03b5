// Stopping a stack that `npm start` runs in another process: its pid is in
// <stateDir>/stack.json, which the stack deletes once it has stopped.
import { readStackInfo } from './stack.ts';

/** Sends SIGTERM to the running stack and waits until it is gone. Returns false if none ran. */
export async function stopRunningStack(stateDir: string, timeoutMs = 60_000): Promise<boolean> {
  const info = readStackInfo(stateDir);
  if (!info) return false;
  try {
    process.kill(info.pid, 'SIGTERM');
  } catch {
    return false; // the process is gone; its stack.json is stale
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let alive = true;
    try { process.kill(info.pid, 0); } catch { alive = false; }
    if (!alive || !readStackInfo(stateDir)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`The stack (pid ${info.pid}) did not stop within ${timeoutMs / 1000} s.`);
}
