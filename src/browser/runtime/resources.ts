/**
 * Images and fonts settled before a frame is taken. `settleResources()` waits for every image whose
 * source changed since it last decoded (`img.decode()`) and, when fonts are loading, for
 * `document.fonts.ready`.
 *
 * decode() is bounded by a real-time timeout: a render driven by BeginFrame control may not give the
 * decoder the frame it waits for. A loaded image that has not confirmed decoding by then is still
 * painted (decoded synchronously at paint), only without the guarantee.
 */
export interface ResourceSettler {
  settle(): Promise<void>;
}

/**
 * A settler for `doc`'s images and fonts (see the module comment). `setRealTimeout` schedules on real time;
 * each image's decode wait ends after `decodeTimeoutMs`. `settle()` never rejects: broken images are skipped.
 */
export function resourceSettler(
  doc: Document,
  setRealTimeout: (fn: () => void, ms: number) => void,
  decodeTimeoutMs = 3000,
): ResourceSettler {
  const decodedSrc = new WeakMap<HTMLImageElement, string>();
  return {
    settle() {
      const pending: Array<Promise<unknown>> = [];
      for (const img of Array.from(doc.images)) {
        const src = img.currentSrc || img.src;
        if (!src || decodedSrc.get(img) === src) continue;
        const decoded = img.decode().then(
          () => {
            decodedSrc.set(img, src);
          },
          () => {
            /* a broken image is reported as a failed request */
          },
        );
        pending.push(Promise.race([decoded, new Promise<void>((resolve) => setRealTimeout(resolve, decodeTimeoutMs))]));
      }
      if (doc.fonts && doc.fonts.status === 'loading') pending.push(doc.fonts.ready);
      return pending.length ? Promise.all(pending).then(() => {}) : Promise.resolve();
    },
  };
}
