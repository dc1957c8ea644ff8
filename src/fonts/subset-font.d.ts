/** subset-font (npm) ships no types: the one function framesmith uses. */
declare module 'subset-font' {
  /** harfbuzz's hb-subset of `font` to the characters of `text`, in `targetFormat`. */
  export default function subsetFont(
    font: Buffer,
    text: string,
    options?: { targetFormat?: 'sfnt' | 'truetype' | 'woff' | 'woff2'; keepFeatures?: string[]; noHinting?: boolean },
  ): Promise<Buffer>;
}
