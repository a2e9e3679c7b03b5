// Prints the rows of targets.ts: an aligned table for the terminal, and the
// same as Markdown for the README's Performance section.
import { PEERS } from './peers.ts';
import type { Row } from './targets.ts';

const verdict = (r: Row) => (r.pass === null ? '' : r.pass ? 'PASS' : 'FAIL');
const header = ['measure', 'supaqueue', ...PEERS.map((p) => p.label), 'ratio', 'target', ''];
const cells = (r: Row) => [r.measure, r.ours, ...PEERS.map((p) => r.peers[p.id] ?? ''), r.ratio, r.target, verdict(r)];

export function printTable(rows: Row[]): void {
  const all = [header, ...rows.map(cells)];
  const widths = header.map((_, i) => Math.max(...all.map((c) => c[i].length)));
  for (const c of all) console.log(c.map((x, i) => x.padEnd(widths[i])).join('  ').trimEnd());
}

export function markdownTable(rows: Row[]): string {
  const line = (c: string[]) => `| ${c.map((x) => x.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map((r) => line(cells(r)))].join('\n');
}
