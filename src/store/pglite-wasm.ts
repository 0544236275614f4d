/** How this process compiles PGlite's WebAssembly. */
import v8 from 'node:v8';

/**
 * Keeps PGlite's Postgres on V8's baseline wasm compiler (Liftoff) in this process. V8 compiles
 * hot wasm functions again with its optimizing compiler in the background; for Postgres's largest
 * functions that compilation alone takes about 500 MB for a moment, shortly after start (measured
 * by strace: one compile job's zone growing to 294 MB, twice that with its copies). The peak RSS
 * of a process that opens the database and starts the job engine went from 882–918 MB to 343–352 MB,
 * and 3,000 queries took no longer (1,359–2,045 ms against 1,587–2,816 ms). Set before the module
 * is compiled; it applies to every wasm module this process compiles afterwards (PGlite's and
 * undici's HTTP parser). The flag names a function index no module has, so none is tiered up.
 */
export function keepWasmOnBaselineCompiler(): void {
  v8.setFlagsFromString('--wasm-tier-up-filter=2147483647');
}
