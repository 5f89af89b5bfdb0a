// The web console's static files under /console/ (built into dist/console/ by
// scripts/build-console.mjs). The files are public: the data behind them comes from /api/v1/,
// which authenticates every request. The pages get their own Content-Security-Policy, stricter
// than helmet's default: everything from this origin only, no inline script or style.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router, type RequestHandler } from 'express';
import { MethodNotAllowedError, NotFoundError, UnavailableError } from '../errors.js';
import { projectRoot } from '../paths.js';

export interface ConsoleOptions {
  /** where the built console lives; dist/console/ under the project root by default */
  dir?: string;
}

/**
 * CSP Level 3: no source is allowed unless named. Scripts and style sheets come from this origin
 * (Cytoscape.js draws on a canvas and sets element styles through the CSSOM, which style-src does
 * not govern); images may be data:/blob: URLs (canvas exports); the page may only fetch from this
 * origin (the analyst API); it may not be framed, change its base URL or post forms anywhere.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PREFIX = '/console';

export function consoleRoutes(opts: ConsoleOptions = {}): Router {
  const dir = opts.dir ?? join(projectRoot, 'dist', 'console');
  const index = join(dir, 'index.html');
  // The file names are fixed (index.html, app.js, app.css), not content hashed: the browser must
  // revalidate them (RFC 9111 §5.2.2.4) so that a new build is picked up at the next load.
  const files = express.static(dir, {
    index: false,
    redirect: false,
    dotfiles: 'ignore',
    fallthrough: true,
    cacheControl: false,
    setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache'),
  });

  const consoleOnly: RequestHandler = (req, res, next) => {
    const path = req.path;
    if (path !== PREFIX && !path.startsWith(`${PREFIX}/`)) return next();
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return next(new MethodNotAllowedError('The console serves static files: GET and HEAD only.'));
    }
    // Relative URLs in index.html (app.js, app.css) resolve against /console/, not the root.
    if (path === PREFIX) {
      const query = req.originalUrl.slice(
        req.originalUrl.indexOf('?') >= 0 ? req.originalUrl.indexOf('?') : req.originalUrl.length,
      );
      return res.redirect(301, `${PREFIX}/${query}`);
    }
    if (!existsSync(index)) {
      return next(
        new UnavailableError(
          'The web console has not been built: run `npm run build` (or node scripts/build-console.mjs).',
        ),
      );
    }
    res.setHeader('Content-Security-Policy', CONSOLE_CSP);
    if (path === `${PREFIX}/` || path === `${PREFIX}/index.html`) {
      res.setHeader('Cache-Control', 'no-cache');
      return res.sendFile(index, { headers: { 'Content-Type': 'text/html; charset=utf-8' } }, (err) => {
        if (err) next(err);
      });
    }
    // express.static resolves the path under `dir` and refuses `..` segments (403 from send).
    const rest = path.slice(PREFIX.length);
    const saved = req.url;
    req.url = rest + req.url.slice(req.path.length);
    files(req, res, (err?: unknown) => {
      req.url = saved;
      if (err) return next(err);
      next(new NotFoundError('There is no such file in the console.'));
    });
  };

  const r = Router();
  r.use(consoleOnly);
  return r;
}
