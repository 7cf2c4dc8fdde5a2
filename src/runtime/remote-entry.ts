// The hosted side of a thread or process host: imports the actor's module, runs one incarnation on the
// local scheduler, and answers the parent in msgpack frames. Refs to other actors go through the parent.
import { isMainThread, parentPort } from 'node:worker_threads';
import { decode, encodeDetached } from './codec.ts';
import { HostedActor, importDefinition } from './hosted.ts';
import type { FromHost, ToHost } from './remote-frames.ts';

const send: (frame: FromHost) => void = isMainThread
  ? (frame) => process.send?.(encodeDetached(frame))
  : (frame) => {
      const bytes = encodeDetached(frame);
      parentPort!.postMessage(bytes, [bytes.buffer as ArrayBuffer]);
    };

const hosted = new HostedActor(send, importDefinition);
const receive = (bytes: Uint8Array) => void hosted.onFrame(decode<ToHost>(bytes));
if (isMainThread) {
  process.on('message', receive);
  process.on('disconnect', () => process.exit(0));
} else {
  parentPort!.on('message', receive);
}
