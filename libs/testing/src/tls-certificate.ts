import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export interface TestCertificate {
  certFile: string;
  keyFile: string;
}

/**
 * A self-signed certificate for 127.0.0.1/localhost made with the openssl CLI
 * (`openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=<cn>
 *  -addext subjectAltName=IP:127.0.0.1,DNS:localhost`), written into `dir`.
 */
export function makeSelfSignedCertificate(dir: string, cn = 'streamgate-test', name = 'server'): TestCertificate {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', `/CN=${cn}`, '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'pipe', timeout: 15_000 });
  return { certFile, keyFile };
}
