/**
 * A seeded `Math.random`: a Weyl sequence through a 32-bit integer mixer — uniform enough for
 * animation jitter, fully determined by the seed, the same on every load.
 */
export function installSeededRandom(win: Window & typeof globalThis, seed: number): void {
  let state = seed >>> 0;
  win.Math.random = function random(): number {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    z = (z ^ (z >>> 15)) >>> 0;
    return z / 4294967296;
  };
}
