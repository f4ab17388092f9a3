import { RtspEncodeError, RtspParseError } from '../base/errors';
import { checkLength } from './header-params';

/**
 * RFC 2326 §12.29 Range, with the units of §3.5 (SMPTE), §3.6 (NPT) and §3.7 (UTC clock):
 *
 *   Range: npt=now-            (live: ffmpeg, GStreamer)
 *   Range: npt=0.000-          (VLC/live555, ffmpeg)
 *   Range: npt=00:01:02.5-00:02:00
 *   Range: clock=19961108T143720.25Z-
 *   Range: smpte=10:07:00-10:07:33:05.01
 *
 * An optional `;time=` parameter is accepted and kept.
 */
export type RangeHeader =
  | { unit: 'npt'; start: number | 'now' | undefined; end?: number; time?: string }
  | { unit: 'clock' | 'smpte' | 'smpte-25' | 'smpte-30-drop'; start: string | undefined; end?: string; time?: string };

const NPT_TIME = /^(?:(\d{1,10})\.?(\d{0,9})|(\d{1,10}):(\d{1,2}):(\d{1,2})(?:\.(\d{0,9}))?)$/;
const CLOCK_TIME = /^\d{8}T\d{6}(?:\.\d{1,9})?Z$/;
const SMPTE_TIME = /^\d{1,2}:\d{1,2}:\d{1,2}(?::\d{1,2}(?:\.\d{1,2})?)?$/;

function parseNptTime(text: string): number | 'now' {
  if (text === 'now') return 'now';
  const m = NPT_TIME.exec(text);
  if (!m) throw new RtspParseError(`invalid npt time ${JSON.stringify(text.slice(0, 40))}`, 457);
  if (m[1] !== undefined) return Number(`${m[1]}.${m[2] || '0'}`);
  const minutes = Number(m[4]);
  const seconds = Number(`${m[5]}.${m[6] || '0'}`);
  if (minutes > 59 || seconds >= 60) throw new RtspParseError(`invalid npt time ${JSON.stringify(text)}`, 457);
  return Number(m[3]) * 3600 + minutes * 60 + seconds;
}

export function parseRange(value: string): RangeHeader {
  checkLength('Range', value);
  const [spec, ...params] = value.split(';').map((s) => s.trim());
  let time: string | undefined;
  for (const p of params) if (p.toLowerCase().startsWith('time=')) time = p.slice(5);
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new RtspParseError(`invalid Range ${JSON.stringify(value.slice(0, 40))}`, 457);
  const unit = spec.slice(0, eq).trim().toLowerCase();
  const range = spec.slice(eq + 1).trim();
  const dash = unit === 'npt' || unit === 'clock' || unit.startsWith('smpte') ? range.indexOf('-') : -1;
  if (dash < 0) throw new RtspParseError(`invalid Range ${JSON.stringify(value.slice(0, 40))}`, 457);
  const startText = range.slice(0, dash).trim();
  const endText = range.slice(dash + 1).trim();
  if (unit === 'npt') {
    const start = startText === '' ? undefined : parseNptTime(startText);
    const end = endText === '' ? undefined : parseNptTime(endText);
    if (end === 'now') throw new RtspParseError('npt range cannot end at now', 457);
    if (start === undefined && end === undefined) throw new RtspParseError('empty npt range', 457);
    return withTime({ unit: 'npt', start, end }, time);
  }
  const pattern = unit === 'clock' ? CLOCK_TIME : SMPTE_TIME;
  if (unit !== 'clock' && unit !== 'smpte' && unit !== 'smpte-25' && unit !== 'smpte-30-drop') {
    throw new RtspParseError(`unknown Range unit ${JSON.stringify(unit.slice(0, 20))}`, 457);
  }
  for (const t of [startText, endText]) {
    if (t !== '' && !pattern.test(t)) throw new RtspParseError(`invalid ${unit} time ${JSON.stringify(t.slice(0, 40))}`, 457);
  }
  if (startText === '' && endText === '') throw new RtspParseError(`empty ${unit} range`, 457);
  return withTime({ unit, start: startText || undefined, end: endText || undefined }, time);
}

function withTime<T extends RangeHeader>(range: T, time: string | undefined): T {
  if (time !== undefined) range.time = time;
  if (range.end === undefined) delete range.end;
  return range;
}

function formatNpt(t: number | 'now'): string {
  if (t === 'now') return 'now';
  if (!Number.isFinite(t) || t < 0) throw new RtspEncodeError(`invalid npt time ${t}`);
  return t.toFixed(3);
}

export function formatRange(range: RangeHeader): string {
  let out: string;
  if (range.unit === 'npt') {
    out = `npt=${range.start === undefined ? '' : formatNpt(range.start)}-${range.end === undefined ? '' : formatNpt(range.end)}`;
  } else {
    const check = (t: string | undefined): string => {
      if (t !== undefined && /[\s;,-]/.test(t)) throw new RtspEncodeError(`invalid ${range.unit} time ${JSON.stringify(t)}`);
      return t ?? '';
    };
    out = `${range.unit}=${check(range.start)}-${check(range.end)}`;
  }
  if (range.time !== undefined) {
    if (/[\s;,]/.test(range.time)) throw new RtspEncodeError('invalid Range time parameter');
    out += `;time=${range.time}`;
  }
  return out;
}
