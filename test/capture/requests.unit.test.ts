/**
 * `judgeRequest` directly: the verdict on a page's failed request names the resource by its project
 * path, and a path with malformed %-encoding (which `decodeURIComponent` refuses) is named as written
 * instead of throwing inside the page's request listener.
 */
import { describe, expect, it } from 'vitest';
import { judgeRequest } from '../../src/capture/requests.js';

const PAGE = 'http://127.0.0.1:4000/index.html';

describe('judgeRequest', () => {
  it('names a missing project file by its decoded path: an error for a script, a warning for an image', () => {
    expect(judgeRequest(PAGE, { url: 'http://127.0.0.1:4000/js/my%20app.js', status: 404, resourceType: 'script' })).toEqual({
      severity: 'error',
      url: 'http://127.0.0.1:4000/js/my%20app.js',
      message: 'the script js/my app.js is missing from the project: add the file or fix the reference',
    });
    expect(judgeRequest(PAGE, { url: 'http://127.0.0.1:4000/a.png', status: 404, resourceType: 'image' }).severity).toBe('warning');
  });

  it('a path with malformed %-encoding is named as written, not thrown', () => {
    const verdict = judgeRequest(PAGE, { url: 'http://127.0.0.1:4000/img/100%.png', status: 404, resourceType: 'image' });
    expect(verdict.message).toBe('the image img/100%.png is missing from the project: add the file or fix the reference');
  });
});
