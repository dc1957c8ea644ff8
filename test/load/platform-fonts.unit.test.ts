/** The warning a render outside Linux gets, where the browser cannot be given framesmith's fonts (src/fonts/platform.ts). */
import { describe, expect, it } from 'vitest';
import { platformFontsWarning } from '../../src/fonts/platform.js';

describe('fonts outside Linux', () => {
  it('on Linux, or with no family to install, says nothing', () => {
    expect(platformFontsWarning('linux', ['inter'])).toBeNull();
    expect(platformFontsWarning('darwin', [])).toBeNull();
  });

  it('on macOS and Windows names the families that may be drawn otherwise and the fix', () => {
    const mac = platformFontsWarning('darwin', ['inter', 'roboto']);
    expect(mac).toMatchObject({ code: 'font_fallback' });
    expect(mac!.message).toMatch(
      /^on macOS the browser takes fonts from this machine.*inter, roboto may be drawn in other faces than on Linux.*framesmith fonts add/,
    );
    const many = platformFontsWarning('win32', ['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect(many!.message).toMatch(/^on Windows .*a, b, c, d, e, … \(7 in all\)/);
  });
});
