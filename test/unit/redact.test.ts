import { describe, expect, it } from 'vitest';
import { REDACTED, Redactor } from '../../src/log/redact.ts';

describe('Redactor', () => {
  it('replaces known secrets and their Basic-auth form', () => {
    const redactor = new Redactor(['s3cret-value']);
    expect(redactor.redact('a s3cret-value b')).toBe(`a ${REDACTED} b`);
    const basic = Buffer.from('x-access-token:s3cret-value').toString('base64');
    expect(redactor.redact(`Authorization: Basic ${basic}`)).not.toContain(basic);
  });

  it('replaces GitHub token shapes it never saw', () => {
    const redactor = new Redactor();
    const tokens = [`ghs_${'a'.repeat(36)}`, `ghp_${'B1'.repeat(18)}`, `github_pat_${'x'.repeat(40)}`];
    for (const token of tokens) expect(redactor.redact(`token=${token};`)).toBe(`token=${REDACTED};`);
  });

  it('replaces private keys, authorization headers, URL credentials and JWTs', () => {
    const redactor = new Redactor();
    expect(redactor.redact('-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----')).toBe(REDACTED);
    expect(redactor.redact('authorization: bearer abc.def')).toBe(`authorization: bearer ${REDACTED}`);
    expect(redactor.redact('https://x-access-token:abc@host/repo.git')).toBe(
      `https://x-access-token:${REDACTED}@host/repo.git`,
    );
    expect(redactor.redact('postgres://user:pw@db:5432/x')).toBe(`postgres://user:${REDACTED}@db:5432/x`);
    expect(redactor.redact('eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjQyfQxx.c2lnbmF0dXJlc2ln')).toBe(REDACTED);
  });

  it('ignores values too short to be secrets', () => {
    const redactor = new Redactor(['abc']);
    expect(redactor.redact('abc')).toBe('abc');
  });
});

describe('Redactor.holdsKnownSecret', () => {
  it('finds a known token, and any line of a known private key, but not a pattern alone', () => {
    const key =
      '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAx1y2z3w4v5u6t7s8r9q0p1o2n3m4l5k6j7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n-----END RSA PRIVATE KEY-----\n';
    const redactor = new Redactor(['ghs_knownToken0123456789abcdefghijklmnop', key]);
    expect(redactor.holdsKnownSecret('x = "ghs_knownToken0123456789abcdefghijklmnop"')).toBe(true);
    expect(redactor.holdsKnownSecret('+AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).toBe(true);
    expect(
      redactor.holdsKnownSecret(
        "-----BEGIN RSA PRIVATE KEY-----\nsomeone else's test key\n-----END RSA PRIVATE KEY-----",
      ),
    ).toBe(false);
    expect(redactor.holdsKnownSecret('ghs_otherToken0123456789abcdefghijklmnopq')).toBe(false);
  });
});
