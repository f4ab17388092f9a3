import { isValidStreamName } from '@streamgate/contracts';

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
