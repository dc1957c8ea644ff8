/** `drawnSize` directly: the size a video frame is decoded at for each object-fit. */
import { describe, expect, it } from 'vitest';
import { drawnSize } from '../../src/stages/video-placement.js';

describe('drawnSize', () => {
  const source = { width: 1920, height: 1080 };
  it('fill and cover draw at the box; contain fits the aspect; scale-down never above the source; none is native', () => {
    expect(drawnSize({ width: 640, height: 640, fit: 'cover' }, source)).toEqual({ width: 640, height: 640 });
    expect(drawnSize({ width: 640, height: 640, fit: 'fill' }, source)).toEqual({ width: 640, height: 640 });
    expect(drawnSize({ width: 640, height: 640, fit: 'contain' }, source)).toEqual({ width: 640, height: 360 });
    expect(drawnSize({ width: 3840, height: 3840, fit: 'scale-down' }, source)).toEqual({ width: 1920, height: 1080 });
    expect(drawnSize({ width: 640, height: 640, fit: 'none' }, source)).toBeNull();
    expect(drawnSize({ width: 0, height: 640, fit: 'contain' }, source)).toBeNull();
  });

  it('a source of no size under contain is drawn at the box, never NaN', () => {
    expect(drawnSize({ width: 640, height: 360, fit: 'contain' }, { width: 0, height: 0 })).toEqual({ width: 640, height: 360 });
    expect(drawnSize({ width: 640, height: 360, fit: 'scale-down' }, { width: 0, height: 1080 })).toEqual({ width: 640, height: 360 });
  });
});
