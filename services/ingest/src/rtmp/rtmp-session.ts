/**
 * One RTMP connection (Adobe RTMP spec 1.0): handshake (§5.2), then chunked messages (§5.3)
 * carrying the NetConnection/NetStream commands of a publisher (§7.2).
 *
 *   handshake ──C2──▶ connecting ──connect──▶ connected ──publish──▶ publishing
 *        any state ──error / socket close / kick──▶ closed     publishing ──unpublish──▶ connected
 *
 * Every handler asserts the states it allows. Received bytes are processed strictly in
 * order, one message at a time, including the asynchronous publish decision.
 */
import type { Logger } from '@streamgate/platform';
import {
  Amf0DecoderOptions, ChunkDecoder, ChunkEncoder, ChunkStreamId, MessageType, RtmpCommand, RtmpMessage, ServerHandshake,
  UserControlEvent, amf0Property, callError, connectResult, createStreamResult, decodeCommand, decodeProtocolControl,
  decodeUserControl, encodeProtocolControl, onFcPublish, pingResponse, playFailed, publishBadName, publishRejected, publishStart,
  simpleResult, streamBegin, unpublishSuccess,
} from '@streamgate/protocol-rtmp';
import { flvTagTypeOf } from '@streamgate/protocol-rtmp';
import type { Publication, PublishGate } from './publish-gate';
import { publishCredentials, streamNameFromPublishName } from './stream-key';

export type RtmpSessionState = 'handshake' | 'connecting' | 'connected' | 'publishing' | 'closed';

export class SessionStateError extends Error {
  constructor(readonly event: string, readonly state: RtmpSessionState, readonly allowed: readonly RtmpSessionState[]) {
    super(`${event} is not allowed in state ${state} (allowed: ${allowed.join(', ')})`);
    this.name = 'SessionStateError';
  }
}

export interface SessionTransport {
  write(bytes: Uint8Array): void;
  /** Flushes what was written, then closes. */
  end(): void;
  pause(): void;
  resume(): void;
}

export interface RtmpSessionOptions {
  id: string;
  transport: SessionTransport;
  gate: PublishGate;
  logger: Logger;
  /** Largest message accepted from the peer once its publish is accepted (also the largest chunk size it may set). */
  maxMessageSize: number;
  /**
   * Largest message before that (handshake, connect, publish commands need a few KiB): what a
   * peer that has not been allowed to publish can make us hold is 2 × this. Default 64 KiB.
   */
  preauthMaxMessageSize?: number;
  /** Our outgoing chunk size, announced after connect. Default 4096. */
  chunkSize?: number;
  /** Window Acknowledgement Size and Set Peer Bandwidth we announce. Default 2.5 MB. */
  windowAckSize?: number;
  onClosed?: (session: RtmpSession) => void;
  /** Peer address (access rules, logs). */
  remoteAddress?: string;
}

const AMF_LIMITS: Amf0DecoderOptions = { maxDepth: 16, maxValues: 4096 };
/** Queued socket reads before the socket is paused (only while a publish decision is pending). */
const MAX_QUEUED_READS = 64;
/** Replies sent by clients to our own calls, and notifications that need no answer. */
const IGNORED_COMMANDS = new Set(['_result', '_error', 'onBWDone', '_checkbw', 'onStatus', 'receiveAudio', 'receiveVideo']);

export class RtmpSession {
  readonly id: string;
  private stateValue: RtmpSessionState = 'handshake';
  private readonly handshake = new ServerHandshake({ now: () => Date.now() });
  private readonly decoder: ChunkDecoder;
  private readonly encoder = new ChunkEncoder();
  private readonly transport: SessionTransport;
  private readonly gate: PublishGate;
  private readonly logger: Logger;
  private readonly chunkSize: number;
  private readonly windowAckSize: number;
  private readonly onClosed?: (session: RtmpSession) => void;
  private readonly maxMessageSize: number;
  private readonly queue: Uint8Array[] = [];
  private draining = false;
  private paused = false;
  private app = '';
  /** The app as sent, query included (it may carry credentials: never logged). */
  private rawApp = '';
  private readonly remoteAddress: string;
  private nextStreamId = 1;
  private publishStreamId = 0;
  private publication: Publication | undefined;
  private bytesReceived = 0;
  private peerWindow = 0;
  private lastAck = 0;

  constructor(options: RtmpSessionOptions) {
    this.id = options.id;
    this.transport = options.transport;
    this.gate = options.gate;
    this.logger = options.logger;
    this.chunkSize = options.chunkSize ?? 4096;
    this.windowAckSize = options.windowAckSize ?? 2_500_000;
    this.onClosed = options.onClosed;
    this.remoteAddress = options.remoteAddress ?? '';
    this.maxMessageSize = options.maxMessageSize;
    const preauth = Math.min(options.preauthMaxMessageSize ?? 64 * 1024, options.maxMessageSize);
    this.decoder = new ChunkDecoder({ maxMessageSize: preauth, maxChunkSize: preauth, maxChunkStreams: 64 });
  }

  get state(): RtmpSessionState {
    return this.stateValue;
  }

  /** Name of the stream this session publishes, if it does. */
  get stream(): string | undefined {
    return this.publication?.stream;
  }

  /** Socket bytes in; processed in order, one message at a time. */
  receive(bytes: Uint8Array): void {
    if (this.stateValue === 'closed') return;
    this.queue.push(bytes);
    if (this.queue.length > MAX_QUEUED_READS && !this.paused) {
      this.paused = true;
      this.transport.pause();
    }
    if (!this.draining) void this.drain();
  }

  /** Ends the session (idempotent); ends its publication first. */
  close(reason: string): void {
    if (this.stateValue === 'closed') return;
    const wasPublishing = this.publication;
    this.stateValue = 'closed';
    this.queue.length = 0;
    // Partial messages go now, not when the socket object is collected.
    this.decoder.reset();
    this.publication = undefined;
    this.transport.end();
    if (wasPublishing) void wasPublishing.end(reason);
    this.logger.info({ session: this.id, stream: wasPublishing?.stream, reason }, 'rtmp session closed');
    this.onClosed?.(this);
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      for (let bytes = this.queue.shift(); bytes && this.state !== 'closed'; bytes = this.queue.shift()) {
        await this.process(bytes);
        if (this.paused && this.queue.length === 0) {
          this.paused = false;
          this.transport.resume();
        }
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.draining = false;
    }
  }

  /** Bad input ends this session only, with one clear log line. */
  private fail(err: unknown): void {
    if (this.stateValue === 'closed') return;
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    this.logger.warn({ session: this.id, stream: this.publication?.stream, state: this.stateValue }, `rtmp session error, closing: ${message}`);
    this.close('protocol error');
  }

  private async process(bytes: Uint8Array): Promise<void> {
    this.bytesReceived += bytes.byteLength;
    let chunkBytes: Uint8Array | undefined = bytes;
    if (this.stateValue === 'handshake') {
      const r = this.handshake.feed(bytes);
      if (r.send) this.transport.write(r.send);
      if (!r.done) return;
      this.stateValue = 'connecting';
      this.logger.debug({ session: this.id, mode: this.handshake.mode }, 'rtmp handshake done');
      chunkBytes = r.rest;
    }
    if (chunkBytes) {
      for (const msg of this.decoder.push(chunkBytes)) {
        if (this.state === 'closed') return;
        await this.handleMessage(msg);
      }
    }
    this.acknowledge();
  }

  /** §5.4.3: acknowledge once the peer's window of bytes has arrived since the last ack. */
  private acknowledge(): void {
    if (this.peerWindow === 0 || this.stateValue === 'closed' || this.bytesReceived - this.lastAck < this.peerWindow) return;
    this.lastAck = this.bytesReceived;
    this.send(encodeProtocolControl({ type: 'acknowledgement', sequenceNumber: this.bytesReceived % 0x100000000 }), ChunkStreamId.Control);
  }

  private expect(event: string, ...allowed: RtmpSessionState[]): void {
    if (!allowed.includes(this.stateValue)) throw new SessionStateError(event, this.stateValue, allowed);
  }

  private send(msg: RtmpMessage, csid: number): void {
    this.transport.write(this.encoder.encode(msg, csid));
  }

  private async handleMessage(msg: RtmpMessage): Promise<void> {
    switch (msg.typeId) {
      case MessageType.SetChunkSize:
      case MessageType.Abort:
      case MessageType.Acknowledgement:
      case MessageType.SetPeerBandwidth:
        // Chunk size and abort are applied by the decoder; the others need no action here.
        return;
      case MessageType.WindowAcknowledgementSize: {
        const ctl = decodeProtocolControl(msg);
        if (ctl.type === 'window-acknowledgement-size') this.peerWindow = ctl.windowSize;
        return;
      }
      case MessageType.UserControl:
        return this.onUserControl(msg);
      case MessageType.CommandAmf0:
      case MessageType.CommandAmf3:
        return this.onCommand(decodeCommand(msg, AMF_LIMITS), msg.streamId);
      case MessageType.Audio:
      case MessageType.Video:
      case MessageType.DataAmf0:
        return this.onMedia(msg);
      default:
        this.logger.debug({ session: this.id, typeId: msg.typeId }, 'ignoring rtmp message type');
    }
  }

  private onUserControl(msg: RtmpMessage): void {
    const uc = decodeUserControl(msg);
    // §6.2: a Ping Request is answered with the same timestamp.
    if (uc.event === UserControlEvent.PingRequest) this.send(pingResponse(uc.value), ChunkStreamId.Control);
  }

  private async onCommand(cmd: RtmpCommand, streamId: number): Promise<void> {
    switch (cmd.name) {
      case 'connect':
        return this.onConnect(cmd);
      case 'releaseStream':
      case 'FCPublish':
        this.expect(cmd.name, 'connected', 'publishing');
        if (cmd.name === 'FCPublish') {
          const name = typeof cmd.args[0] === 'string' ? streamNameFromPublishName(cmd.args[0]) : undefined;
          this.send(onFcPublish(name ?? ''), ChunkStreamId.Command);
        }
        if (cmd.transactionId > 0) this.send(simpleResult(cmd.transactionId), ChunkStreamId.Command);
        return;
      case 'createStream':
        this.expect(cmd.name, 'connected', 'publishing');
        this.send(createStreamResult(cmd.transactionId, this.nextStreamId++), ChunkStreamId.Command);
        return;
      case 'publish':
        return this.onPublish(cmd, streamId);
      case 'play':
      case 'play2':
        this.expect(cmd.name, 'connected', 'publishing');
        this.send(playFailed(streamId, 'this server only accepts publishing (RTMP push); play the stream over RTSP'), ChunkStreamId.Data);
        this.close('play refused');
        return;
      case 'FCUnpublish':
      case 'deleteStream':
      case 'closeStream':
        this.expect(cmd.name, 'connected', 'publishing');
        await this.unpublish(cmd.name);
        if (cmd.name === 'FCUnpublish' && cmd.transactionId > 0) this.send(simpleResult(cmd.transactionId), ChunkStreamId.Command);
        return;
      default:
        if (IGNORED_COMMANDS.has(cmd.name)) return;
        this.expect(cmd.name, 'connected', 'publishing');
        this.logger.debug({ session: this.id, command: cmd.name.slice(0, 64) }, 'unknown rtmp command');
        if (cmd.transactionId > 0) this.send(callError(cmd.transactionId, 'unknown command'), ChunkStreamId.Command);
    }
  }

  private onConnect(cmd: RtmpCommand): void {
    this.expect('connect', 'connecting');
    const app = amf0Property(cmd.commandObject, 'app');
    this.rawApp = typeof app === 'string' ? app.slice(0, 2048) : '';
    this.app = this.rawApp.split('?', 1)[0].slice(0, 256);
    const encoding = amf0Property(cmd.commandObject, 'objectEncoding');
    this.send(encodeProtocolControl({ type: 'window-acknowledgement-size', windowSize: this.windowAckSize }), ChunkStreamId.Control);
    this.send(encodeProtocolControl({ type: 'set-peer-bandwidth', windowSize: this.windowAckSize, limitType: 2 }), ChunkStreamId.Control);
    // §5.4.1: the new size applies to chunks after this message, so switch after encoding it.
    this.send(encodeProtocolControl({ type: 'set-chunk-size', chunkSize: this.chunkSize }), ChunkStreamId.Control);
    this.encoder.chunkSize = this.chunkSize;
    this.send(connectResult(cmd.transactionId, typeof encoding === 'number' ? encoding : 0), ChunkStreamId.Command);
    this.stateValue = 'connected';
  }

  private async onPublish(cmd: RtmpCommand, streamId: number): Promise<void> {
    this.expect('publish', 'connected');
    const publishName = cmd.args[0];
    const stream = typeof publishName === 'string' ? streamNameFromPublishName(publishName) : undefined;
    if (!stream) {
      this.refusePublish(streamId, 'invalid stream key: use 1-64 characters from A-Z, a-z, 0-9, "_" and "-"', undefined);
      return;
    }
    const decision = await this.gate.begin({
      stream, app: this.app, sessionId: this.id, disconnect: (reason) => this.close(reason),
      ip: this.remoteAddress, credentials: publishCredentials(publishName as string, this.rawApp),
    });
    if (!decision.accepted) {
      this.refusePublish(streamId, decision.reason, stream, decision.rejected === true);
      return;
    }
    if (this.stateValue === 'closed') {
      // The peer went away while the decision was pending.
      await decision.publication.end('disconnected');
      return;
    }
    this.publication = decision.publication;
    this.publishStreamId = streamId;
    this.stateValue = 'publishing';
    // Only an accepted publisher may send media-sized messages.
    this.decoder.setLimits({ maxMessageSize: this.maxMessageSize, maxChunkSize: this.maxMessageSize });
    this.send(streamBegin(streamId), ChunkStreamId.Control);
    this.send(publishStart(streamId, stream), ChunkStreamId.Data);
    this.logger.info({ session: this.id, stream, app: this.app, generation: decision.publication.generation }, 'rtmp publish started');
  }

  private refusePublish(streamId: number, reason: string, stream: string | undefined, rejected = false): void {
    // A rejection (access control, source kind) was already logged once, with the peer address, where it was decided.
    if (rejected) this.logger.debug({ session: this.id, stream }, `rtmp publish refused: ${reason}`);
    else this.logger.warn({ session: this.id, stream }, `rtmp publish refused: ${reason}`);
    this.send(rejected ? publishRejected(streamId, reason) : publishBadName(streamId, reason), ChunkStreamId.Data);
    this.close('publish refused');
  }

  private async unpublish(command: string): Promise<void> {
    const publication = this.publication;
    if (!publication) return;
    this.publication = undefined;
    this.stateValue = 'connected';
    this.send(unpublishSuccess(this.publishStreamId, publication.stream), ChunkStreamId.Data);
    await publication.end(command);
    this.logger.info({ session: this.id, stream: publication.stream }, 'rtmp publish stopped');
  }

  private onMedia(msg: RtmpMessage): void {
    const tagType = flvTagTypeOf(msg.typeId);
    if (this.stateValue !== 'publishing' || !this.publication || tagType === undefined || msg.streamId !== this.publishStreamId) {
      this.logger.debug({ session: this.id, typeId: msg.typeId, state: this.stateValue }, 'media outside a publish, dropped');
      return;
    }
    const refusal = this.publication.media(tagType, msg.timestamp, msg.payload);
    if (refusal !== undefined) {
      // onStatus error, then close: the publisher (OBS, ffmpeg) shows the description.
      this.send(publishRejected(this.publishStreamId, refusal), ChunkStreamId.Data);
      this.close(refusal);
    }
  }
}
