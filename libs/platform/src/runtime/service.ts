import type { Bus } from '../bus/bus';
import type { GatewayConfig } from '../config/config';
import type { Logger } from '../logging/logger';
import type { StateStore } from '../store/state-store';
import type { MetricsCatalog } from '../metrics/catalog';
import type { CameraUrlGuard } from '../security/camera-url-guard';
import type { SecretBox } from '../security/secret-box';
import type { TlsCredentials } from '../security/tls-credentials';
import type { AccessControl } from '../access/access-control';
import type { ConfigFileReloader } from '../config/config-file-reloader';

/** What every service is started with. The all-in-one builds one and gives it to all four. */
export interface ServiceContext {
  bus: Bus;
  store: StateStore;
  config: GatewayConfig;
  logger: Logger;
  /** The process's one metrics registry and every metric in it (bounded labels). */
  metrics: MetricsCatalog;
  /** Seals camera credentials at rest (SECRETS_KEY, or a key generated into DATA_DIR). */
  secrets: SecretBox;
  /** Where camera URLs may point (CAMERA_ALLOWED_NETWORKS); checked when added and on every connect. */
  cameraGuard: CameraUrlGuard;
  /** The certificate of every TLS listener; undefined when TLS_CERT_FILE/TLS_KEY_FILE are unset. */
  tls?: TlsCredentials;
  /** Who may read, publish, use the API and scrape metrics (one per process, reloadable). */
  access: AccessControl;
  /**
   * config.json and its hot reload, one per process (the all-in-one's services share it);
   * subscribe to apply a part of the file at start and on every reload.
   */
  configFile?: ConfigFileReloader;
}

export interface RunningService {
  readonly name: string;
  /** Stops accepting, releases what it holds, resolves when done. */
  stop(): Promise<void>;
  /**
   * SIGTERM of a service run alone: stop accepting and let clients leave on their own within
   * `timeoutMs` (a rolling update), before `stop()`. Optional: most services have nothing to drain.
   */
  drain?(timeoutMs: number): Promise<void>;
}

export type ServiceFactory = (ctx: ServiceContext) => Promise<RunningService>;
