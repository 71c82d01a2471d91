/**
 * The renderer's Content-Security-Policy, written once: the built index.html carries it as a meta tag (Electron
 * loads that file) and the browser-mode server sends it as a header. Scripts only from the app itself; styles
 * inline too because Svelte sets style attributes; images from data: and blob: URLs (canvases saved as PNG).
 */
const rendererDirectives: Readonly<Record<string, readonly string[]>> = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:', 'blob:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
};

const serialize = (directives: Readonly<Record<string, readonly string[]>>): string =>
  Object.entries(directives)
    .map(([name, sources]) => `${name} ${sources.join(' ')}`)
    .join('; ');

/** For the meta tag in index.html. */
export const rendererCsp = serialize(rendererDirectives);

/** For the HTTP header: frame-ancestors only works there (a meta tag ignores it). */
export const rendererCspHeader = serialize({ ...rendererDirectives, 'frame-ancestors': ["'none'"] });

/**
 * The desktop app's hidden WebGPU window (a page that trains, shows nothing and fetches nothing): its own scripts
 * only, nothing else at all.
 */
export const trainingHostCsp = serialize({
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
});
