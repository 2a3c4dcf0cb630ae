// bench:apm's live subscribers, in a worker thread of their own: a dashboard is a browser on
// another machine, not a client sharing the load generator's event loop. In the bench's main
// thread (40-45 % busy making and sending ~98 POSTs a second) a push's arrival was stamped when
// that loop got to it, not when it arrived, and that wait was counted as live delay.
// Times are in the main thread's performance.now() scale (its timeOrigin is given).
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { WebSocket } from 'undici';
import { SERVICE_LIVE_PATH, type ServiceLiveMessage } from '../../protocol/apm.ts';

export interface LiveWatchInput {
  url: string;
  readKey: string;
  services: string[];
  timeOrigin: number;
}

/** Per `${service}|${sec}`: the requests each push reported and when; per service: each push's arrival. */
export interface LiveWatchResult {
  seen: [string, { requests: number; at: number }[]][];
  pushTimes: [string, number[]][];
}

type FromWatch = { type: 'ready' } | { type: 'error'; message: string } | { type: 'result'; result: LiveWatchResult };

/** Starts the subscribers; resolves once every one has its hello. `stop()` closes them and returns what they saw. */
export async function startLiveWatch(input: LiveWatchInput): Promise<{ count: number; stop: () => Promise<LiveWatchResult> }> {
  const worker = new Worker(new URL(import.meta.url), { workerData: input });
  const messages: ((m: FromWatch) => void)[] = [];
  const failure = new Promise<never>((_, reject) => {
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`live subscribers' thread exited with code ${code}`)));
  });
  failure.catch(() => {}); // raced below; an exit after stop() is expected
  worker.on('message', (m: FromWatch) => messages.shift()?.(m));
  const next = () => Promise.race([new Promise<FromWatch>((r) => messages.push(r)), failure]);
  const first = await next();
  if (first.type !== 'ready') {
    await worker.terminate();
    throw new Error(`live subscribers: ${first.type === 'error' ? first.message : 'unexpected message'}`);
  }
  return {
    count: input.services.length,
    stop: async () => {
      const done = next();
      worker.postMessage('stop');
      const m = await done;
      await worker.terminate();
      if (m.type !== 'result') throw new Error(`live subscribers: ${m.type === 'error' ? m.message : 'unexpected message'}`);
      return m.result;
    },
  };
}

async function run(input: LiveWatchInput) {
  const port = parentPort!;
  const seen = new Map<string, { requests: number; at: number }[]>();
  const pushTimes = new Map<string, number[]>();
  const offset = performance.timeOrigin - input.timeOrigin;
  const sockets: WebSocket[] = [];
  try {
    await Promise.all(
      input.services.map(async (s) => {
        const ws = new WebSocket(`${input.url.replace(/^http/, 'ws')}${SERVICE_LIVE_PATH(s)}`, { headers: { authorization: `Bearer ${input.readKey}` } });
        sockets.push(ws);
        await new Promise<void>((resolve, reject) => {
          ws.addEventListener('message', (e) => {
            const at = performance.now() + offset;
            const m = JSON.parse(String(e.data)) as ServiceLiveMessage;
            if (m.type === 'hello') resolve();
            else if (m.type === 'error') reject(new Error(m.message));
            else if (m.type === 'signals') {
              (pushTimes.get(s) ?? pushTimes.set(s, []).get(s)!).push(at);
              for (const sec of m.seconds) {
                const k = `${s}|${sec.ts / 1000}`;
                (seen.get(k) ?? seen.set(k, []).get(k)!).push({ requests: sec.requests, at });
              }
            }
          });
          ws.addEventListener('error', () => reject(new Error(`socket error (${s})`)));
        });
      }),
    );
  } catch (err) {
    port.postMessage({ type: 'error', message: String(err) } satisfies FromWatch);
    return;
  }
  port.postMessage({ type: 'ready' } satisfies FromWatch);
  port.once('message', () => {
    for (const ws of sockets) ws.close();
    port.postMessage({ type: 'result', result: { seen: [...seen], pushTimes: [...pushTimes] } } satisfies FromWatch);
  });
}

if (!isMainThread && (workerData as LiveWatchInput | undefined)?.services) void run(workerData as LiveWatchInput);
