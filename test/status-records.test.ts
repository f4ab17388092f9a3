import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Status records are written and read only through their schemas (libs/contracts status.ts):
 * a grep over the production sources finds no status record stored without `encodeStatus`
 * and no status listing read without `decodeStatus`.
 */
const root = join(__dirname, '..', '..');

function sources(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'testing' || entry === 'fixtures') continue;
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (entry.endsWith('.ts') && !entry.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** One statement per entry (enough to see a call's arguments across line breaks), comments left out. */
const statements = (text: string): string[] =>
  text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '').split(/;\s*\n/);

test('every status record is written with encodeStatus and read with decodeStatus', () => {
  const files = [...sources(join(root, 'libs')), ...sources(join(root, 'services'))];
  const writes: string[] = [];
  const bad: string[] = [];
  for (const file of files) {
    const name = relative(root, file);
    if (name === 'libs/contracts/src/status.ts') continue;
    const text = readFileSync(file, 'utf8');
    const code = statements(text);
    for (const st of code) {
      if (/\.set\(\s*(statusKey|ingestStatusKey)\(/.test(st)) {
        writes.push(name);
        if (!/encodeStatus\(/.test(st)) bad.push(`${name}: status written without encodeStatus: ${st.trim().slice(0, 160)}`);
      }
      if (/\.(list|get)\(\s*(`status\/|'status\/|STATUS_PREFIX|statusKey\(|ingestStatusKey\()/.test(st) && code.some((c) => /JSON\.parse/.test(c))) {
        bad.push(`${name}: status read with JSON.parse: ${st.trim().slice(0, 160)}`);
      }
      if (/['`]status\//.test(st)) bad.push(`${name}: a status key built by hand: ${st.trim().slice(0, 160)}`);
    }
  }
  assert.deepEqual(bad, []);
  // The writers: ingest's LiveSource (RTMP publications and camera pulls alike), packetizer, egress registry.
  for (const w of ['services/ingest/src/source/live-source.ts',
    'services/packetizer/src/packetizer-service.ts', 'services/rtsp-egress/src/fanout/fanout-registry.ts']) {
    assert.ok(writes.includes(w), `${w} writes a status record`);
  }
});
