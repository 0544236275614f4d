/** Repository contents: files read from the bare repository, raw or as GitHub's JSON. */
import { TwinError, type Handler } from '../core.ts';

export const contentHandlers: Record<string, Handler> = {
  'repos/get-content': async (core, input) => {
    const repo = core.repoFor(input, 'read', 'contents');
    const path = (input.params.path ?? '').replace(/^\/+/, '');
    const ref = input.query.get('ref') ?? repo.defaultBranch;
    const file = await core.git.readFile(repo.owner.login, repo.name, ref, path);
    if (!file) throw new TwinError(404, 'Not Found');
    const accept = String(input.headers.accept ?? '');
    if (accept.includes('.raw'))
      return {
        status: 200,
        raw: { text: file.content.toString('utf8'), contentType: 'application/vnd.github.v3.raw; charset=utf-8' },
      };
    const url = `${core.urls.api}/repos/${repo.owner.login}/${repo.name}/contents/${path}?ref=${encodeURIComponent(ref)}`;
    return {
      status: 200,
      body: {
        type: 'file',
        encoding: 'base64',
        size: file.content.length,
        name: path.split('/').pop(),
        path,
        content: file.content.toString('base64'),
        sha: file.sha,
        url,
        git_url: `${core.urls.api}/repos/${repo.owner.login}/${repo.name}/git/blobs/${file.sha}`,
        html_url: `${core.urls.web}/${repo.owner.login}/${repo.name}/blob/${ref}/${path}`,
        download_url: null,
        _links: { self: url, git: null, html: null },
      },
    };
  },
};
