import { z } from 'zod';
import { AudioSpecificConfigError, parseAudioSpecificConfig } from '@streamgate/codec';
import type { Format, SdpTrack, UnsupportedTrack } from '@streamgate/media';

/**
 * A source's tracks as typed formats on the bus (`source-started`, `ingest.<s>.source`): what
 * ingest read once from the camera's SDP (the media model's `readSdpFormats`), so the
 * packetizer never reads SDP again. JSON: parameter sets base64, AudioSpecificConfig hex.
 * `track` is the media section index, the `track` of every RtpBatchMessage.
 */
const Base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/).max(16 * 1024);
const Common = {
  track: z.number().int().min(0).max(255),
  payload_type: z.number().int().min(0).max(127),
  clock_rate: z.number().int().positive().max(1_000_000),
};

export const SourceFormat = z.discriminatedUnion('codec', [
  z.object({ codec: z.literal('H264'), ...Common, packetization_mode: z.number().int().min(0).max(1), sps: Base64.optional(), pps: Base64.optional() }),
  z.object({ codec: z.literal('H265'), ...Common, vps: Base64.optional(), sps: Base64.optional(), pps: Base64.optional() }),
  z.object({
    codec: z.literal('MPEG4-GENERIC'), ...Common, config: z.string().regex(/^([0-9a-f]{2}){2,64}$/i),
    size_length: z.number().int().min(1).max(16), index_length: z.number().int().min(0).max(16), index_delta_length: z.number().int().min(0).max(16),
  }),
]);
export type SourceFormat = z.infer<typeof SourceFormat>;

/** Whether a format's track is video or audio. */
export function sourceFormatMedia(f: SourceFormat): 'video' | 'audio' {
  return f.codec === 'MPEG4-GENERIC' ? 'audio' : 'video';
}

/** A media section the source has and we do not carry, with why (status `unsupported_tracks`). */
export const UnsupportedSourceTrack = z.object({
  index: z.number().int().min(0).max(255),
  media: z.string().max(32),
  codec: z.string().max(64),
  reason: z.string().max(200),
});
export type UnsupportedSourceTrack = z.infer<typeof UnsupportedSourceTrack>;

const b64 = (b: Uint8Array | undefined): string | undefined => (b ? Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64') : undefined);
const bytes = (s: string | undefined): Uint8Array | undefined => (s === undefined ? undefined : Uint8Array.from(Buffer.from(s, 'base64')));
const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

export function sourceFormatOf(track: Pick<SdpTrack, 'index' | 'format'>): SourceFormat {
  const f = track.format;
  const common = { track: track.index, payload_type: f.payloadType, clock_rate: f.clockRate };
  switch (f.codec) {
    case 'H264':
      return defined({ codec: 'H264', ...common, packetization_mode: f.packetizationMode, sps: b64(f.parameterSets.sps), pps: b64(f.parameterSets.pps) });
    case 'H265':
      return defined({ codec: 'H265', ...common, vps: b64(f.parameterSets.vps), sps: b64(f.parameterSets.sps), pps: b64(f.parameterSets.pps) });
    case 'MPEG4-GENERIC':
      return {
        codec: 'MPEG4-GENERIC', ...common, config: Buffer.from(f.asc).toString('hex'),
        size_length: f.sizeLength, index_length: f.indexLength, index_delta_length: f.indexDeltaLength,
      };
  }
}

export function unsupportedSourceTrackOf(u: UnsupportedTrack): UnsupportedSourceTrack {
  return { index: u.index, media: u.media, codec: u.codec, reason: u.reason.slice(0, 200) };
}

/** Thrown when a schema-valid format does not describe a usable track (an unparsable AudioSpecificConfig). */
export class SourceFormatError extends Error {
  constructor(detail: string) {
    super(`source format: ${detail}`);
    this.name = 'SourceFormatError';
  }
}

/** The typed format back (parameter sets and AudioSpecificConfig as bytes). */
export function formatOfSource(s: SourceFormat): { index: number; format: Format } {
  const common = { payloadType: s.payload_type, clockRate: s.clock_rate };
  switch (s.codec) {
    case 'H264':
      return { index: s.track, format: { media: 'video', codec: 'H264', ...common, packetizationMode: s.packetization_mode, parameterSets: defined({ sps: bytes(s.sps), pps: bytes(s.pps) }) } };
    case 'H265':
      return { index: s.track, format: { media: 'video', codec: 'H265', ...common, parameterSets: defined({ vps: bytes(s.vps), sps: bytes(s.sps), pps: bytes(s.pps) }) } };
    case 'MPEG4-GENERIC': {
      const asc = Uint8Array.from(Buffer.from(s.config, 'hex'));
      let parsed;
      try {
        parsed = parseAudioSpecificConfig(asc);
      } catch (err) {
        if (err instanceof AudioSpecificConfigError) throw new SourceFormatError(err.message);
        throw err;
      }
      return {
        index: s.track,
        format: { media: 'audio', codec: 'MPEG4-GENERIC', ...common, asc, parsed, sizeLength: s.size_length, indexLength: s.index_length, indexDeltaLength: s.index_delta_length },
      };
    }
  }
}
