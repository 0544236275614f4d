/** How far this process's JavaScript heap may grow between collections, with PGlite embedded. */
import v8 from 'node:v8';

/**
 * The factor V8 lets the heap grow by before its next full collection, as a percentage over 1.
 * Left to itself, V8 picks up to 4× on a machine with memory to spare, and the embedded
 * database's statements leave a lot of short-lived garbage (PGlite's protocol code allocates
 * about 1.5 MB per webhook of a burst): a heap with about 35 MB live reached 290 MB. Measured
 * with `npm run bench:intake` (1,100 webhooks, embedded), three pairs: peak RSS 486–510 MB left
 * to V8 against 406–415 MB at 100 %, for an answer p99 of 58–216 against 55–60 ms (20, 50 or
 * 200 %, set before anything else loads, gave 365–380 MB alike).
 */
export const HEAP_GROWING_PERCENT = 100;

/** Bounds the heap's growth for the rest of this process; V8 reads the factor at each collection. */
export function boundHeapGrowth(): void {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
