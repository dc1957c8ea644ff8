/**
 * Render progress on the terminal. On a TTY: one cli-progress bar showing the stage, frames done/total,
 * frames per second and ETA (bytes and bytes per second while remote media downloads). Otherwise: a
 * plain line per stage change and every 10% of frames or bytes (logs stay readable in CI). `quiet`
 * prints nothing.
 */
import cliProgress from 'cli-progress';
import type { RenderProgress } from '../render/types.js';
import { formatBytes } from './format.js';
import type { CliOutput } from './context.js';

/** Where a render's progress goes (from createProgress): a bar, plain lines, or nothing when quiet. */
export interface ProgressDisplay {
  /** Shows `progress` (a plain line only on a stage change or each further 10%). */
  update(progress: RenderProgress): void;
  /** Runs `print` (which writes a line to the stream) without tearing the bar. */
  interrupt(print: () => void): void;
  /** Ends the display (the bar is left as it was); call once, when the render ends. */
  stop(): void;
}

/** `stream`: process.stderr by default; the bar only on a terminal (a WriteStream whose isTTY is true). */
export function createProgress(options: { quiet: boolean; stream?: CliOutput & { isTTY?: boolean } }): ProgressDisplay {
  const stream = options.stream ?? process.stderr;
  if (options.quiet)
    return {
      update() {},
      interrupt(print) {
        print();
      },
      stop() {},
    };
  if (stream.isTTY) return ttyProgress(stream as NodeJS.WriteStream);
  return plainProgress(stream);
}

function ttyProgress(stream: NodeJS.WriteStream): ProgressDisplay {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: '{stage} |{bar}| {amount} | {rate} | ETA {etaText}',
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const stageStart = new Map<string, number>();
  return {
    update({ stage, done, total }) {
      if (!started) {
        bar.start(1, 0, { stage: stage.padEnd(8), amount: '', rate: '', etaText: '-' });
        started = true;
      }
      if (stage === 'capture' || stage === 'download') {
        if (!stageStart.has(stage)) stageStart.set(stage, performance.now());
        const seconds = (performance.now() - stageStart.get(stage)!) / 1000;
        bar.setTotal(Math.max(total, 1));
        const rate = seconds > 0 ? done / seconds : 0;
        // Our own ETA: cli-progress's reads NaN before the first frame.
        const eta = rate > 0 ? `${Math.ceil((total - done) / rate)}s` : '-';
        const amount = stage === 'capture' ? `${done}/${total} frames` : `${formatBytes(done)}/${formatBytes(total)}`;
        const speed = stage === 'capture' ? `${rate.toFixed(1)} fps` : `${formatBytes(rate)}/s`;
        bar.update(done, { stage: stage.padEnd(8), amount, rate: speed, etaText: eta });
      } else {
        bar.update(bar.getProgress() * bar.getTotal(), { stage: stage.padEnd(8), etaText: stage === 'done' ? '0s' : '-' });
      }
    },
    interrupt(print) {
      if (!started) return print();
      // Clear the bar's line, print, and draw the bar again below.
      stream.write('\r\x1b[K');
      print();
      bar.render();
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

function plainProgress(stream: CliOutput): ProgressDisplay {
  let lastStage = '';
  let lastDecile = -1;
  let stageStart = 0;
  return {
    update({ stage, done, total }) {
      if (stage !== lastStage) {
        lastStage = stage;
        lastDecile = -1;
        stageStart = performance.now();
        if (stage !== 'capture' && stage !== 'download' && stage !== 'done') stream.write(`framesmith: ${stage}\n`);
      }
      if ((stage === 'capture' || stage === 'download') && total > 0) {
        const decile = Math.floor((done / total) * 10);
        if (decile !== lastDecile) {
          lastDecile = decile;
          const seconds = (performance.now() - stageStart) / 1000;
          const rate = seconds > 0 ? done / seconds : 0;
          stream.write(
            stage === 'capture'
              ? `framesmith: capture ${done}/${total} frames${rate > 0 ? ` (${rate.toFixed(1)} fps)` : ''}\n`
              : `framesmith: download ${formatBytes(done)}/${formatBytes(total)}\n`,
          );
        }
      }
    },
    interrupt(print) {
      print();
    },
    stop() {},
  };
}
