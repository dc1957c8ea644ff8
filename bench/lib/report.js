/**
 * Collects a bench run: per section, notes, skips, errors, raw figures and table rows; renders the
 * markdown tables for BENCHMARKS.md. A row compares `ms` with a reference `ref: [label, ms]`; with a
 * `goal` the ratio ms/ref must be <= goal; with `limitMs` the time itself must be below it. A row missing
 * a figure it needs is "pending".
 */
import { round } from './measure.js';

export class Report {
  constructor(machine) {
    this.machine = machine;
    this.sections = {};
  }

  section(name, title) {
    const s = { title, notes: [], skips: [], errors: [], figures: {}, rows: [] };
    this.sections[name] = s;
    const log = (line) => process.stderr.write(`[${name}] ${line}\n`);
    log(title);
    return {
      note: (text) => {
        s.notes.push(text);
        log(text);
      },
      skip: (what, why) => {
        s.skips.push(`${what}: ${why}`);
        log(`SKIP ${what}: ${why}`);
      },
      error: (what, error) => {
        const message = error instanceof Error ? error.message : String(error);
        s.errors.push(`${what}: ${message}`);
        log(`ERROR ${what}: ${message}`);
      },
      figure: (key, value, extra) => {
        s.figures[key] = extra ? { value, ...extra } : value;
        if (typeof value === 'number') log(`${key} = ${value}${extra?.runs ? ` (runs ${extra.runs.join(', ')})` : ''}`);
      },
      row: (row) => {
        const ratio = row.ms != null && row.ref?.[1] ? round(row.ms / row.ref[1], 2) : null;
        let ok = row.goal != null && ratio != null ? ratio <= row.goal : null;
        if (row.limitMs != null) ok = row.ms != null ? row.ms < row.limitMs : null;
        s.rows.push({ ...row, ratio, ok });
      },
    };
  }

  toJSON() {
    return { machine: this.machine, sections: this.sections };
  }

  markdown() {
    const m = this.machine;
    const lines = [
      `Machine: ${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB, ${m.os}; Node ${m.node}, ffmpeg ${m.ffmpeg}. Run ${m.date}.`,
      `Load average at start ${m.loadStart.join(' / ')}, at end ${m.loadEnd?.join(' / ') ?? '?'}; other ffmpeg/chromium processes at start: ${m.othersAtStart}.`,
      '',
    ];
    for (const s of Object.values(this.sections)) {
      lines.push(`### ${s.title}`, '');
      for (const note of s.notes) lines.push(`- ${note}`);
      for (const skip of s.skips) lines.push(`- Skipped — ${skip}`);
      for (const error of s.errors) lines.push(`- Error — ${error}`);
      if (s.notes.length + s.skips.length + s.errors.length) lines.push('');
      if (s.rows.length) {
        lines.push('| Case | Time | Compared with | Ratio | Goal |', '| --- | ---: | --- | ---: | --- |');
        for (const r of s.rows) lines.push(formatRow(r));
        lines.push('');
      }
    }
    return lines.join('\n');
  }
}

function ms(v) {
  if (v == null) return 'pending';
  return v >= 1000 ? `${round(v / 1000, 2)} s` : `${round(v, 1)} ms`;
}

function formatRow(r) {
  if (r.text) return `| ${r.case} | ${r.text} | | | |`;
  const ref = r.ref ? `${r.ref[0]}: ${ms(r.ref[1])}` : '';
  const ratio = r.ratio != null ? `${r.ratio}×` : r.ref ? 'pending' : '';
  const verdict = r.ok == null ? '(pending)' : r.ok ? '✅' : '❌';
  const goal = r.limitMs != null ? `< ${ms(r.limitMs)} ${verdict}` : r.goal != null ? `≤ ${r.goal}× ${verdict}` : '';
  return `| ${r.case} | ${ms(r.ms)} | ${ref} | ${ratio} | ${goal} |`;
}
