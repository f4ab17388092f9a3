/**
 * The certificate every TLS listener of the process serves (RTSPS, RTMPS, HTTPS for the API,
 * and HLS/WebRTC signalling when they run), from TLS_CERT_FILE / TLS_KEY_FILE.
 *
 * The files are polled (`pollFileChanges`: it follows the symlink swap Kubernetes does when a
 * Secret or cert-manager renews the certificate, which inotify on the old inode misses). A
 * changed pair is loaded and checked first, then every listener gets the new context through
 * `setSecureContext`: new handshakes use it, established connections keep theirs. A broken
 * pair (half-written, key not matching) is logged and the old certificate stays.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Server as HttpsServer, createServer as createHttpsServer } from 'node:https';
import type { RequestListener } from 'node:http';
import { Server as TlsServer, SecureContextOptions, TLSSocket, createServer as createTlsServer, createSecureContext } from 'node:tls';
import { pollFileChanges } from '../config/file-change-poll';

export class TlsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlsConfigError';
  }
}

export interface TlsCredentialsOptions {
  certFile: string;
  keyFile: string;
  /** How often the files are checked for a change, ms. */
  reloadIntervalMs: number;
  onReload?: (info: { fingerprint: string; validTo: string }) => void;
  onReloadError?: (err: Error) => void;
}

type SecureContextTarget = Pick<TlsServer, 'setSecureContext'>;

export class TlsCredentials {
  private material: SecureContextOptions;
  private fingerprintValue: string;
  private readonly servers = new Set<SecureContextTarget>();
  private readonly stopPoll: () => void;
  private closed = false;

  constructor(private readonly options: TlsCredentialsOptions) {
    const loaded = this.load();
    this.material = loaded.material;
    this.fingerprintValue = loaded.fingerprint;
    this.stopPoll = pollFileChanges([options.certFile, options.keyFile], options.reloadIntervalMs, () => this.reload());
  }

  /** SHA-256 fingerprint of the certificate being served. */
  get fingerprint(): string {
    return this.fingerprintValue;
  }

  /** Options for `tls.createServer` / `https.createServer` with the current certificate. */
  get secureContextOptions(): SecureContextOptions {
    return { ...this.material };
  }

  /** A TLS listener (RTSPS, RTMPS): `onSocket` gets each connection after its handshake. */
  createTlsServer(onSocket: (socket: TLSSocket) => void, handshakeTimeoutMs = 10_000): TlsServer {
    const server = createTlsServer({ ...this.material, handshakeTimeout: handshakeTimeoutMs }, onSocket);
    return this.track(server);
  }

  /** An HTTPS server for an HTTP framework's request listener (Express, Nest, plain node:http). */
  createHttpsServer(listener?: RequestListener): HttpsServer {
    return this.track(createHttpsServer({ ...this.material }, listener));
  }

  /** Keeps an already created TLS/HTTPS server on the current certificate across reloads. */
  track<S extends SecureContextTarget & { once(event: 'close', cb: () => void): unknown }>(server: S): S {
    this.servers.add(server);
    server.once('close', () => this.servers.delete(server));
    return server;
  }

  /** Loads the files again now (the poller calls this on a change). */
  reload(): void {
    if (this.closed) return;
    let loaded;
    try {
      loaded = this.load();
    } catch (err) {
      this.options.onReloadError?.(err as Error);
      return;
    }
    if (loaded.fingerprint === this.fingerprintValue && loaded.keyPem === String(this.material.key)) return;
    this.material = loaded.material;
    this.fingerprintValue = loaded.fingerprint;
    for (const s of this.servers) s.setSecureContext(this.material);
    this.options.onReload?.({ fingerprint: loaded.fingerprint, validTo: loaded.validTo });
  }

  close(): void {
    this.closed = true;
    this.stopPoll();
    this.servers.clear();
  }

  private load(): { material: SecureContextOptions; fingerprint: string; validTo: string; keyPem: string } {
    let certPem: string;
    let keyPem: string;
    try {
      certPem = readFileSync(this.options.certFile, 'utf8');
      keyPem = readFileSync(this.options.keyFile, 'utf8');
    } catch (err) {
      throw new TlsConfigError(`cannot read the TLS certificate or key: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(certPem);
    } catch {
      throw new TlsConfigError(`TLS_CERT_FILE ${this.options.certFile} is not a PEM certificate`);
    }
    try {
      if (!cert.checkPrivateKey(createPrivateKey(keyPem))) throw new TlsConfigError('TLS_KEY_FILE does not match TLS_CERT_FILE');
      // Throws on anything OpenSSL would refuse at handshake time.
      createSecureContext({ cert: certPem, key: keyPem });
    } catch (err) {
      if (err instanceof TlsConfigError) throw err;
      throw new TlsConfigError(`TLS_KEY_FILE ${this.options.keyFile} is not a usable private key for the certificate`);
    }
    return { material: { cert: certPem, key: keyPem }, fingerprint: cert.fingerprint256, validTo: cert.validTo, keyPem };
  }
}
