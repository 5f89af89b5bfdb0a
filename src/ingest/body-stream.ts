// Reading a request body within limits, as a stream, for hostile input.
//
// - A declared Content-Length over the limit is refused before a byte is read (RFC 9110 §15.5.14,
//   413), and a body sent without one (chunked) is refused as soon as its bytes pass the limit:
//   an oversized body is never read to its end.
// - Content-Encoding gzip, deflate and br are decoded as a stream (RFC 9110 §8.4.1), and the
//   decoded bytes are counted as they come out of zlib: a small compressed "bomb" stops inflating
//   at the limit (zlib only inflates as fast as its output is consumed), then zlib is destroyed.
// - Other content codings are refused (RFC 9110 §15.5.16, 415).
//
// Answering before the body is fully read leaves unread bytes on the connection, and Node's HTTP
// server would read them to the end to reuse the connection; so when `complete` is false after an
// error (BodyTooLargeError.closeConnection is always true), the response must carry
// `Connection: close`. The request stream itself is left alive, not destroyed, so that the answer
// can still be sent.
import type { IncomingHttpHeaders } from 'node:http';
import { Readable, pipeline, type Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { InvalidRequestError, PalisadeError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors.js';

export interface BodyLimits {
  /** bytes on the wire (after any transfer coding, before any content coding) */
  maxBytes: number;
  /** bytes after the content coding is removed */
  maxDecompressedBytes: number;
}

/** What the body is read from: an http.IncomingMessage, or any readable with request headers. */
export type BodySource = Readable & { headers: IncomingHttpHeaders };

export type ContentCoding = 'identity' | 'gzip' | 'deflate' | 'br';

/** Which limit a body passed. */
export type BodyLimit = 'content-length' | 'raw' | 'decompressed';

/** 413. The body was not read to its end: close the connection after answering. */
export class BodyTooLargeError extends PayloadTooLargeError {
  readonly closeConnection = true;
  constructor(
    readonly limit: BodyLimit,
    readonly maxBytes: number,
  ) {
    super(
      limit === 'decompressed'
        ? `The request body is larger than ${maxBytes} bytes once decompressed.`
        : `The request body exceeds the ${maxBytes} bytes this API root accepts (max_content_length).`,
      { details: { limit, max_bytes: maxBytes } },
    );
  }
}

/** 415: a content coding this server does not decode. */
export class UnsupportedContentEncodingError extends UnsupportedMediaTypeError {
  constructor(readonly encoding: string) {
    super(`The Content-Encoding ${JSON.stringify(encoding)} is not supported; send identity, gzip, deflate or br.`, {
      details: { content_encoding: encoding },
    });
  }
}

/** 400: the body is not valid data of its declared content coding (corrupt or truncated). */
export class BodyDecodingError extends InvalidRequestError {
  constructor(
    readonly encoding: ContentCoding,
    cause: unknown,
  ) {
    super(`The request body is not valid ${encoding} data.`, { cause });
  }
}

/** 400: the body was not received completely (the client went away or the stream failed). */
export class BodyAbortedError extends InvalidRequestError {
  constructor(cause: unknown) {
    super('The request body was not received completely.', { cause });
  }
}

/** The decoded body as chunks; iterate it once. */
export interface LimitedBody extends AsyncIterable<Buffer> {
  readonly encoding: ContentCoding;
  /** bytes read from the request so far */
  readonly rawBytes: number;
  /** bytes handed out so far, after decoding */
  readonly decodedBytes: number;
  /** true once the request body has been read to its end; if false, close the connection */
  readonly complete: boolean;
}

/** zlib output chunk size: fewer, larger chunks for the tokenizer; the limit overshoot stays small. */
const ZLIB_CHUNK = 64 * 1024;

/**
 * Checks the headers at once (throws BodyTooLargeError for a declared Content-Length over the
 * limit, UnsupportedContentEncodingError for an unknown coding) and returns the body to iterate.
 */
export function readLimitedBody(req: BodySource, opts: BodyLimits): LimitedBody {
  const encoding = contentCoding(req.headers['content-encoding']);
  // Without a content coding the decoded bytes are the raw bytes: max_content_length alone bounds
  // them (max_decompressed_bytes is about what a compressed body expands to).
  const rawLimit = opts.maxBytes;
  const declared = req.headers['content-length'];
  if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > rawLimit) {
    throw new BodyTooLargeError('content-length', rawLimit);
  }
  return new Body(req, encoding, rawLimit, encoding === 'identity' ? opts.maxBytes : opts.maxDecompressedBytes);
}

/** RFC 9110 §8.4: the codings in the order they were applied; one (besides identity) is accepted. */
export function contentCoding(header: string | undefined): ContentCoding {
  if (header === undefined) return 'identity';
  const codings = header
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0) return 'identity';
  if (codings.length > 1) throw new UnsupportedContentEncodingError(header.trim());
  const [coding] = codings;
  if (coding === 'gzip' || coding === 'x-gzip') return 'gzip'; // §8.4.1.3: x-gzip is an alias
  if (coding === 'deflate' || coding === 'br') return coding;
  throw new UnsupportedContentEncodingError(header.trim());
}

class Body implements LimitedBody {
  rawBytes = 0;
  decodedBytes = 0;
  complete = false;
  private started = false;

  constructor(
    private readonly req: BodySource,
    readonly encoding: ContentCoding,
    private readonly rawLimit: number,
    private readonly decodedLimit: number,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    if (this.started) throw new Error('a request body can be read only once');
    this.started = true;
    const gen = this.encoding === 'identity' ? this.raw() : this.decoded(decoder(this.encoding));
    return gen[Symbol.asyncIterator]();
  }

  /** The request's bytes, counted; the request is not destroyed when reading stops early. */
  private async *raw(): AsyncGenerator<Buffer, void, undefined> {
    try {
      for await (const chunk of this.req.iterator({ destroyOnReturn: false })) {
        const buf: Buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
        this.rawBytes += buf.length;
        if (this.rawBytes > this.rawLimit) throw new BodyTooLargeError('raw', this.rawLimit);
        if (this.encoding === 'identity') this.decodedBytes = this.rawBytes;
        yield buf;
      }
    } catch (err) {
      throw err instanceof PalisadeError ? err : new BodyAbortedError(err);
    }
    this.complete = true;
  }

  private async *decoded(z: Transform): AsyncGenerator<Buffer, void, undefined> {
    let failure: unknown;
    const source = Readable.from(this.raw(), { objectMode: false });
    pipeline(source, z, (err) => {
      failure ??= err ?? undefined;
    });
    try {
      for await (const chunk of z) {
        this.decodedBytes += (chunk as Buffer).length;
        // Counted as zlib produces it: inflation stops here, whatever the compressed size.
        if (this.decodedBytes > this.decodedLimit) throw new BodyTooLargeError('decompressed', this.decodedLimit);
        yield chunk as Buffer;
      }
    } catch (err) {
      const first = err instanceof PalisadeError ? err : (failure ?? err);
      if (first instanceof PalisadeError) throw first;
      if (isCodingError(first)) throw new BodyDecodingError(this.encoding, first);
      throw new BodyAbortedError(first);
    } finally {
      z.destroy();
      source.destroy();
    }
  }
}

function decoder(encoding: Exclude<ContentCoding, 'identity'>): Transform {
  switch (encoding) {
    case 'gzip':
      return createGunzip({ chunkSize: ZLIB_CHUNK });
    case 'deflate':
      // RFC 9110 §8.4.1.2: "deflate" is the zlib format (RFC 1950), not a raw deflate stream.
      return createInflate({ chunkSize: ZLIB_CHUNK });
    case 'br':
      return createBrotliDecompress({ chunkSize: ZLIB_CHUNK });
  }
}

function isCodingError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' && (code.startsWith('Z_') || code.startsWith('ERR_BROTLI') || code.startsWith('ERR__'))
  );
}
