/**
 * Creates an embedded database (PGlite's initdb) and exits: run as a process of its own by
 * `openDatabase`, so that initdb's memory (more than half a gigabyte at its peak) is given back with it.
 */
import { PGlite } from '@electric-sql/pglite';
import { keepWasmOnBaselineCompiler } from './pglite-wasm.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: pglite-init <data directory>');
// initdb's peak: 1,148 MB without, 651 MB with (measured once each).
keepWasmOnBaselineCompiler();
const db = await PGlite.create(dir);
await db.close();
