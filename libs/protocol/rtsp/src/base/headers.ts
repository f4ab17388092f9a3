import { RtspEncodeError } from './errors';

/**
 * Header fields of one RTSP message: case-insensitive names (RFC 2326 §4.2 via RFC 2616 §4.2),
 * original spelling and order kept for serialization, repeated fields kept apart (several
 * WWW-Authenticate challenges cannot be joined with commas safely).
 */
export class RtspHeaders {
  private readonly fields: Array<[string, string]> = [];

  constructor(init?: Iterable<readonly [string, string]> | Record<string, string>) {
    if (!init) return;
    const pairs = Symbol.iterator in init ? (init as Iterable<readonly [string, string]>) : Object.entries(init);
    for (const [name, value] of pairs) this.append(name, value);
  }

  get size(): number {
    return this.fields.length;
  }

  /** First value of `name`, or undefined. */
  get(name: string): string | undefined {
    const lower = name.toLowerCase();
    for (const [n, v] of this.fields) if (n.toLowerCase() === lower) return v;
    return undefined;
  }

  getAll(name: string): string[] {
    const lower = name.toLowerCase();
    return this.fields.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Replaces every field named `name` with one field. */
  set(name: string, value: string): this {
    this.delete(name);
    return this.append(name, value);
  }

  append(name: string, value: string): this {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new RtspEncodeError(`invalid header name ${JSON.stringify(name)}`);
    if (/[\r\n]/.test(value)) throw new RtspEncodeError(`header ${name} contains CR or LF`);
    this.fields.push([name, value]);
    return this;
  }

  delete(name: string): void {
    const lower = name.toLowerCase();
    for (let i = this.fields.length - 1; i >= 0; i--) {
      if (this.fields[i][0].toLowerCase() === lower) this.fields.splice(i, 1);
    }
  }

  entries(): ReadonlyArray<readonly [string, string]> {
    return this.fields;
  }
}
