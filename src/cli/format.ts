/** Numbers as the CLI prints them. */

/**
 * `bytes` in the largest unit (steps of 1024) that keeps the number at least 1, one decimal: `1.5 GiB`
 * with `iec` units (framesmith's own commands), `12.7 KB` with `hyperframes` units (the commands that
 * print what `hyperframes` prints, which names powers of 1024 KB, MB, …). Below 1024: `512 B`.
 */
export function formatBytes(bytes: number, units: 'iec' | 'hyperframes' = 'iec'): string {
  const names = units === 'iec' ? ['B', 'KiB', 'MiB', 'GiB', 'TiB'] : ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < names.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${names[unit]}`;
}
