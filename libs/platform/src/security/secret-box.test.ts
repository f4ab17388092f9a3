import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { SecretBox, SecretKeyError, createSecretBox, parseSecretKey } from './secret-box';

const key = (): Buffer => randomBytes(32);

describe('SecretBox (AES-256-GCM at rest)', () => {
  test('round trip for any string; ciphertext never contains the plaintext; a fresh IV each time', () => {
    const box = new SecretBox(key());
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 256 }), (s) => {
      const sealed = box.seal(s);
      assert.ok(sealed.startsWith('enc:v1:'));
      if (s.length >= 4) assert.ok(!sealed.includes(s));
      assert.equal(box.open(sealed), s);
      assert.notEqual(box.seal(s), sealed);
    }), { numRuns: 300 });
  });

  test('rotation: values sealed with the previous key open, and are flagged for sealing again', () => {
    const oldKey = key();
    const sealedOld = new SecretBox(oldKey).seal('pw');
    const rotated = new SecretBox(key(), [oldKey]);
    assert.equal(rotated.open(sealedOld), 'pw');
    assert.equal(rotated.needsReseal(sealedOld), true);
    assert.equal(rotated.needsReseal(rotated.seal('pw')), false);
    assert.equal(rotated.needsReseal('plaintext-from-before'), true);
    assert.throws(() => new SecretBox(key()).open(sealedOld), /not configured/);
  });

  test('a tampered or truncated value is refused, never returned', () => {
    const box = new SecretBox(key());
    const sealed = box.seal('camera-password');
    const body = Buffer.from(sealed.split(':')[3], 'base64');
    body[body.byteLength - 20] ^= 1;
    const tampered = `${sealed.split(':').slice(0, 3).join(':')}:${body.toString('base64')}`;
    assert.throws(() => box.open(tampered), SecretKeyError);
    assert.throws(() => box.open(sealed.slice(0, 30)), SecretKeyError);
    // Fuzz: any garbage after the prefix is an error or (for our own seals only) a value.
    fc.assert(fc.property(fc.string({ maxLength: 80 }), (junk) => {
      try {
        box.open(`enc:v1:${junk}`);
      } catch (err) {
        assert.ok(err instanceof SecretKeyError);
      }
    }), { numRuns: 300 });
  });

  test('keys: 64 hex digits or base64 of 32 bytes; anything else names the setting', () => {
    assert.equal(parseSecretKey('ab'.repeat(32), 'SECRETS_KEY').byteLength, 32);
    assert.equal(parseSecretKey(randomBytes(32).toString('base64'), 'SECRETS_KEY').byteLength, 32);
    assert.throws(() => parseSecretKey('short', 'SECRETS_KEY'), /SECRETS_KEY must be 32 random bytes/);
  });

  test('no SECRETS_KEY: the file store generates one (0600) once and reuses it; a shared store cannot seal', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-key-'));
    const file = join(dir, 'secrets.key');
    const generated: string[] = [];
    const a = createSecretBox({}, { file }, (p) => generated.push(p));
    assert.deepEqual(generated, [file]);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const b = createSecretBox({}, { file }, (p) => generated.push(p));
    assert.equal(generated.length, 1, 'reused, not generated again');
    assert.equal(b.open(a.seal('x')), 'x');
    assert.match(readFileSync(file, 'utf8'), /^[0-9a-f]{64}\n$/);
    const shared = createSecretBox({}, 'none', () => undefined);
    assert.throws(() => shared.seal('x'), /SECRETS_KEY when the registry is shared/);
  });
});
