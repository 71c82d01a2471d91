import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PAGE_DESTROYED, portChild, portParent, type PortLike } from './message-port';

/** Node's MessagePort as the kit's PortLike (Electron's and the DOM's differ only in how a message is read). */
function nodePort(port: MessagePort): PortLike {
  return {
    postMessage: (message) => port.postMessage(message),
    onMessage: (listener) => port.on('message', listener),
    close: () => port.close(),
  };
}

type Services = { dataset: { input: { name: string }; output: { name: string; images: Uint8Array } } };

function pair(startTimeoutMs = 5000) {
  const channel = new MessageChannel();
  const destroy = vi.fn();
  let gone: (reason: string) => void = () => undefined;
  const child = portChild<string, string, Services>(nodePort(channel.port1), {
    services: {
      dataset: async ({ name }) => {
        if (name === 'missing') throw new RangeError(`no dataset "${name}"`);
        return { name, images: Uint8Array.of(1, 2, 3) };
      },
    },
    destroy,
    onGone: (listener) => (gone = listener),
    startTimeoutMs,
  });
  return { channel, child, destroy, goneWith: (reason: string) => gone(reason), pagePort: nodePort(channel.port2) };
}

const exits: { code: number | null; signal: string | null }[] = [];
const onExit = (code: number | null, signal: string | null): void => void exits.push({ code, signal });
const tick = () => new Promise((resolve) => setTimeout(resolve, 20));
let open: MessageChannel[] = [];

afterEach(() => {
  exits.length = 0;
  for (const c of open) {
    c.port1.close();
    c.port2.close();
  }
  open = [];
});

describe('a page child over a MessagePort', () => {
  it('carries the protocol both ways, serves requests, and reports the exit the page asks for once, after its messages', async () => {
    const { channel, child, destroy, pagePort } = pair();
    open.push(channel);
    const heard: string[] = [];
    child.onMessage((m) => heard.push(m));
    child.onExit(onExit);
    child.send('start');
    const page = portParent<string, string, Services>(pagePort);
    const received: string[] = [];
    page.onMessage((m) => received.push(m));
    await tick();
    expect(received).toEqual(['start']);
    const dataset = await page.request('dataset', { name: 'mnist' });
    expect(dataset.name).toBe('mnist');
    expect(Array.from(dataset.images)).toEqual([1, 2, 3]);
    await expect(page.request('dataset', { name: 'missing' })).rejects.toThrow(/no dataset "missing"/);
    await expect(
      (page as unknown as { request: (s: string, i: unknown) => Promise<unknown> }).request('weights', {}),
    ).rejects.toThrow(/no service 'weights'; offered: dataset/);
    await page.send('epoch 1');
    await page.send('finished');
    page.exit(0);
    page.exit(1);
    await expect(page.send('late')).rejects.toThrow(/exiting/);
    await tick();
    expect(heard).toEqual(['epoch 1', 'finished']);
    expect(exits).toEqual([{ code: 0, signal: null }]);
    expect(destroy).toHaveBeenCalledTimes(1);
    // A late listener hears the exit at once.
    child.onExit(onExit);
    expect(exits).toHaveLength(2);
  });

  it('passes what the page tells about itself when it starts', async () => {
    const channel = new MessageChannel();
    open.push(channel);
    const hellos: unknown[] = [];
    portChild(nodePort(channel.port1), {
      services: {},
      destroy: () => undefined,
      onGone: () => undefined,
      onHello: (about) => hellos.push(about),
    });
    portParent(nodePort(channel.port2), { gpu: { reason: 'no adapter' } });
    await tick();
    expect(hellos).toEqual([{ gpu: { reason: 'no adapter' } }]);
  });

  it('kill destroys the page and reports it exited without a code; nothing is sent afterwards', async () => {
    const { channel, child, destroy, pagePort } = pair();
    open.push(channel);
    const page = portParent<string, string, Services>(pagePort);
    const received: string[] = [];
    page.onMessage((m) => received.push(m));
    child.onExit(onExit);
    await tick();
    child.kill();
    child.send('stop');
    await tick();
    expect(received).toEqual([]);
    expect(exits).toEqual([{ code: null, signal: PAGE_DESTROYED }]);
    expect(destroy).toHaveBeenCalledTimes(1);
  });

  it('reports a page that went away by itself (its renderer crashed) with the reason', () => {
    const { channel, child, goneWith } = pair();
    open.push(channel);
    child.onExit(onExit);
    goneWith('crashed');
    expect(exits).toEqual([{ code: null, signal: 'crashed' }]);
  });

  it('gives up on a page that never says hello', async () => {
    const { channel, child, destroy } = pair(50);
    open.push(channel);
    child.onExit(onExit);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(exits).toEqual([{ code: null, signal: 'never-started' }]);
    expect(destroy).toHaveBeenCalled();
  });
});
