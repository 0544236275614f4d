/**
 * Who is looking at the dashboard: the operator (signed in with `SWITCHYARD_DASHBOARD_TOKEN`),
 * or a GitHub user (signed in through the app's OAuth client), or nobody. Signing in sets an
 * HttpOnly cookie holding the expiry, who it is, and an HMAC of both keyed by a server secret, so
 * no token sits in the browser and changing the secret signs everyone out.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'switchyard_session';
export const OAUTH_STATE_COOKIE = 'switchyard_oauth_state';

/** How long a sign-in lasts. */
export const SESSION_MS = 12 * 60 * 60 * 1000;

export type Viewer = { kind: 'operator' } | { kind: 'github'; login: string };

function mac(key: string, payload: string): string {
  return createHmac('sha256', key).update(`switchyard-dashboard:${payload}`).digest('base64url');
}

function equal(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Whether `given` is the operator token (compared in constant time). */
export function isOperatorToken(token: string, given: string): boolean {
  const digest = (text: string) => createHmac('sha256', 'compare').update(text).digest('base64');
  return equal(digest(token), digest(given));
}

const who = (viewer: Viewer) => (viewer.kind === 'operator' ? 'operator' : `github:${viewer.login}`);

function cookie(name: string, value: string, maxAgeSeconds: number, secure: boolean): string {
  return `${name}=${value}; HttpOnly; SameSite=Lax; Path=/dashboard; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}

/** The Set-Cookie header of a new session. `secure` when the dashboard is served over HTTPS. */
export function sessionCookie(key: string, viewer: Viewer, now: number, secure: boolean): string {
  const payload = `${now + SESSION_MS}.${who(viewer)}`;
  return cookie(SESSION_COOKIE, `${payload}.${mac(key, payload)}`, SESSION_MS / 1000, secure);
}

export const SIGN_OUT_COOKIE = `${SESSION_COOKIE}=; HttpOnly; SameSite=Lax; Path=/dashboard; Max-Age=0`;

function cookieValue(header: string | undefined, name: string): string | undefined {
  return (header ?? '')
    .split(';')
    .map((part) => part.trim())
    .find((part) => part.startsWith(`${name}=`))
    ?.slice(name.length + 1);
}

/** Who the request's session cookie says is signed in, if it is live and signed with `key`. */
export function viewerOf(key: string, cookieHeader: string | undefined, now: number): Viewer | undefined {
  const value = cookieValue(cookieHeader, SESSION_COOKIE);
  if (!value) return undefined;
  const cut = value.lastIndexOf('.');
  const payload = value.slice(0, cut);
  const signature = value.slice(cut + 1);
  if (cut <= 0 || !equal(signature, mac(key, payload))) return undefined;
  const dot = payload.indexOf('.');
  const expires = Number(payload.slice(0, dot));
  const subject = payload.slice(dot + 1);
  if (!Number.isSafeInteger(expires) || expires <= now) return undefined;
  if (subject === 'operator') return { kind: 'operator' };
  if (subject.startsWith('github:') && subject.length > 7) return { kind: 'github', login: subject.slice(7) };
  return undefined;
}

/** A fresh `state` for the OAuth round trip, and the cookie that remembers it for ten minutes. */
export function oauthState(secure: boolean): { state: string; cookie: string } {
  const state = randomBytes(16).toString('base64url');
  return { state, cookie: cookie(OAUTH_STATE_COOKIE, state, 600, secure) };
}

/** Whether the `state` GitHub sent back is the one this browser was given. */
export function oauthStateMatches(cookieHeader: string | undefined, state: string | null): boolean {
  const expected = cookieValue(cookieHeader, OAUTH_STATE_COOKIE);
  return Boolean(expected && state && equal(expected, state));
}
