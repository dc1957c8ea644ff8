/** What stays machine-dependent of a render's fonts, by delivery (src/fonts/platform.ts, src/fonts/delivery.ts). */
import { describe, expect, it } from 'vitest';
import { fontDelivery } from '../../src/fonts/delivery.js';
import { platformFontsWarning, unprovidedNote } from '../../src/fonts/platform.js';

describe('font delivery by platform', () => {
  it('fontconfig on Linux, web fonts elsewhere; FRAMESMITH_FONT_DELIVERY forces either and refuses anything else', () => {
    expect(fontDelivery('linux', {})).toBe('fontconfig');
    expect(fontDelivery('darwin', {})).toBe('web');
    expect(fontDelivery('win32', {})).toBe('web');
    expect(fontDelivery('linux', { FRAMESMITH_FONT_DELIVERY: 'web' })).toBe('web');
    expect(fontDelivery('darwin', { FRAMESMITH_FONT_DELIVERY: ' Fontconfig ' })).toBe('fontconfig');
    expect(() => fontDelivery('linux', { FRAMESMITH_FONT_DELIVERY: 'css' })).toThrow(
      expect.objectContaining({
        code: 'invalid_option',
        message: expect.stringMatching(/FRAMESMITH_FONT_DELIVERY must be "web" or "fontconfig"/),
      }),
    );
  });
});

describe('what the machine may still draw', () => {
  it('says nothing on Linux, under web delivery, or with no family to install', () => {
    expect(platformFontsWarning('fontconfig', 'linux', ['Inter'])).toBeNull();
    expect(platformFontsWarning('web', 'darwin', ['Inter'])).toBeNull();
    expect(platformFontsWarning('fontconfig', 'darwin', [])).toBeNull();
  });

  it('fontconfig forced outside Linux names the families that may be drawn otherwise', () => {
    const forced = platformFontsWarning('fontconfig', 'darwin', ['Inter', 'Roboto']);
    expect(forced).toMatchObject({ code: 'font_fallback' });
    expect(forced!.message).toMatch(
      /^on macOS the browser reads no fontconfig.*"Inter", "Roboto" may be drawn in other faces than on Linux/,
    );
    const many = platformFontsWarning('fontconfig', 'win32', ['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect(many!.message).toMatch(/^on Windows .*"a", "b", "c", "d", "e", … \(7 in all\)/);
  });

  it('under web delivery, a family nothing provides says the machine may have it', () => {
    expect(unprovidedNote('fontconfig')).toBe('');
    expect(unprovidedNote('web')).toMatch(/^; with web font delivery, a font of this machine of that name is drawn instead/);
  });
});
