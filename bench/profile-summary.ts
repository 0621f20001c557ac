/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function and per
 * package, so "what dominates the cost" is a table, not a flame graph.
 * Usage: tsx bench/profile-summary.ts FILE.cpuprofile [top=30]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly functions: ReadonlyArray<{ name: string; where: string; selfMs: number; percent: number }>;
  readonly packages: ReadonlyArray<{ name: string; selfMs: number; percent: number }>;
}

function packageOf(url: string, fn: string): string {
  if (url === '') return fn.startsWith('(') ? fn : '(native/V8)';
  if (url.startsWith('node:')) return 'node core';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm?.[1] !== undefined) return nm[1];
  const src = /\/(src\/[^/]+)\//.exec(url);
  if (src?.[1] !== undefined) return `s3gate ${src[1]}`;
  return url.replace(/^.*\//, '');
}

export function summarizeProfile(path: string, top = 30): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  for (const n of profile.nodes) byId.set(n.id, n);
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const fns = new Map<string, { name: string; where: string; us: number }>();
  const pkgs = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    total += us;
    const name = functionName === '' ? '(anonymous)' : functionName;
    const where = url === '' ? '' : `${url.replace(/^file:\/\/.*?\/(node_modules|src|bench)\//, '$1/')}:${lineNumber + 1}`;
    const key = `${name}@${where}`;
    const entry = fns.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    fns.set(key, entry);
    const pkg = packageOf(url, functionName);
    pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + us);
  }
  const pct = (us: number): number => Math.round((us / total) * 1000) / 10;
  return {
    totalMs: total / 1000,
    functions: [...fns.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, selfMs: Math.round(f.us / 100) / 10, percent: pct(f.us) })),
    packages: [...pkgs.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([name, us]) => ({ name, selfMs: Math.round(us / 100) / 10, percent: pct(us) })),
  };
}

export function formatProfileSummary(s: ProfileSummary): string {
  const lines = [`busy (non-idle) samples: ${s.totalMs.toFixed(0)} ms`, '', '| self % | self ms | function | where |', '| ---: | ---: | --- | --- |'];
  for (const f of s.functions) lines.push(`| ${f.percent} | ${f.selfMs} | \`${f.name}\` | ${f.where} |`);
  lines.push('', '| self % | package / area |', '| ---: | --- |');
  for (const p of s.packages.slice(0, 20)) lines.push(`| ${p.percent} | ${p.name} |`);
  return lines.join('\n');
}

if (process.argv[1]?.endsWith('profile-summary.ts') === true) {
  const file = process.argv[2];
  if (file === undefined) throw new Error('usage: profile-summary.ts FILE.cpuprofile [top]');
  console.log(formatProfileSummary(summarizeProfile(file, Number(process.argv[3] ?? 30))));
}
