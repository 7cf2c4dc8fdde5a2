// The commands load topologies as the library does (src/run/load.ts).
export { builtinKinds, loadConfig } from '../run/load.ts';
