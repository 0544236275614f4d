/**
 * Creates an embedded database (PGlite's initdb) and exits: run as a process of its own by
 * `openDatabase`, so that initdb's memory (about a gigabyte at its peak) is given back with it.
 */
import { PGlite } from '@electric-sql/pglite';

const dir = process.argv[2];
if (!dir) throw new Error('usage: pglite-init <data directory>');
const db = await PGlite.create(dir);
await db.close();
