import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InvalidStreamNameError, Subjects, streamFromSubject } from './index';

test('subjects are built from valid stream names only', () => {
  assert.equal(Subjects.mediaIn('cam-1_A'), 'media.cam-1_A.in');
  assert.equal(streamFromSubject(Subjects.mediaOut('x')), 'x');
  for (const bad of ['', 'a.b', 'a*', '>', 'a b', '../etc', 'x'.repeat(65), 'é']) {
    assert.throws(() => Subjects.mediaIn(bad), InvalidStreamNameError, bad);
  }
});

test('property: any accepted name yields a 3-token subject that round-trips', () => {
  fc.assert(fc.property(fc.string({ maxLength: 80 }), (name) => {
    try {
      const subject = Subjects.describe(name);
      assert.equal(subject.split('.').length, 3);
      assert.equal(streamFromSubject(subject), name);
    } catch (err) {
      assert.ok(err instanceof InvalidStreamNameError);
    }
  }));
});
