/**
 * Render progress on the terminal. On a TTY: one cli-progress bar showing the stage, frames done/total,
 * frames per second and ETA. Otherwise: a plain line per stage change and every 10% of frames (logs
 * stay readable in CI). `quiet` prints nothing.
 */
import cliProgress from 'cli-progress';
import type { RenderProgress } from '../render.js';

export interface ProgressDisplay {
  update(progress: RenderProgress): void;
  stop(): void;
}

export function createProgress(options: { quiet: boolean; stream?: NodeJS.WriteStream }): ProgressDisplay {
  const stream = options.stream ?? process.stderr;
  if (options.quiet) return { update() {}, stop() {} };
  if (stream.isTTY) return ttyProgress(stream);
  return plainProgress(stream);
}

function ttyProgress(stream: NodeJS.WriteStream): ProgressDisplay {
  const bar = new cliProgress.SingleBar({
    stream,
    format: '{stage} |{bar}| {value}/{total} frames | {rate} fps | ETA {etaText}',
    hideCursor: true,
    clearOnComplete: false,
  }, cliProgress.Presets.shades_classic);
  let started = false;
  let captureStart = 0;
  return {
    update({ stage, done, total }) {
      if (!started) {
        bar.start(1, 0, { stage: stage.padEnd(8), rate: '0.0', etaText: '-' });
        started = true;
      }
      if (stage === 'capture') {
        if (captureStart === 0) captureStart = performance.now();
        const seconds = (performance.now() - captureStart) / 1000;
        bar.setTotal(Math.max(total, 1));
        const rate = seconds > 0 ? done / seconds : 0;
        // Our own ETA: cli-progress's reads NaN before the first frame.
        const eta = rate > 0 ? `${Math.ceil((total - done) / rate)}s` : '-';
        bar.update(done, { stage: stage.padEnd(8), rate: rate.toFixed(1), etaText: eta });
      } else {
        bar.update(bar.getProgress() * bar.getTotal(), { stage: stage.padEnd(8), etaText: stage === 'done' ? '0s' : '-' });
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

function plainProgress(stream: NodeJS.WriteStream): ProgressDisplay {
  let lastStage = '';
  let lastDecile = -1;
  let captureStart = 0;
  return {
    update({ stage, done, total }) {
      if (stage !== lastStage) {
        lastStage = stage;
        if (stage !== 'capture' && stage !== 'done') stream.write(`framesmith: ${stage}\n`);
      }
      if (stage === 'capture' && total > 0) {
        if (captureStart === 0) captureStart = performance.now();
        const decile = Math.floor((done / total) * 10);
        if (decile !== lastDecile) {
          lastDecile = decile;
          const seconds = (performance.now() - captureStart) / 1000;
          const rate = seconds > 0 ? done / seconds : 0;
          stream.write(`framesmith: capture ${done}/${total} frames${rate > 0 ? ` (${rate.toFixed(1)} fps)` : ''}\n`);
        }
      }
    },
    stop() {},
  };
}
