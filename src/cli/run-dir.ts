// The run directory's files are the library's (src/run/run-dir.ts); the commands that read checkpoints import them here.
export * from '../run/run-dir.ts';
