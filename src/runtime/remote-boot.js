// First module of a worker thread or child process that hosts an actor: registers the TypeScript loader.
import { register } from 'tsx/esm/api';

register();
await import('./remote-entry.ts');
