import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Every wire format is parsed in exactly one protocol lib: FLV and AMF0 in protocol-rtmp, SDP
 * in protocol-sdp (issue #10). Everyone else goes through them (`parseVideoTag`,
 * `parseScriptTag`, `parseFlvFile`, `parseSdp`, the media model's `readSdpFormats`). This test
 * reads every non-test source file of libs/ and services/ (production and test-support
 * projects alike) and fails on the marks hand-rolled parsing of those formats leaves.
 * Writing the formats (building an SDP string in a test, say) is not what it looks for.
 */
const root = join(__dirname, '..', '..');

interface Rule {
  format: string;
  owner: string;
  marks: RegExp[];
  /** Snippets each mark must catch, so the rule cannot rot into matching nothing. */
  samples: string[];
}

const RULES: Rule[] = [
  {
    format: 'SDP', owner: 'libs/protocol/sdp/',
    marks: [/startsWith\(\s*['"`][vosmcatbk]=/, /\/\^?\\?[vosmcatb]=[a-z]/, /\/a=(rtpmap|fmtp|control):/],
    samples: ["line.startsWith('m=')", "/^a=rtpmap:(\\d+)/.exec(l)", "/a=fmtp:96 ([^\\r\\n]+)/.exec(sdp)"],
  },
  {
    format: 'FLV', owner: 'libs/protocol/rtmp/',
    marks: [/0x46,\s*0x4c,\s*0x56/, /[!=]==\s*0x46\b/, /&\s*0x0f\)?\s*={2,3}\s*(7|12)\b/, />>\s*4\)?\s*={2,3}\s*10\b/, /\bAVCPacketType\s*=/],
    samples: ['buf[0] !== 0x46', '(data[0] & 0x0f) === 7', 'body[0] >> 4 === 10', 'const AVCPacketType = data[1]'],
  },
  {
    format: 'AMF0', owner: 'libs/protocol/rtmp/',
    marks: [/class\s+\w*Amf0?\w*/, /['"]@setDataFrame['"]/, /case\s+0x0?9\s*:.*(end|object)/i],
    samples: ['class Amf0Scanner {', "if (name === '@setDataFrame')", 'case 0x09: // object end'],
  },
];

function sources(dir: string, out: string[]): string[] {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'fixtures' || entry === 'dist') continue;
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (entry.endsWith('.ts') && !entry.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

test('each mark of hand-rolled FLV/AMF0/SDP parsing catches its samples', () => {
  for (const rule of RULES) {
    for (const sample of rule.samples) assert.ok(rule.marks.some((m) => m.test(sample)), `${rule.format}: no mark catches ${sample}`);
  }
});

test('FLV and AMF0 are parsed only in protocol-rtmp, SDP only in protocol-sdp', () => {
  const files = [...sources(join(root, 'libs'), []), ...sources(join(root, 'services'), [])];
  assert.ok(files.length > 100, `read ${files.length} files`);
  const found: string[] = [];
  for (const file of files) {
    const rel = relative(root, file);
    const lines = readFileSync(file, 'utf8').split('\n');
    for (const rule of RULES) {
      if (rel.startsWith(rule.owner)) continue;
      lines.forEach((line, i) => {
        if (rule.marks.some((m) => m.test(line))) found.push(`${rel}:${i + 1} parses ${rule.format} (use ${rule.owner}): ${line.trim()}`);
      });
    }
  }
  assert.deepEqual(found, []);
});
