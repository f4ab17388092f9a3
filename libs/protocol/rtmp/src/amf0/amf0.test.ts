import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Amf0Decoder, decodeAmf0 } from './amf0-decoder';
import { amf0ByteLength, encodeAmf0 } from './amf0-encoder';
import { Amf0Error } from './amf0-error';
import { Amf0Value, amf0Property } from './amf0-types';

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g) ?? [], (b) => parseInt(b, 16));

/** One table drives both directions: value ↔ bytes (AMF 0 spec §2). */
const ROUND_TRIP: [string, Amf0Value, string][] = [
  ['Number 1 (§2.2)', 1, '00 3ff0000000000000'],
  ['Number -0.5', -0.5, '00 bfe0000000000000'],
  ['Boolean true (§2.3)', true, '01 01'],
  ['String "live" (§2.4)', 'live', '02 0004 6c697665'],
  ['String UTF-8 "é"', 'é', '02 0002 c3a9'],
  ['Null (§2.7)', null, '05'],
  ['Undefined (§2.8)', undefined, '06'],
  ['Object {a: 1} (§2.5)', { a: 1 }, '03 0001 61 00 3ff0000000000000 0000 09'],
  ['empty Object', {}, '03 0000 09'],
  ['ECMA Array (§2.10)', new Map<string, Amf0Value>([['w', 2]]), '08 00000001 0001 77 00 4000000000000000 0000 09'],
  ['Strict Array (§2.12)', [1, 'x'], '0a 00000002 00 3ff0000000000000 02 0001 78'],
  ['Date (§2.13)', new Date(0), '0b 0000000000000000 0000'],
];

describe('AMF0 round trip table', () => {
  for (const [name, value, bytes] of ROUND_TRIP) {
    test(name, () => {
      const encoded = encodeAmf0(value);
      assert.deepEqual(encoded, hex(bytes));
      assert.equal(amf0ByteLength(value), encoded.byteLength);
      assert.deepEqual(decodeAmf0(encoded), [value]);
    });
  }

  test('Long String (§2.14) above 65535 bytes', () => {
    const s = 'a'.repeat(70000);
    const bytes = encodeAmf0(s);
    assert.equal(bytes[0], 0x0c);
    assert.deepEqual(decodeAmf0(bytes), [s]);
  });
});

describe('AMF0 decode-only', () => {
  test('ffmpeg 5.1 connect command body', () => {
    const body = hex(
      '02 0007 636f6e6e656374 00 3ff0000000000000 03 0003 617070 02 0004 6c697665 0004 74797065 02 000a 6e6f6e70726976617465' +
        '0008 666c617368566572 02 0024 464d4c452f332e302028636f6d70617469626c653b204c61766635392e32372e31303029' +
        '0005 746355726c 02 001b 72746d703a2f2f3132372e302e302e313a33373639312f6c697665 0000 09',
    );
    const [name, tid, obj] = decodeAmf0(body);
    assert.equal(name, 'connect');
    assert.equal(tid, 1);
    assert.equal(amf0Property(obj, 'app'), 'live');
    assert.equal(amf0Property(obj, 'flashVer'), 'FMLE/3.0 (compatible; Lavf59.27.100)');
    assert.equal(amf0Property(obj, 'tcUrl'), 'rtmp://127.0.0.1:37691/live');
  });

  test('typed object (0x10) decodes as an object; unsupported (0x0D) as undefined', () => {
    assert.deepEqual(decodeAmf0(hex('10 0001 43 0001 61 05 0000 09 0d')), [{ a: null }, undefined]);
  });

  test('"__proto__" keys become own properties, never a prototype', () => {
    const [obj] = decodeAmf0(hex('03 0009 5f5f70726f746f5f5f 03 0001 78 01 01 0000 09 0000 09'));
    assert.equal(Object.getPrototypeOf(obj), Object.prototype);
    assert.equal(({} as Record<string, unknown>).x, undefined);
    assert.deepEqual(Object.keys(obj as object), ['__proto__']);
  });

  const ERRORS: [string, string, RegExp][] = [
    ['truncated number', '00 3ff0', /truncated/],
    ['truncated string', '02 0010 6162', /truncated/],
    ['object without end marker', '03 0001 61 05 0000 05', /object-end/],
    ['strict array count beyond the input', '0a ffffffff 05', /longer than the input/],
    ['reference (0x07) is not supported', '07 0001', /unsupported marker 0x07/],
    ['AMF3 switch (0x11) is not supported', '11 01', /unsupported marker 0x11/],
    ['object-end where a value belongs', '09', /unsupported marker 0x09/],
  ];
  for (const [name, bytes, re] of ERRORS) {
    test(`Amf0Error: ${name}`, () => {
      assert.throws(() => decodeAmf0(hex(bytes)), (e: unknown) => e instanceof Amf0Error && re.test(e.message));
    });
  }

  test('depth and value-count limits', () => {
    const deep = new Uint8Array([...new Array<number>(40).fill(0x0a).flatMap(() => [0x0a, 0, 0, 0, 1]), 0x05]);
    assert.throws(() => decodeAmf0(deep), /nesting deeper than 32/);
    const many = encodeAmf0(new Array<Amf0Value>(100).fill(null));
    assert.throws(() => new Amf0Decoder(many, 0, { maxValues: 50 }).readAll(), /more than 50 values/);
  });
});

const leaf = fc.oneof(
  fc.double({ noNaN: true }).filter((n) => !Object.is(n, -0)),
  fc.boolean(),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constant(null),
  fc.constant(undefined),
  fc.integer({ min: -8.64e15, max: 8.64e15 }).map((ms) => new Date(ms)),
);
const { value: valueArb } = fc.letrec<{ value: Amf0Value }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }).filter((k) => k !== ''), tie('value'), { maxKeys: 4, noNullPrototype: true }),
    fc.dictionary(fc.string({ maxLength: 8 }).filter((k) => k !== ''), tie('value'), { maxKeys: 4, noNullPrototype: true }).map((o) => new Map(Object.entries(o))),
  ),
}));

describe('AMF0 properties', () => {
  test('round trip of arbitrary values', () => {
    fc.assert(fc.property(fc.array(valueArb, { maxLength: 4 }), (values) => {
      const bytes = encodeAmf0(...values);
      assert.equal(bytes.byteLength, values.reduce<number>((n, v) => n + amf0ByteLength(v), 0));
      assert.deepEqual(decodeAmf0(bytes), values);
    }), { numRuns: 300 });
  });

  test('fuzz: mutated and truncated encodings only throw Amf0Error and never mutate the input', () => {
    fc.assert(fc.property(
      fc.array(valueArb, { minLength: 1, maxLength: 3 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      fc.nat(),
      (values, edits, cut) => {
        const bytes = encodeAmf0(...values);
        for (const [at, v] of edits) bytes[at % bytes.byteLength] = v;
        const input = bytes.subarray(0, cut % (bytes.byteLength + 1));
        const copy = input.slice();
        try {
          decodeAmf0(input);
        } catch (err) {
          assert.ok(err instanceof Amf0Error, String(err));
        }
        assert.deepEqual(input, copy);
      },
    ), { numRuns: 500 });
  });
});
