/**
 * Secret redaction for everything Switchyard writes: logs, status comments, run logs.
 * Known values (the private key, the webhook secret, minted installation tokens) are replaced
 * exactly; anything shaped like a GitHub token, a private key or an Authorization header is
 * replaced by pattern, so a token an agent prints is caught even when Switchyard never saw it.
 */

export const REDACTED = '[REDACTED]';

const PATTERNS: RegExp[] = [
  /\bgh[pousr]_[A-Za-z0-9]{30,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}\b/g,
  /\bwhsec_[A-Za-z0-9]{20,}\b/g,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  /\b(authorization:\s*(?:basic|bearer|token)\s+)[A-Za-z0-9+/=._-]+/gi,
  /(x-access-token:)[^@\s]+/gi,
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g,
  /(postgres(?:ql)?:\/\/[^:/\s]+:)[^@\s]+(?=@)/gi,
];

/** The shortest line of a multi-line secret (a PEM body) that is looked for on its own. */
const MIN_SECRET_LINE = 32;

export class Redactor {
  readonly #known = new Set<string>();
  /** What a leak is recognised by: each known secret, and each long line of a multi-line one. */
  readonly #needles = new Set<string>();

  constructor(secrets: Iterable<string> = []) {
    for (const secret of secrets) this.add(secret);
  }

  /** Remembers a secret value; short values are ignored so that ordinary words are not blanked. */
  add(secret: string | undefined): void {
    if (!secret || secret.length < 6) return;
    this.#known.add(secret);
    // A base64 form travels in Basic authorization headers.
    this.#known.add(Buffer.from(`x-access-token:${secret}`).toString('base64'));
    const lines = secret.split(/\r?\n/).map((line) => line.trim());
    if (lines.length === 1) this.#needles.add(secret);
    for (const line of lines) if (line.length >= MIN_SECRET_LINE && !line.startsWith('-----')) this.#needles.add(line);
  }

  /**
   * Whether `text` holds a known secret: a token Switchyard minted, its webhook secret or
   * database password, or any line of its private key. Patterns are not enough here: a
   * repository may hold test keys of its own, but never Switchyard's.
   */
  /** The length of the longest text a leak is recognised by: how much of a cut line to carry over. */
  get longestNeedle(): number {
    let longest = 0;
    for (const needle of this.#needles) longest = Math.max(longest, needle.length);
    return longest;
  }

  holdsKnownSecret(text: string): boolean {
    for (const needle of this.#needles) if (text.includes(needle)) return true;
    return false;
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.#known) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    for (const pattern of PATTERNS) {
      out = out.replace(pattern, (match: string, prefix?: unknown) =>
        typeof prefix === 'string' && match.startsWith(prefix) ? `${prefix}${REDACTED}` : REDACTED,
      );
    }
    return out;
  }
}
