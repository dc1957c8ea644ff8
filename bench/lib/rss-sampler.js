/**
 * Peak memory of this process and of its descendants (ffmpeg, chromium), by sampling /proc.
 *
 * Our own peak is exact (`process.resourceUsage().maxRSS`). For descendants we read `VmHWM` (the
 * kernel's peak-RSS high-water mark) from /proc/<pid>/status each tick and keep the largest value seen
 * per pid, so a child's peak is exact as long as it is sampled once near the end of its life; a child
 * that lives less than one tick may be missed (`childrenSeen` says how many were caught).
 * Plain Node (no dependencies): also loaded by the HyperFrames adapter under Node 22.
 */
import { readFileSync, readdirSync } from 'node:fs';

function parentOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 4 (ppid) follows the ")" that closes the command name, which may itself contain spaces.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return -1;
  }
}

function statusOf(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const name = /^Name:\s+(.*)$/m.exec(text)?.[1] ?? '?';
    const hwm = Number(/^VmHWM:\s+(\d+) kB/m.exec(text)?.[1] ?? 0);
    return { name, hwmKb: hwm };
  } catch {
    return null;
  }
}

function descendants(root) {
  const parents = new Map();
  for (const entry of readdirSync('/proc')) {
    if (/^\d+$/.test(entry)) parents.set(Number(entry), parentOf(Number(entry)));
  }
  const found = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parents) {
      if (!found.has(pid) && found.has(ppid)) {
        found.add(pid);
        grew = true;
      }
    }
  }
  found.delete(root);
  return [...found];
}

/** Starts sampling every `intervalMs`; `stop()` returns the peaks in MiB. */
export function startRssSampler(intervalMs = 25) {
  const peaks = new Map(); // pid -> { name, hwmKb }
  const tick = () => {
    for (const pid of descendants(process.pid)) {
      const s = statusOf(pid);
      if (s && s.hwmKb >= (peaks.get(pid)?.hwmKb ?? 0)) peaks.set(pid, s);
    }
  };
  const timer = setInterval(tick, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      tick();
      const byName = {};
      for (const { name, hwmKb } of peaks.values()) byName[name] = Math.max(byName[name] ?? 0, hwmKb);
      return {
        selfMaxRssMiB: mib(process.resourceUsage().maxRSS),
        childMaxRssMiB: Object.fromEntries(Object.entries(byName).map(([k, v]) => [k, mib(v)])),
        childrenSeen: peaks.size,
      };
    },
  };
}

function mib(kb) {
  return Math.round((kb / 1024) * 10) / 10;
}
