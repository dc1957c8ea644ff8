/** What machine and load a bench run had: CPU, cores, memory, tool versions, load, competing processes. */
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { run } from './measure.js';

export async function machineInfo() {
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? os.cpus()[0]?.model ?? '?';
  const ffmpeg =
    (await run('ffmpeg', ['-hide_banner', '-version'])).stdout
      .split('\n')[0]
      ?.replace(/^ffmpeg version /, '')
      .split(' ')[0] ?? '?';
  let osName = `${os.type()} ${os.release()}`;
  try {
    osName = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? osName;
  } catch {
    /* keep uname */
  }
  return {
    date: new Date().toISOString(),
    cpu,
    cores: os.availableParallelism(),
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    os: osName,
    node: process.version,
    ffmpeg,
    loadStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
    othersAtStart: otherHeavyProcesses(),
  };
}

/** ffmpeg / chrome processes running now that are not ours (others' work skews timings). */
export function otherHeavyProcesses() {
  let count = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const name = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (/^(ffmpeg|ffprobe|chrom|headless)/.test(name)) count++;
    } catch {
      /* gone */
    }
  }
  return count;
}
