import { statSync } from 'node:fs';

/**
 * Polls files for a change (mounted Secrets: AUTH_USERS, TLS_CERT_FILE/TLS_KEY_FILE). `stat`
 * follows the `..data` symlink swap Kubernetes does on an update, which inotify on the old inode
 * misses. The baseline is taken now, in the call: `fs.watchFile` takes its first stat later, so
 * an edit made right after it was started became its baseline and was never seen (seen under
 * load). Returns the function that stops the poll; the timer does not hold the process open.
 */
export function pollFileChanges(files: readonly string[], intervalMs: number, onChange: () => void): () => void {
  const last = files.map(statKey);
  const timer = setInterval(() => {
    let changed = false;
    files.forEach((file, i) => {
      const now = statKey(file);
      if (now !== last[i]) changed = true;
      last[i] = now;
    });
    if (changed) onChange();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** What changes when a file is edited or a mounted Secret's symlink is swapped (stat follows it). */
function statKey(file: string): string {
  try {
    const st = statSync(file);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return 'absent';
  }
}
