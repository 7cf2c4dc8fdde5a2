// First module of a JavaScript sandbox worker thread: registers the TypeScript loader, then loads the worker.
import { register } from 'tsx/esm/api';

register();
const worker = await import('./sandbox-worker.ts');
export default worker.default;
