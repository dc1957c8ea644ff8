/** What an extracted frame is, shared by the extraction engine and the cache keys that name its frames. */

/** Image format of extracted frames. */
export type FrameFormat = 'jpg' | 'png';

/** Colour target of the render: SDR (BT.709), or HDR BT.2020 with PQ or HLG transfer. */
export type ColorTarget = 'sdr' | 'pq' | 'hlg';
