/** Credentials as GitHub issues and checks them: personal tokens, installation tokens, app JWTs. */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A token in GitHub's format: a prefix (`ghp_`, `ghs_`) and 36 alphanumeric characters. */
export function githubToken(prefix: 'ghp' | 'ghs' | 'ghu'): string {
  const bytes = randomBytes(36);
  let body = '';
  for (const byte of bytes) body += ALPHANUMERIC[byte % ALPHANUMERIC.length];
  return `${prefix}_${body}`;
}

export function generateAppKeyPair(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/**
 * Verifies a GitHub App JWT (RS256, `iss` = app id, at most ten minutes long) and returns the
 * problem when it is not acceptable, as GitHub would refuse it.
 */
export function checkAppJwt(token: string, publicKey: string, appId: number, now = Date.now()): string | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return 'not a JWT';
  const [header, payload, signature] = parts as [string, string, string];
  const ok = verify(
    'RSA-SHA256',
    Buffer.from(`${header}.${payload}`),
    createPublicKey(publicKey),
    Buffer.from(signature, 'base64url'),
  );
  if (!ok) return 'JWT signature does not verify with the app public key';
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as {
    iss?: unknown;
    exp?: number;
    iat?: number;
  };
  const seconds = Math.floor(now / 1000);
  if (String(claims.iss) !== String(appId)) return `JWT iss ${String(claims.iss)} is not app ${appId}`;
  if (typeof claims.exp !== 'number' || claims.exp < seconds) return 'JWT expired';
  if (typeof claims.iat !== 'number' || claims.iat > seconds + 60) return 'JWT issued in the future';
  if (claims.exp - claims.iat > 600 + 60) return 'JWT lives longer than ten minutes';
  return undefined;
}

/** A JWT for the app, as a GitHub App signs one: RS256, `iss` = app id, valid for nine minutes. */
export function appJwt(appId: number, privateKey: string, now = Date.now()): string {
  const seconds = Math.floor(now / 1000);
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({ iat: seconds - 30, exp: seconds + 540, iss: appId })}`;
  const signature = sign('RSA-SHA256', Buffer.from(unsigned), createPrivateKey(privateKey)).toString('base64url');
  return `${unsigned}.${signature}`;
}
