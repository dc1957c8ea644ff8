/** wawoff2 (npm) ships no types: the one function framesmith uses. */
declare module 'wawoff2' {
  /** The TrueType/OpenType bytes of a WOFF2 file. */
  export function decompress(data: Uint8Array): Promise<Uint8Array>;
}
