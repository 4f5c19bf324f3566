import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/** Where the console is served (issue 18). */
export const CONSOLE_PREFIX = '/console';
/** The console's files, committed as they are served: no build step. */
export const CONSOLE_FOLDER = path.resolve(import.meta.dirname, '..', 'console');

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * Only this origin, no inline script or style attribute handlers, no framing: what the page shows comes
 * from the API as data (dom.js builds text nodes), and nothing is fetched from any other host.
 */
const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
};

type Handler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/**
 * The console's static files in front of `api`: GET and HEAD of `/console/...` are answered from the files
 * the folder held at start (read once, by name: no path from the request reaches the file system), without
 * a token (the files hold no data; every call they make carries one). `/console` redirects to `/console/`.
 */
export async function withConsole(api: Handler, folder = CONSOLE_FOLDER): Promise<Handler> {
  const files = new Map<string, { body: string; type: string }>();
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) await walk(path.join(dir, entry.name), `${prefix}${entry.name}/`);
      const type = TYPES[path.extname(entry.name)];
      if (entry.isFile() && type) files.set(`${prefix}${entry.name}`, { body: await readFile(path.join(dir, entry.name), 'utf8'), type });
    }
  };
  await walk(folder, '');
  return async (event) => {
    if (event.path !== CONSOLE_PREFIX && !event.path.startsWith(`${CONSOLE_PREFIX}/`)) return api(event);
    if (event.httpMethod !== 'GET' && event.httpMethod !== 'HEAD') {
      return { statusCode: 405, headers: { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }, body: 'The console is read with GET.\n' };
    }
    if (event.path === CONSOLE_PREFIX) return { statusCode: 301, headers: { Location: `${CONSOLE_PREFIX}/` }, body: '' };
    const name = event.path.slice(CONSOLE_PREFIX.length + 1) || 'index.html';
    const file = files.get(name);
    if (!file) return { statusCode: 404, headers: { 'Content-Type': 'text/plain', ...SECURITY_HEADERS }, body: 'Not a file of the console.\n' };
    return { statusCode: 200, headers: { 'Content-Type': file.type, ...SECURITY_HEADERS }, body: event.httpMethod === 'HEAD' ? '' : file.body };
  };
}
