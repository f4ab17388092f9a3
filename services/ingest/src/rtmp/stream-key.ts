import { isValidStreamName } from '@streamgate/contracts';
import type { PublishCredentials } from './publish-gate';

/**
 * The stream name of a publish request. Publishers put the key in the publish name, possibly
 * with a path and a query (`live/abc?token=...` from rtmp://host/live/live/abc?token=...):
 * the name is the last path segment without the query. The raw publish name may hold a
 * secret, so it is never logged; only the result is.
 */
export function streamNameFromPublishName(publishName: string): string | undefined {
  const withoutQuery = publishName.split('?', 1)[0];
  const segments = withoutQuery.split('/');
  const name = segments[segments.length - 1];
  return isValidStreamName(name) ? name : undefined;
}

const CREDENTIAL_PARAMS = ['user', 'pass', 'token', 'jwt'];

/**
 * Credentials a publisher put in its URL: `rtmp://host/live/key?user=u&pass=p`, `?token=t` (the
 * key's token from POST /start, or a JWT), `?jwt=`. OBS and ffmpeg send the query as part of the
 * publish name; some tools put it on the app (`rtmp://host/live?user=u&pass=p/key`), so both are
 * read, the publish name winning.
 */
export function publishCredentials(publishName: string, app: string): PublishCredentials {
  const params = new URLSearchParams();
  for (const source of [app, publishName]) {
    const q = source.indexOf('?');
    if (q < 0) continue;
    for (const [k, v] of new URLSearchParams(source.slice(q + 1).split('/', 1)[0])) params.set(k, v);
  }
  const out: PublishCredentials = { query: '' };
  const user = params.get('user');
  const pass = params.get('pass');
  const token = params.get('token') ?? params.get('jwt');
  if (user !== null) out.user = user;
  if (pass !== null) out.pass = pass;
  if (token !== null) out.token = token;
  for (const k of CREDENTIAL_PARAMS) params.delete(k);
  out.query = params.toString();
  return out;
}
