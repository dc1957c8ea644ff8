/**
 * What a failed request of the page means for the render, decided once here.
 *
 * Best effort, as HyperFrames renders: a stylesheet, image or font the page references but cannot
 * load (missing from the project, refused, blocked) is a warning — the frame is drawn without it —
 * and so is a `fetch()`/XHR the page makes and may not need. A script or document that fails is an
 * error: the composition's code would not run as written. Media files are never requested by the
 * page (the media guard); a missing one fails the render earlier, naming its element.
 *
 * The message says why, telling a file missing from the project (404) from one refused for another
 * reason (403: the path leads out of the project; a blocked request: not the project's server).
 */

/** Chromium's resource types (puppeteer `HTTPRequest.resourceType()`) a render can do without. */
const OPTIONAL_RESOURCES = new Set([
  'stylesheet',
  'image',
  'font',
  'fetch',
  'xhr',
  'prefetch',
  'manifest',
  'ping',
  'texttrack',
  'other',
  'media',
  'eventsource',
  'websocket',
]);

/**
 * A request of the page that failed: answered with an error status, or with no response at all.
 * `resourceType` is puppeteer's `HTTPRequest.resourceType()`.
 */
export interface RequestFailure {
  url: string;
  /** The HTTP status, or undefined when the request never got a response (blocked, unreachable). */
  status?: number;
  /** Chromium's error text for a request without a response (`net::ERR_…`). */
  errorText?: string;
  resourceType: string;
}

/** What `judgeRequest` decided about one failed request. */
export interface RequestVerdict {
  /** `warning`: rendered without it; `error`: the render fails. */
  severity: 'warning' | 'error';
  url: string;
  /** Why, and what to do, without the element (the caller adds it when it knows). */
  message: string;
}

/** What a resource type is called in messages. */
const KIND: Record<string, string> = {
  stylesheet: 'the stylesheet',
  image: 'the image',
  font: 'the font',
  script: 'the script',
  document: 'the document',
  fetch: 'the fetch() of',
  xhr: 'the request for',
  media: 'the media file',
};

/** The verdict on a failed request of a page served at `pageUrl`. */
export function judgeRequest(pageUrl: string, failure: RequestFailure): RequestVerdict {
  const page = new URL(pageUrl);
  const target = new URL(failure.url);
  const local = target.origin === page.origin;
  const what = `${KIND[failure.resourceType] ?? 'the resource'} ${local ? readablePath(target.pathname) : failure.url}`;
  let why: string;
  if (local && failure.status === 404) why = `${what} is missing from the project: add the file or fix the reference`;
  else if (local && failure.status === 403)
    why = `${what} is refused: its path leads out of the project directory; keep assets inside it (a symlink in the project may point elsewhere)`;
  else if (failure.status !== undefined) why = `${what} answered HTTP ${failure.status}`;
  else if (!local)
    why = `${what} is not part of the project, and a render loads only the project's own files (${failure.errorText ?? 'blocked'}): copy the file into the project and reference it by a relative path`;
  else why = `${what} could not be read (${failure.errorText ?? 'failed'})`;
  return { severity: OPTIONAL_RESOURCES.has(failure.resourceType) ? 'warning' : 'error', url: failure.url, message: why };
}

/**
 * Page function (for `page.evaluate`): for each URL, a short label of the first element whose
 * `src`/`href` resolves to it (`link#theme`, `img.logo`), or null when only CSS refers to it.
 */
export function referrersInPage(urls: string[]): Array<string | null> {
  const elements = Array.from(document.querySelectorAll('[src], [href]'));
  return urls.map((url) => {
    const el = elements.find((e) => (e as HTMLImageElement).src === url || (e as HTMLLinkElement).href === url);
    if (!el) return null;
    const tag = el.tagName.toLowerCase();
    if (el.id) return `${tag}#${el.id}`;
    const cls = (el.getAttribute('class') ?? '').trim().split(/\s+/)[0];
    return cls
      ? `${tag}.${cls}`
      : `<${tag} ${el.hasAttribute('src') ? 'src' : 'href'}="${el.getAttribute('src') ?? el.getAttribute('href')}">`;
  });
}

/** `pathname` decoded for a message, without its leading slash; as written when its %-encoding is malformed (decoding would throw). */
function readablePath(pathname: string): string {
  try {
    return decodeURIComponent(pathname).replace(/^\//, '');
  } catch {
    return pathname.replace(/^\//, '');
  }
}
