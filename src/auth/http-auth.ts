// Authentication of HTTP requests through passport: HTTP Basic (RFC 7617: the scheme matched
// exactly and case-insensitively; the password is everything after the first colon, so passwords
// may contain colons), API tokens as `Bearer` (RFC 6750) or `Token` (the scheme taxii2-client
// sends), and verified client certificates. Failures are throttled per account and per address,
// logged with both (never the secret), and answered 401 by the error middleware.
import type { IncomingMessage } from 'node:http';
import type { Request, RequestHandler } from 'express';
import passport from 'passport';
import type { Logger } from 'pino';
import type { AuditLog } from '../access/audit-log.js';
import { UnauthenticatedError } from '../errors.js';
import { requestIdOf } from '../http/request-id.js';
import { clientCertificate, type ClientCertificate } from '../http/tls.js';
import type { Authenticator, Outcome } from './authenticator.js';
import type { Principal } from './principal.js';
import type { LoginThrottle } from './throttle.js';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The schemes failures are counted under: a fixed set, never what the client wrote. */
export type LoginScheme = 'basic' | 'token' | 'certificate' | 'other' | 'metrics-token';

/** Where failed sign-ins are counted (the metrics, src/ops/metrics.ts). */
export interface LoginFailureCounter {
  loginFailed(scheme: LoginScheme): void;
}

const COUNTED_SCHEMES: ReadonlySet<string> = new Set(['basic', 'token', 'certificate']);

/** What a request's credentials prove: who it is, or why not (with the account named, if any). */
export interface Attempt {
  account?: string;
  outcome: Outcome;
  /** how the request tried to authenticate, as failures are logged and counted */
  method: string;
}

export interface Identification {
  auth: Authenticator;
  throttle: LoginThrottle;
  /** a password is accepted only if it was verified recently: no scrypt is run (a failure otherwise) */
  rememberedOnly?: boolean;
}

function addressOf(req: Request): string | undefined {
  return req.ip ?? req.socket.remoteAddress;
}

/**
 * The client certificate of the request's TLS connection (src/http/tls.ts): only a `verified` one
 * (chain to the configured CA, within its validity) may name an account, by its SHA-256 fingerprint
 * or its subject DN in RFC 4514 form (`CN=sync,O=ACN`).
 */
function peerCertificate(req: IncomingMessage): ClientCertificate {
  return clientCertificate(req.socket);
}

/**
 * Checks the credentials of a request, with no effect of its own: a failure is returned, and
 * recording it (throttle, log, audit, metrics) is the caller's part. undefined: the request carries
 * no credentials at all. Throws TooManyRequestsError while the account or address is throttled.
 * Needs only the Node request, so that the lean path (src/taxii/routes/lean-routes.ts) shares it.
 */
export async function identify(
  req: IncomingMessage,
  address: string | undefined,
  id: Identification,
): Promise<Attempt | undefined> {
  const header = req.headers.authorization;
  const cert = peerCertificate(req);
  // client_certificates: require makes a verified certificate a precondition of every method.
  if (cert.required && cert.state !== 'verified') {
    const why = cert.state === 'none' ? 'none presented' : cert.reason;
    return { outcome: { failure: `client certificate required: ${why}` }, method: 'certificate' };
  }
  // An Authorization header, when present, decides alone; a certificate authenticates only
  // requests without one (so a shared client certificate plus Basic acts as the Basic user).
  if (header === undefined) {
    if (cert.state === 'none') return undefined;
    // Certificate attempts count against the address like any other sign-in.
    id.throttle.check(undefined, address);
    if (cert.state === 'rejected')
      return { outcome: { failure: `client certificate not verified: ${cert.reason}` }, method: 'certificate' };
    const outcome = await id.auth.certificate(cert.fingerprint, cert.subject);
    // Name the certificate in the log so that an administrator can map it (neither is a secret).
    const logged =
      'failure' in outcome
        ? { failure: `${outcome.failure}: ${cert.subject ?? '(empty subject)'} ${cert.fingerprint}` }
        : outcome;
    return { outcome: logged, method: 'certificate' };
  }
  const m = /^([A-Za-z]+) +(\S+) *$/.exec(header);
  const scheme = m?.[1]?.toLowerCase();
  const value = m?.[2] ?? '';
  if (scheme === 'basic') {
    const decoded = BASE64.test(value) ? Buffer.from(value, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    if (colon <= 0) return { outcome: { failure: 'malformed Basic credentials' }, method: 'basic' };
    const account = decoded.slice(0, colon);
    id.throttle.check(account, address);
    const outcome = await id.auth.password(account, decoded.slice(colon + 1), id.rememberedOnly === true);
    return { account, outcome, method: 'basic' };
  }
  if (scheme === 'bearer' || scheme === 'token') {
    id.throttle.check(undefined, address);
    const outcome = await id.auth.token(value);
    return { ...(outcome.account !== undefined ? { account: outcome.account } : {}), outcome, method: 'token' };
  }
  return { outcome: { failure: 'unsupported authorization scheme' }, method: scheme ?? 'unknown' };
}

class CredentialsStrategy extends passport.Strategy {
  constructor(
    private readonly id: Identification,
    private readonly log: Logger,
    private readonly audit: AuditLog,
    private readonly counter: LoginFailureCounter | undefined,
  ) {
    super();
  }

  override authenticate(req: Request): void {
    this.attempt(req).then(
      (principal) => (principal ? this.success(principal) : this.fail(401)),
      (err: unknown) => this.error(err),
    );
  }

  private async attempt(req: Request): Promise<Principal | undefined> {
    const address = addressOf(req);
    const a = await identify(req, address, this.id);
    return a === undefined ? undefined : this.settle(req, address, a);
  }

  private settle(req: Request, address: string | undefined, a: Attempt): Principal | undefined {
    if ('principal' in a.outcome) return a.outcome.principal;
    const method = a.method;
    this.id.throttle.failed(a.account, address);
    this.counter?.loginFailed(COUNTED_SCHEMES.has(method) ? (method as LoginScheme) : 'other');
    this.log.warn(
      { account: a.account, address, method, reason: a.outcome.failure, path: req.path },
      'authentication failed',
    );
    this.audit.record({
      action: 'auth.failure',
      outcome: 'denied',
      ...(req.res ? { requestId: requestIdOf(req.res) } : {}),
      ...(a.account !== undefined ? { actor: a.account } : {}),
      ...(address !== undefined ? { address } : {}),
      target: req.path.slice(0, 200),
      detail: { method, reason: a.outcome.failure },
    });
    return undefined;
  }
}

export function authenticate(
  auth: Authenticator,
  throttle: LoginThrottle,
  log: Logger,
  audit: AuditLog,
  counter?: LoginFailureCounter,
): RequestHandler {
  const pp = new passport.Passport();
  pp.use('palisade', new CredentialsStrategy({ auth, throttle }, log, audit, counter));
  return (req, res, next) => {
    pp.authenticate('palisade', { session: false }, (err: unknown, principal: Principal | false) => {
      if (err) return next(err);
      if (!principal)
        return next(
          new UnauthenticatedError('Valid credentials are required (HTTP Basic, a token, or a client certificate).'),
        );
      res.locals.principal = principal;
      next();
    })(req, res, next);
  };
}
