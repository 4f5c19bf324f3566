import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/**
 * What the SDK hands a request handler and takes back (@smithy's HttpRequest and HttpResponse), as far
 * as this handler uses them; the SDK recognizes a response by these fields.
 */
interface SdkHttpRequest {
  readonly method: string;
  readonly path: string;
  readonly query?: Record<string, string | string[] | null>;
  readonly headers: Record<string, string>;
  readonly body?: unknown;
}

interface SdkHttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
}

/**
 * The runtime's own requests to its state store, handed to dynalite's request listener in this process
 * instead of going out over the socket and back. dynalite is an HTTP server whose work is in its request
 * listener; the SDK (serialization, signing, parsing the answer, error types) is the same as over the
 * socket or on AWS, only the transport is left out: no HTTP message written, parsed, written and parsed
 * again, which was most of a small request's cost (bench/api-lists.ts). Other processes (the copy task)
 * still reach the store over the socket.
 *
 * The listener sees what it reads of a request: method, url, headers, the body as 'data' and 'end'
 * events. It answers through setHeader, statusCode and end, which is all dynalite 4 uses.
 */
export class InProcessDynaliteHandler {
  /** The SDK reads this to decide on its own connection settings; there are none. */
  readonly metadata = { handlerProtocol: 'in-process' };
  private readonly listener: (req: IncomingMessage, res: ServerResponse) => void;

  constructor(server: Server) {
    const listeners = server.listeners('request');
    if (listeners.length !== 1) throw new Error(`dynalite's server has ${listeners.length} request listeners; expected exactly one`);
    this.listener = listeners[0] as (req: IncomingMessage, res: ServerResponse) => void;
  }

  handle(request: SdkHttpRequest, options: { readonly abortSignal?: { readonly aborted: boolean } } = {}): Promise<{ response: SdkHttpResponse }> {
    return new Promise((resolve, reject) => {
      if (options.abortSignal?.aborted) {
        reject(abortError());
        return;
      }
      const body = bodyBuffer(request.body);
      const req = new InProcessRequest(request, body);
      const res = new InProcessResponse((statusCode, headers, answer) => {
        resolve({ response: { statusCode, headers, body: answer } });
      });
      try {
        this.listener(req as unknown as IncomingMessage, res as unknown as ServerResponse);
        // dynalite reads the body from events, as from a socket; deliver it once its listeners are on.
        if (body.length > 0) req.emit('data', body);
        req.emit('end');
      } catch (err) {
        reject(err);
      }
    });
  }

  updateHttpClientConfig(): void {
    // Nothing to configure: there is no connection.
  }

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  destroy(): void {
    // Nothing to close: the store is closed with its server.
  }
}

/** The parts of IncomingMessage dynalite's listener reads. */
class InProcessRequest extends EventEmitter {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;

  constructor(request: SdkHttpRequest, body: Buffer) {
    super();
    this.method = request.method;
    const query = Object.entries(request.query ?? {}).flatMap(([k, v]) => (v === null ? [k] : [v].flat().map((one) => `${k}=${encodeURIComponent(one)}`))).join('&');
    this.url = `${request.path || '/'}${query ? `?${query}` : ''}`;
    this.headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value]));
    this.headers['content-length'] ??= String(body.length);
  }
}

/** The parts of ServerResponse dynalite's listener writes. */
class InProcessResponse {
  statusCode = 200;
  /** dynalite keeps the content type it chose here. */
  contentType?: string;
  private readonly headers: Record<string, string> = {};
  private readonly done: (statusCode: number, headers: Record<string, string>, body: Uint8Array) => void;

  constructor(done: (statusCode: number, headers: Record<string, string>, body: Uint8Array) => void) {
    this.done = done;
  }

  setHeader(name: string, value: string | number): this {
    this.headers[name.toLowerCase()] = String(value);
    return this;
  }

  end(body?: string | Uint8Array): void {
    const bytes = body === undefined ? new Uint8Array() : typeof body === 'string' ? Buffer.from(body) : body;
    this.done(this.statusCode, this.headers, bytes);
  }
}

function bodyBuffer(body: unknown): Buffer {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError('the state store takes a request body of text or bytes only');
}

function abortError(): Error {
  const err = new Error('Request aborted');
  err.name = 'AbortError';
  return err;
}
