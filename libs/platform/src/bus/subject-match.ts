import { InvalidSubjectError } from './bus';

/** NATS subject rules: non-empty tokens without whitespace; wildcards only in subscriptions. */
export function validateSubject(subject: string, allowWildcards: boolean): string[] {
  if (subject.length === 0) throw new InvalidSubjectError(subject, 'empty');
  const tokens = subject.split('.');
  tokens.forEach((t, i) => {
    if (t.length === 0) throw new InvalidSubjectError(subject, 'empty token');
    if (/\s/.test(t)) throw new InvalidSubjectError(subject, 'whitespace');
    if (t === '*' || t === '>') {
      if (!allowWildcards) throw new InvalidSubjectError(subject, 'wildcards are only allowed when subscribing');
      if (t === '>' && i !== tokens.length - 1) throw new InvalidSubjectError(subject, '">" must be the last token');
    }
  });
  return tokens;
}

/** Whether a concrete subject matches a subscription pattern (tokens pre-split). */
export function subjectMatches(pattern: readonly string[], subject: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p === '>') return subject.length > i;
    if (i >= subject.length) return false;
    if (p !== '*' && p !== subject[i]) return false;
  }
  return pattern.length === subject.length;
}
