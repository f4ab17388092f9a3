/**
 * FLV TagType (FLV spec v10.1 §E.4.1): the same numbers as the RTMP message type ids that
 * carry them (RTMP spec §7.1.3-§7.1.5: audio 8, video 9, AMF0 data 18). The one name for it.
 */
export const FlvTagType = { Audio: 8, Video: 9, Script: 18 } as const;
export type FlvTagType = (typeof FlvTagType)[keyof typeof FlvTagType];

/** The FLV tag type an RTMP message carries, or undefined for every other message type. */
export function flvTagTypeOf(messageTypeId: number): FlvTagType | undefined {
  return messageTypeId === 8 || messageTypeId === 9 || messageTypeId === 18 ? messageTypeId : undefined;
}
