/** One command run to its end with its output kept: for the spawner, in its helper or here. */
import { spawn } from 'node:child_process';
import type { SpawnReply, SpawnRequest } from './spawner.ts';

export function runToEnd(request: SpawnRequest): Promise<SpawnReply> {
  return new Promise((resolve) => {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let failure: string | undefined;
    const child = spawn(request.file, request.args, {
      env: request.env,
      cwd: request.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => {
      failure = error.message;
    });
    // After 'error' too: a command that could not start closes its pipes all the same.
    child.on('close', (code, signal) =>
      resolve({
        id: request.id,
        exitCode: failure ? undefined : (code ?? undefined),
        signal: signal ?? undefined,
        stdout: Buffer.concat(stdout),
        stderr: Buffer.concat(stderr),
        failure,
      }),
    );
  });
}
