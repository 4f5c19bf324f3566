import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { freePort } from '../../local/process-probes.ts';

/**
 * A real browser for the console's tests: Debian's chromium, headless, driven through chromedriver by the
 * W3C WebDriver protocol (plain HTTP and JSON). Written here because no browser-driving package could be
 * installed from the registry when these tests were written; the calls are the standard's, so moving to
 * playwright-core or puppeteer-core changes only this file.
 */
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

/** What is missing to run a browser here, or undefined when chromium and chromedriver are installed. */
export function browserMissing(): string | undefined {
  for (const tool of ['chromium', 'chromedriver']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed (apt-get install chromium chromium-driver)`;
  }
  return undefined;
}

export class Browser {
  private readonly driver: ChildProcess;
  private readonly base: string;

  private constructor(driver: ChildProcess, base: string) {
    this.driver = driver;
    this.base = base;
  }

  static async start(options: { width?: number; height?: number } = {}): Promise<Browser> {
    const port = await freePort();
    const driver = spawn('chromedriver', [`--port=${port}`, '--allowed-ips=127.0.0.1'], { stdio: 'ignore' });
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${url}/status`)).ok) break;
      } catch {
        if (i > 100) throw new Error('chromedriver did not answer within 10 s');
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const created = await call(url, 'POST', '/session', {
      capabilities: {
        alwaysMatch: {
          browserName: 'chrome',
          'goog:chromeOptions': {
            // Debian's /usr/bin/chromium is a shell wrapper; chromedriver drives the browser itself, over a pipe.
            binary: '/usr/lib/chromium/chromium',
            args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--remote-debugging-pipe', `--window-size=${options.width ?? 1280},${options.height ?? 900}`],
          },
        },
      },
    }) as { sessionId: string };
    return new Browser(driver, `${url}/session/${created.sessionId}`);
  }

  async close(): Promise<void> {
    await call(this.base, 'DELETE', '').catch(() => undefined);
    this.driver.kill();
  }

  goto(url: string): Promise<unknown> {
    return call(this.base, 'POST', '/url', { url });
  }

  /** The first element `css` selects, waiting up to `timeoutMs` for it. */
  async find(css: string, timeoutMs = 10_000): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      try {
        const found = (await call(this.base, 'POST', '/element', { using: 'css selector', value: css })) as Record<string, string>;
        return found[ELEMENT]!;
      } catch (error) {
        if (Date.now() > until) throw new Error(`no element ${css} within ${timeoutMs} ms`, { cause: error });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /** Clicks the element `css` selects, finding it again if the page re-rendered it in between. */
  async click(css: string, timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      try {
        await call(this.base, 'POST', `/element/${await this.find(css, timeoutMs)}/click`, {});
        return;
      } catch (error) {
        if (!/stale element|not interactable/.test(String(error)) || Date.now() > until) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /** Types into the element `css` selects (emptied first), finding it again if the page re-rendered it. */
  async type(css: string, text: string, timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      try {
        const element = await this.find(css, timeoutMs);
        await call(this.base, 'POST', `/element/${element}/clear`, {});
        await call(this.base, 'POST', `/element/${element}/value`, { text });
        return;
      } catch (error) {
        if (!/stale element|not interactable/.test(String(error)) || Date.now() > until) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /** Sends keys to whatever has the focus (W3C actions: each character down and up). */
  async keys(text: string): Promise<void> {
    const actions = [...text].flatMap((value) => [{ type: 'keyDown', value }, { type: 'keyUp', value }]);
    await call(this.base, 'POST', '/actions', { actions: [{ type: 'key', id: 'keyboard', actions }] });
  }

  async text(css: string): Promise<string> {
    return (await call(this.base, 'GET', `/element/${await this.find(css)}/text`)) as string;
  }

  /** Waits until the text of `css` satisfies `wanted` (re-finding it: the page re-renders). */
  async waitForText(css: string, wanted: (text: string) => boolean, timeoutMs = 60_000): Promise<string> {
    const until = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      try {
        last = await this.text(css);
        if (wanted(last)) return last;
      } catch {
        // re-rendered between find and read
      }
      if (Date.now() > until) throw new Error(`${css} still reads ${JSON.stringify(last)} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  execute<T>(script: string, ...args: unknown[]): Promise<T> {
    return call(this.base, 'POST', '/execute/sync', { script, args }) as Promise<T>;
  }

  /** A PNG of the viewport. */
  async screenshot(): Promise<Buffer> {
    return Buffer.from((await call(this.base, 'GET', '/screenshot')) as string, 'base64');
  }
}

async function call(base: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = (await response.json()) as { value: unknown };
  if (!response.ok) {
    const error = answer.value as { error?: string; message?: string };
    throw new Error(`WebDriver ${method} ${path}: ${error?.error ?? response.status}: ${error?.message?.split('\n')[0] ?? ''}`);
  }
  return answer.value;
}
