// HTTPS with optional client certificates (mutual TLS). TAXII 2.1 §8.2.2 requires HTTPS with TLS 1.2
// or later and no 0-RTT (Node's TLS has no early data), and §8.3.1 lets a server authenticate
// clients by certificate, verified as RFC 5280 path validation by default.
//
// The server asks every client for a certificate (requestCert) but does not fail the handshake when
// it sends none or one that does not verify (rejectUnauthorized: false): a Basic or token client
// then still gets in, and a rejected certificate gets a TAXII 401 error resource instead of a TLS
// alert that no client library reports usefully. Only a certificate that OpenSSL verified against
// the configured CA bundle (`socket.authorized === true`: a chain up to that bundle, every
// signature, the validity period, and the purpose "TLS client") ever names a user; an expired or
// foreign certificate never does.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type ServerOptions } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSecureContext, type TLSSocket } from 'node:tls';
import type { TlsConfig } from '../config/load-config.js';
import { ConfigError } from '../errors.js';

/** What a client must show: `none` when no CA is configured (no certificate is asked for). */
export type ClientCertificateMode = 'none' | 'request' | 'require';

/** The PEM texts read at start-up, ready for the TLS context. */
export interface TlsMaterial {
  cert: string;
  key: string;
  ca?: string;
  clientCertificates: ClientCertificateMode;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Reads and checks the certificate, key and CA files once, at start-up, so that a missing file, a
 * key that does not belong to the certificate or an empty CA bundle stops the start (exit 2) with
 * every problem listed, instead of failing on the first handshake.
 */
export function readTlsMaterial(tls: TlsConfig): TlsMaterial {
  const problems: string[] = [];
  const read = (key: string, file: string): string | undefined => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      problems.push(`server.tls.${key}: cannot read ${file}: ${(err as Error).message}`);
      return undefined;
    }
  };
  const cert = read('cert', tls.cert);
  const key = read('key', tls.key);
  const ca = tls.ca !== undefined ? read('ca', tls.ca) : undefined;

  let leaf: X509Certificate | undefined;
  if (cert !== undefined) {
    const first = cert.match(PEM_CERTIFICATE)?.[0];
    if (first === undefined) problems.push(`server.tls.cert: ${tls.cert} holds no PEM certificate`);
    else {
      try {
        leaf = new X509Certificate(first);
      } catch (err) {
        problems.push(`server.tls.cert: ${tls.cert}: ${(err as Error).message}`);
      }
    }
  }
  let privateKey: KeyObject | undefined;
  if (key !== undefined) {
    try {
      privateKey = createPrivateKey(key);
    } catch (err) {
      problems.push(`server.tls.key: ${tls.key} is not an unencrypted PEM private key: ${(err as Error).message}`);
    }
  }
  if (leaf && privateKey && !leaf.checkPrivateKey(privateKey)) {
    problems.push(`server.tls.key: ${tls.key} is not the private key of the certificate in ${tls.cert}`);
  }
  if (ca !== undefined) {
    const blocks = ca.match(PEM_CERTIFICATE) ?? [];
    if (blocks.length === 0) problems.push(`server.tls.ca: ${tls.ca} holds no PEM certificate`);
    for (const [i, block] of blocks.entries()) {
      try {
        new X509Certificate(block);
      } catch (err) {
        problems.push(`server.tls.ca: certificate ${i + 1} in ${tls.ca}: ${(err as Error).message}`);
      }
    }
  }
  if (tls.clientCertificates === 'require' && tls.ca === undefined) {
    problems.push(
      'server.tls.client_certificates: "require" needs server.tls.ca, the CA that issues client certificates',
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const material: TlsMaterial = {
    cert: cert as string,
    key: key as string,
    ...(ca !== undefined ? { ca } : {}),
    clientCertificates: ca === undefined ? 'none' : tls.clientCertificates,
  };
  try {
    createSecureContext(httpsServerOptions(material));
  } catch (err) {
    throw new ConfigError([
      `server.tls: the certificate, key and CA do not make a TLS context: ${(err as Error).message}`,
    ]);
  }
  return material;
}

/**
 * TLS 1.3 suites (all AEAD), then for TLS 1.2 only forward-secret ECDHE/DHE key exchange with AEAD
 * ciphers: TAXII 2.1 §8.2.2 says a server SHOULD NOT negotiate the suites listed in RFC 7540
 * Appendix A, which Node's default list (CBC suites) does not exclude.
 */
const CIPHERS = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_AES_128_GCM_SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'DHE-RSA-AES256-GCM-SHA384',
  'DHE-RSA-AES128-GCM-SHA256',
].join(':');

/**
 * The options of the HTTPS server. TLS 1.2 is the floor (TAXII 2.1 §8.2.2; RFC 8996 retires 1.0 and
 * 1.1). `ca` replaces Node's bundled public roots as the trust anchors for client certificates, so
 * only certificates issued under the configured CA can verify; without a CA no client certificate
 * is asked for at all (a public CA must never vouch for a TAXII user).
 */
export function httpsServerOptions(m: TlsMaterial): ServerOptions {
  return {
    cert: m.cert,
    key: m.key,
    ...(m.ca !== undefined ? { ca: m.ca } : {}),
    minVersion: 'TLSv1.2',
    ciphers: CIPHERS,
    honorCipherOrder: true,
    requestCert: m.clientCertificates !== 'none',
    rejectUnauthorized: false,
  };
}

/** Sockets of servers whose configuration requires a verified client certificate on every request. */
const REQUIRED = new WeakSet<TLSSocket>();

/**
 * An HTTPS server with {@link httpsServerOptions}, which records on each connection whether a
 * certificate is required. `extra` adds options that are not about TLS material (HTTP limits and
 * timeouts, src/http/limits.ts); it cannot override the TLS options.
 */
export function createHttpsServer(
  m: TlsMaterial,
  listener: (req: IncomingMessage, res: ServerResponse) => void,
  extra: ServerOptions = {},
): Server {
  const server = createServer({ ...extra, ...httpsServerOptions(m) }, listener);
  if (m.clientCertificates === 'require') {
    // Before the HTTP parser sees the connection, so no request on it is handled unmarked.
    server.prependListener('secureConnection', (socket: TLSSocket) => REQUIRED.add(socket));
  }
  return server;
}

export type ClientCertificate = { required: boolean } & (
  | { state: 'none' }
  | { state: 'rejected'; reason: string }
  | { state: 'verified'; fingerprint: string; subject?: string }
);

/**
 * The client certificate of the connection a request came on. `verified` only when OpenSSL
 * verified it (`authorized`); an expired, not yet valid or foreign-CA certificate is `rejected` with
 * OpenSSL's reason (CERT_HAS_EXPIRED, UNABLE_TO_VERIFY_LEAF_SIGNATURE, ...). Plain HTTP: `none`.
 */
export function clientCertificate(socket: unknown): ClientCertificate {
  const s = socket as Partial<TLSSocket>;
  if (s.encrypted !== true || typeof s.getPeerX509Certificate !== 'function') return { required: false, state: 'none' };
  const required = REQUIRED.has(s as TLSSocket);
  const cert = s.getPeerX509Certificate();
  if (!cert) return { required, state: 'none' };
  if (s.authorized !== true) {
    const reason = s.authorizationError;
    return {
      required,
      state: 'rejected',
      reason: reason instanceof Error ? reason.message : String(reason ?? 'not verified'),
    };
  }
  const subject = distinguishedName(cert.subject);
  return {
    required,
    state: 'verified',
    fingerprint: `sha256:${cert.fingerprint256.replace(/:/g, '').toLowerCase()}`,
    ...(subject !== undefined ? { subject } : {}),
  };
}

/**
 * The string form of a subject DN (RFC 4514 §2, as RFC 2253 before it): the RDNs from the last one
 * in the certificate to the first, joined by `,`, the members of a multi-valued RDN by `+`, for
 * example `CN=sync,O=ACN` for a certificate whose subject is O=ACN, CN=sync. This is what
 * `openssl x509 -noout -subject -nameopt RFC2253,-esc_msb` prints (with plain `-nameopt RFC2253`,
 * OpenSSL escapes non-ASCII bytes as `\C3\AB`; here they stay UTF-8).
 *
 * `subject` is Node's `X509Certificate.subject`: one RDN per line in certificate order, members of a
 * multi-valued RDN separated by ` + `, values escaped as RFC 2253 §2.4 asks (`\,` `\+` `\"` `\\`
 * `\<` `\>` `\;`, a leading `#` or space, a trailing space) and control characters as `\0A`, so
 * neither a newline nor an unescaped `+` can occur inside a value and the split below is exact.
 * Undefined for an empty subject, which must never match a configured DN.
 */
export function distinguishedName(subject: string): string | undefined {
  if (subject === '') return undefined;
  return subject
    .split('\n')
    .reverse()
    .map((rdn) => members(rdn).reverse().join('+'))
    .join(',');
}

/** The `type=value` members of one printed RDN, split at the unescaped ` + ` separators. */
function members(rdn: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < rdn.length; i++) {
    if (rdn[i] === '\\') i++;
    else if (rdn.startsWith(' + ', i)) {
      out.push(rdn.slice(start, i));
      start = i + 3;
      i += 2;
    }
  }
  out.push(rdn.slice(start));
  return out;
}
