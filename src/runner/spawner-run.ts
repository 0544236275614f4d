/** One request of the spawner's, carried out to its end: in its helper, or here as a last resort. */
import { spawn } from 'node:child_process';
import { simpleGitClient } from './git-client.ts';
import type { SpawnReply, SpawnRequest } from './spawner.ts';

export function carryOut(request: SpawnRequest): Promise<SpawnReply> {
  return request.kind === 'git' ? gitOf(request) : commandOf(request);
}

async function gitOf(request: Extract<SpawnRequest, { kind: 'git' }>): Promise<SpawnReply> {
  try {
    const stdout = await simpleGitClient(request.cwd, request.env).raw([...request.args]);
    return { id: request.id, kind: 'git', stdout };
  } catch (error) {
    return { id: request.id, kind: 'git', error: error instanceof Error ? error.message : String(error) };
  }
}

function commandOf(request: Extract<SpawnRequest, { kind: 'command' }>): Promise<SpawnReply> {
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
        kind: 'command',
        exitCode: failure ? undefined : (code ?? undefined),
        signal: signal ?? undefined,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        failure,
      }),
    );
  });
}
