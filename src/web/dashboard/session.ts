/**
 * Who may see the dashboard: whoever holds the operator token (`SWITCHYARD_DASHBOARD_TOKEN`).
 * Signing in sets an HttpOnly cookie holding an expiry and an HMAC of it keyed by the token, so
 * the token itself never sits in the browser and changing it signs everyone out.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'switchyard_session';

/** How long a sign-in lasts. */
export const SESSION_MS = 12 * 60 * 60 * 1000;

function mac(token: string, expires: number): string {
  return createHmac('sha256', token).update(`switchyard-dashboard:${expires}`).digest('base64url');
}

function equal(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Whether `given` is the operator token (compared in constant time). */
export function isOperatorToken(token: string, given: string): boolean {
  return equal(createHmac('sha256', 'compare').update(token).digest('base64'), createHmac('sha256', 'compare').update(given).digest('base64'));
}

/** The Set-Cookie header of a new session. `secure` when the dashboard is served over HTTPS. */
export function sessionCookie(token: string, now: number, secure: boolean): string {
  const expires = now + SESSION_MS;
  return `${SESSION_COOKIE}=${expires}.${mac(token, expires)}; HttpOnly; SameSite=Strict; Path=/dashboard; Max-Age=${SESSION_MS / 1000}${secure ? '; Secure' : ''}`;
}

export const SIGN_OUT_COOKIE = `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/dashboard; Max-Age=0`;

/** Whether the request's cookie header holds a live session signed with `token`. */
export function hasSession(token: string, cookieHeader: string | undefined, now: number): boolean {
  const value = (cookieHeader ?? '')
    .split(';')
    .map((part) => part.trim())
    .find((part) => part.startsWith(`${SESSION_COOKIE}=`))
    ?.slice(SESSION_COOKIE.length + 1);
  if (!value) return false;
  const [expiresText, signature] = value.split('.');
  const expires = Number(expiresText);
  if (!Number.isSafeInteger(expires) || expires <= now || !signature) return false;
  return equal(signature, mac(token, expires));
}
