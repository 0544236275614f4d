/** The twin's own process (see `apart.ts`): it starts the twin and carries out its caller's calls. */
import type { ApartReady, ApartReply, ApartRequest, TwinApartOptions } from './apart.ts';
import { GitHubTwin } from './index.ts';
import { pushFiles } from './seed.ts';

const options = JSON.parse(process.argv[2] ?? '{}') as TwinApartOptions;
const send = (message: ApartReady | ApartReply) => process.send?.(message);

async function carryOut(twin: GitHubTwin, request: ApartRequest): Promise<unknown> {
  switch (request.call) {
    case 'createUser':
      return twin.createUser(request.login).token;
    case 'install':
      return twin.install(request.account);
    case 'setWebhookUrl':
      twin.setWebhookUrl(request.url);
      return undefined;
    case 'pushFiles':
      return pushFiles(twin, request.owner, request.repo, request.files, request.message);
    case 'stop':
      await twin.stop();
      return twin.violations;
  }
}

try {
  const twin = await GitHubTwin.start({ dataDir: options.dataDir, port: options.port ?? 0 });
  const { id, privateKey, webhookSecret } = twin.app;
  process.on('message', (request: ApartRequest) => {
    carryOut(twin, request).then(
      (result) => {
        send({ id: request.id, result });
        if (request.call === 'stop') process.disconnect();
      },
      (error: unknown) => send({ id: request.id, error: error instanceof Error ? error.message : String(error) }),
    );
  });
  send({ ready: { port: Number(new URL(twin.url).port), app: { id, privateKey, webhookSecret } } });
} catch (error) {
  send({ failed: { message: (error as Error).message, code: (error as NodeJS.ErrnoException).code } });
  process.disconnect();
}
// The caller is gone: nobody is left to serve.
process.on('disconnect', () => process.exit(0));
