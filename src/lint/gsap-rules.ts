/**
 * GSAP tween rules over a file's inline scripts (HyperFrames' `gsap_non_transform_motion`): a tween
 * of a timeline script that animates a layout property (`left`, `top`, `margin…`), a text-reflow
 * property (`letterSpacing`, `wordSpacing`, `fontSize`) or uses `roundProps` moves in whole device
 * pixels, which stutters when frames are captured one seek at a time.
 *
 * Tweens are found by pattern, not by running the script: `.to|from|fromTo("<selector>", {…}` with
 * the selector a string literal and the vars objects flat (no nested braces). A tween written
 * otherwise is not checked.
 */
import { findingAt, type LintFile } from './rules.js';
import type { LintFinding } from './types.js';

/** Layout properties and the transform that replaces each. */
const LAYOUT_FIX: Record<string, string[]> = {
  left: ['x'],
  right: ['x'],
  top: ['y'],
  bottom: ['y'],
  margin: ['x', 'y'],
  marginLeft: ['x'],
  marginRight: ['x'],
  marginTop: ['y'],
  marginBottom: ['y'],
};
const REFLOW = ['letterSpacing', 'wordSpacing', 'fontSize'];

/** `.to("#a", { … })`, `.from(…)`, `.fromTo("#a", { … }, { … })`: method, selector, the vars text. */
const TWEEN = /\.(to|from|fromTo)\(\s*(['"`])([^'"`]+)\2\s*,\s*(\{[^{}]*\})(?:\s*,\s*(\{[^{}]*\}))?/g;

function keysOf(vars: string | undefined): string[] {
  if (!vars) return [];
  return [...vars.matchAll(/([A-Za-z_$][\w$]*)\s*:/g)].map((m) => m[1]!);
}

function fixFor(selector: string, layout: string[], reflow: string[], roundProps: boolean): string {
  const fixes: string[] = [];
  if (layout.length > 0) {
    const tokens = [...new Set(layout.flatMap((p) => LAYOUT_FIX[p] ?? []))];
    fixes.push(
      `replace ${layout.join('/')} with the transform equivalent (${tokens.join(', ')}), e.g. tl.fromTo("${selector}", { x: -1300 }, { x: 0 })`,
    );
  }
  if (reflow.length > 0) {
    const sizing = reflow.filter((p) => p === 'fontSize');
    const spacing = reflow.filter((p) => p !== 'fontSize');
    const parts = [
      ...(sizing.length > 0 ? [`replace ${sizing.join('/')} with scale (same visual, no reflow)`] : []),
      ...(spacing.length > 0
        ? [
            `for ${spacing.join('/')}, split the text into per-character elements and animate each glyph's x (the spread), or hold the final value statically`,
          ]
        : []),
    ];
    fixes.push(`do not animate ${reflow.join('/')} (they reflow text and snap glyph positions): ${parts.join('; ')}`);
  }
  if (roundProps) fixes.push('remove roundProps');
  return `${fixes.join('; ')}. Transforms interpolate sub-pixel and stay smooth at any speed.`;
}

/** `gsap_non_transform_motion` findings of one file. */
export function gsapMotionRule(file: LintFile): LintFinding[] {
  const findings: LintFinding[] = [];
  for (const script of file.document.querySelectorAll('script')) {
    if (script.hasAttribute('src') || !/gsap\.timeline/.test(script.text)) continue;
    const code = script.text.replace(/\/\*[\s\S]*?\*\/|(^|[^:])\/\/.*$/gm, '$1');
    for (const match of code.matchAll(TWEEN)) {
      const selector = match[3]!;
      const properties = [...new Set([...keysOf(match[4]), ...keysOf(match[5])])];
      const layout = properties.filter((p) => Object.hasOwn(LAYOUT_FIX, p));
      const reflow = properties.filter((p) => REFLOW.includes(p));
      const roundProps = properties.includes('roundProps');
      if (layout.length === 0 && reflow.length === 0 && !roundProps) continue;
      const flagged = [...layout, ...reflow, ...(roundProps ? ['roundProps'] : [])];
      const finding = findingAt(file, script, {
        code: 'gsap_non_transform_motion',
        severity: 'error',
        message: `GSAP tween on "${selector}" uses motion that snaps to integer device pixels: ${flagged.join(', ')}. Layout and text-reflow properties snap during browser layout; roundProps rounds the tween value. Slow motion or an ease-out tail then stutters under the seek-by-frame capture engine. Animate transforms (x/y/scale/opacity) instead.`,
        fixHint: fixFor(selector, layout, reflow, roundProps),
      });
      findings.push({ ...finding, snippet: match[0].slice(1) });
    }
  }
  return findings;
}
