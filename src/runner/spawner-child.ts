/**
 * The spawner's process (see `spawner.ts`): it carries out the commands the main process asks
 * for and sends back how each ended. It is small, so forking it for each command is cheap; it
 * holds nothing but the environment each request brings, and it ends with the process that
 * forked it.
 */
import type { SpawnRequest } from './spawner.ts';
import { carryOut } from './spawner-run.ts';

process.on('message', (request: SpawnRequest) => {
  void carryOut(request).then((reply) => process.send?.(reply));
});
// The main process is gone: nothing is left to answer.
process.on('disconnect', () => process.exit(0));
