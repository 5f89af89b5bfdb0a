// Hostile request bodies: the limited, decoding body stream (body-stream.ts) and the streaming
// envelope reader (envelope-reader.ts), with the bad-input corpus, compression bombs, oversized
// bodies over real HTTP, and a 200 MB envelope read within bounded memory.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  brotliCompressSync,
  constants as zlibConstants,
  createBrotliCompress,
  createDeflate,
  createGzip,
  deflateSync,
  gzipSync,
  type Gzip,
} from 'node:zlib';
import type { PalisadeError } from '../../src/errors.js';
import { toProblem } from '../../src/http/problems.js';
import {
  BodyAbortedError,
  BodyDecodingError,
  BodyTooLargeError,
  contentCoding,
  readLimitedBody,
  UnsupportedContentEncodingError,
  type BodyLimits,
  type BodySource,
} from '../../src/ingest/body-stream.js';
import {
  EnvelopeShapeError,
  type EnvelopeSyntaxError,
  EnvelopeTokenizer,
  readEnvelope,
  readEnvelopeBatches,
  TooManyObjectsError,
  type EnvelopeItem,
  type EnvelopeLimits,
} from '../../src/ingest/envelope-reader.js';
import { parseStrictObject } from '../../src/ingest/strict-json.js';
import { projectRoot } from '../../src/paths.js';

const corpusDir = join(projectRoot, 'tests/fixtures/bad-input');
const LIMITS: EnvelopeLimits = { maxObjects: 10_000, maxObjectBytes: 1 << 20 };
const BODY: BodyLimits = { maxBytes: 1 << 20, maxDecompressedBytes: 4 << 20 };

interface EnvelopeCase {
  file: string;
  input: 'envelope';
  note: string;
  expect:
    | { error: string; kind: string; message: string }
    | { objects: number; failures: { index: number; reason: string }[] };
}

const envelopeCases = (
  JSON.parse(readFileSync(join(corpusDir, 'manifest.json'), 'utf8')) as { cases: { input: string }[] }
).cases.filter((c): c is EnvelopeCase => c.input === 'envelope');

/** A request-like stream giving `body` in chunks of `size` bytes (a fresh Buffer each). */
function source(
  body: Buffer,
  headers: Record<string, string> = {},
  size = 16 * 1024,
): BodySource & { pulled: () => number } {
  let pulled = 0;
  function* chunks() {
    for (let at = 0; at < body.length; at += size) {
      pulled += Math.min(size, body.length - at);
      yield Buffer.from(body.subarray(at, at + size));
    }
  }
  return Object.assign(Readable.from(chunks(), { objectMode: false }), { headers, pulled: () => pulled });
}

function* split(body: Buffer, size: number): Generator<Buffer> {
  for (let at = 0; at < body.length; at += size) yield body.subarray(at, at + size);
}

async function readAll(chunks: AsyncIterable<Uint8Array> | Iterable<Buffer>, limits = LIMITS): Promise<EnvelopeItem[]> {
  const items: EnvelopeItem[] = [];
  const iterable = Symbol.asyncIterator in chunks ? chunks : Readable.from(chunks, { objectMode: true });
  for await (const item of readEnvelope(iterable as AsyncIterable<Uint8Array>, limits)) items.push(item);
  return items;
}

async function failure(run: () => Promise<unknown>): Promise<Error> {
  try {
    await run();
  } catch (err) {
    return err as Error;
  }
  return expect.fail('expected an error');
}

async function drain(body: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of body) parts.push(c);
  return Buffer.concat(parts);
}

const status = (err: unknown) => toProblem(err, 'test').status;

/** `mb` MiB of spaces (a valid start of any JSON body) through a compressor, a MiB at a time. */
async function bomb(z: Gzip | ReturnType<typeof createBrotliCompress>, mb: number): Promise<Buffer> {
  const zero = Buffer.alloc(1 << 20, 0x20);
  const out: Buffer[] = [];
  z.on('data', (c: Buffer) => out.push(c));
  for (let i = 0; i < mb; i++) if (!z.write(zero)) await new Promise((r) => z.once('drain', r));
  await new Promise<void>((r) => z.end(() => r()));
  return Buffer.concat(out);
}

describe('envelope reader (TAXII 2.1 §3.7 envelope, STIX bundle), streaming', () => {
  describe('the bad-input corpus (tests/fixtures/bad-input, input=envelope), at every chunking', () => {
    it('has envelope cases', () => expect(envelopeCases.length).to.be.greaterThan(30));
    for (const c of envelopeCases) {
      it(`${c.file}: ${c.note}`, async () => {
        const raw = readFileSync(join(corpusDir, c.file));
        for (const size of [1, 2, 7, 64, raw.length || 1]) {
          const run = async () => {
            const items = await readAll(split(raw, size));
            const failures = items.flatMap((item) => {
              if (!('raw' in item)) return [{ index: item.index, reason: 'too large' }];
              const r = parseStrictObject(item.raw, { maxDepth: 64 });
              return r.ok ? [] : [{ index: item.index, reason: r.reason }];
            });
            return { items, failures };
          };
          if ('error' in c.expect) {
            const err = await failure(run);
            expect(err.constructor.name, `chunks of ${size}`).to.equal(c.expect.error);
            expect((err as PalisadeError).kind).to.equal(c.expect.kind);
            expect(err.message).to.include(c.expect.message);
          } else {
            const { items, failures } = await run();
            expect(
              items.map((i) => i.index),
              `chunks of ${size}`,
            ).to.deep.equal([...Array(c.expect.objects).keys()]);
            expect(failures.map((f) => f.index)).to.deep.equal(c.expect.failures.map((f) => f.index));
            c.expect.failures.forEach((f, k) => expect(failures[k]?.reason).to.include(f.reason));
          }
        }
      });
    }
  });

  describe('elements', () => {
    const objects = [
      { type: 'indicator', id: 'indicator--1', pattern: "[file:name = 'a\"b']", n: [1, -2.5e-3, true, null] },
      { type: 'note', content: 'é ☃ 😀 \\ "quoted" {not [structure]}', nested: { a: [{ b: {} }, []] } },
      {},
    ];
    const body = Buffer.from(
      `\n {"more" : false,\t"next":"x",\r\n "objects": [ ${objects.map((o, i) => JSON.stringify(o, null, i)).join(' ,\n ')} ] , "z":[{}] }\n`,
    );

    it('yields each element as its exact bytes, with its index, at every chunking', async () => {
      for (const size of [1, 3, 16, 100, body.length]) {
        const items = await readAll(split(body, size));
        expect(items.map((i) => i.index)).to.deep.equal([0, 1, 2]);
        items.forEach((item, i) => {
          if (!('raw' in item)) return expect.fail('not too large');
          expect(item.raw.toString()).to.equal(JSON.stringify(objects[i], null, i));
          expect(JSON.parse(item.raw.toString())).to.deep.equal(objects[i]);
        });
      }
    });

    it('reads a bundle the same way, in batches of one input chunk', async () => {
      const bundle = Buffer.from(JSON.stringify({ type: 'bundle', id: 'bundle--1', objects }));
      const batches: EnvelopeItem[][] = [];
      const cut = bundle.indexOf('},{') + 1; // just after the first element
      for await (const batch of readEnvelopeBatches(
        Readable.from([bundle.subarray(0, cut), bundle.subarray(cut)]),
        LIMITS,
      )) {
        batches.push(batch);
      }
      expect(batches.map((b) => b.map((i) => i.index))).to.deep.equal([[0], [1, 2]]);
    });

    it('reports an element over maxObjectBytes with its index and size, keeps none of it, and goes on', async () => {
      const big = JSON.stringify({ type: 'x', blob: 'a'.repeat(5000) });
      const env = Buffer.from(`{"objects":[{"a":1},${big},{"b":2}]}`);
      for (const size of [1, 100, env.length]) {
        const items = await readAll(split(env, size), { maxObjects: 10, maxObjectBytes: 1000 });
        expect(items).to.have.length(3);
        expect(items[1]).to.deep.equal({ index: 1, tooLarge: true, bytes: big.length });
        expect(items[2] && 'raw' in items[2] && items[2].raw.toString()).to.equal('{"b":2}');
      }
      // exactly at the limit is accepted
      const items = await readAll([env], { maxObjects: 10, maxObjectBytes: big.length });
      expect(items[1] && 'raw' in items[1]).to.equal(true);
    });

    it('skips a 64 MB element without holding it', async () => {
      const chunk = Buffer.alloc(1 << 20, 0x61);
      const gc = collector();
      gc?.();
      let heapPeak = 0;
      const heapStart = memory();
      async function* huge() {
        yield Buffer.from('{"objects":[{"blob":"');
        for (let i = 0; i < 64; i++) {
          yield Buffer.from(chunk);
          if (i % 8 === 0) gc?.();
          heapPeak = Math.max(heapPeak, memory() - heapStart);
        }
        yield Buffer.from('"},{"a":1}]}');
      }
      const items = await readAll(huge(), { maxObjects: 10, maxObjectBytes: 1 << 20 });
      expect(items[0]).to.deep.equal({ index: 0, tooLarge: true, bytes: (64 << 20) + 11 });
      expect(items[1] && 'raw' in items[1]).to.equal(true);
      expect(heapPeak).to.be.lessThan(gc ? 16 << 20 : 64 << 20);
    });

    it('refuses more than maxObjects elements at the first one over (413, connection to close)', async () => {
      const err = await failure(() =>
        readAll([Buffer.from('{"objects":[{},{},{},{}]}')], { maxObjects: 3, maxObjectBytes: 100 }),
      );
      expect(err).to.be.instanceOf(TooManyObjectsError);
      expect((err as TooManyObjectsError).closeConnection).to.equal(true);
      expect((err as TooManyObjectsError).offset).to.equal(21);
      expect(status(err)).to.equal(413);
      expect(
        await readAll([Buffer.from('{"objects":[{},{},{}]}')], { maxObjects: 3, maxObjectBytes: 100 }),
      ).to.have.length(3);
    });

    it('refuses two million `0` elements at the first, after reading one chunk, in milliseconds', async () => {
      const env = Buffer.from(`{"objects":[${'0,'.repeat(2_000_000)}0]}`);
      const started = Date.now();
      const req = source(env, {}, 64 * 1024);
      const err = await failure(() =>
        readAll(readLimitedBody(req, { maxBytes: 8 << 20, maxDecompressedBytes: 8 << 20 })),
      );
      expect(err).to.be.instanceOf(EnvelopeShapeError);
      expect(err.message).to.include('objects[0] is not a JSON object (found "0")');
      expect(status(err)).to.equal(422);
      expect(req.pulled()).to.be.at.most(128 * 1024);
      expect(Date.now() - started).to.be.lessThan(500);
    });

    it('refuses two million empty objects past maxObjects, and reads many fast when allowed', async () => {
      const env = Buffer.from(`{"objects":[${'{},'.repeat(2_000_000)}{}]}`);
      const err = await failure(() => readAll(split(env, 64 * 1024), { maxObjects: 100_000, maxObjectBytes: 100 }));
      expect(err).to.be.instanceOf(TooManyObjectsError);
      const allowed = Buffer.from(`{"objects":[${'{},'.repeat(500_000)}{}]}`);
      const started = Date.now();
      let n = 0;
      for await (const batch of readEnvelopeBatches(Readable.from(split(allowed, 64 * 1024)), {
        maxObjects: 1_000_000,
        maxObjectBytes: 100,
      })) {
        n += batch.length;
      }
      expect(n).to.equal(500_001);
      expect(Date.now() - started).to.be.lessThan(5000);
    });

    it('refuses 5,000-deep nesting (in an element or another member) without recursion', async () => {
      for (const env of [
        `{"objects":[{"a":${'['.repeat(5000)}${']'.repeat(5000)}}]}`,
        `{"more":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)},"objects":[{}]}`,
      ]) {
        const err = await failure(() => readAll(split(Buffer.from(env), 1000)));
        expect(err).to.be.instanceOf(EnvelopeShapeError);
        expect(err.message).to.include('nesting deeper than 512 levels');
      }
      // Within the reader's limit, deep elements are left to the per-object check.
      const items = await readAll([Buffer.from(`{"objects":[{"a":${'['.repeat(100)}${']'.repeat(100)}}]}`)]);
      const r = parseStrictObject((items[0] as { raw: Buffer }).raw, { maxDepth: 64 });
      expect(r.ok === false && r.reason).to.include('nesting deeper than 64 levels');
    });

    it('gives the byte offset of envelope errors', async () => {
      const cases: [string, number][] = [
        ['{"objects":[{"a":1}]} x', 22],
        ['{"objects":[{"a":1},', 20],
        ['{"objects":[{"a":1},"x"]}', 20],
        ['{"more":true}', 12],
        ['  [1]', 2],
      ];
      for (const [text, offset] of cases) {
        const err = await failure(() => readAll(split(Buffer.from(text), 3)));
        expect((err as EnvelopeSyntaxError | EnvelopeShapeError).offset, text).to.equal(offset);
        expect(err.message).to.include(`byte ${offset}`);
      }
    });

    it('maps its errors to 400, 413 and 422', async () => {
      expect(status(await failure(() => readAll([Buffer.from('{"objects":[{]}')])))).to.equal(400);
      expect(status(await failure(() => readAll([Buffer.from('{"objects":[1]}')])))).to.equal(422);
      expect(
        status(await failure(() => readAll([Buffer.from('{"objects":[{}]}')], { maxObjects: 0, maxObjectBytes: 9 }))),
      ).to.equal(413);
    });

    it('ignores long top-level member names and finds objects after them', async () => {
      const env = `{"${'k'.repeat(10_000)}":1,"objects":[{"a":1}]}`;
      expect(await readAll(split(Buffer.from(env), 1000))).to.have.length(1);
    });

    it('tokenizes fast (a loose floor; the measured speed is far higher)', () => {
      const one = JSON.stringify(
        { type: 'attack-pattern', id: 'attack-pattern--1', name: 'x'.repeat(300), refs: [{ a: 1, b: 'c' }] },
        null,
        2,
      );
      const env = Buffer.from(`{"objects":[${Array(20_000).fill(one).join(',')}]}`);
      const t = new EnvelopeTokenizer({ maxObjects: 1e6, maxObjectBytes: 1 << 20 });
      const started = process.hrtime.bigint();
      let n = 0;
      for (const chunk of split(env, 64 * 1024)) n += t.push(chunk).length;
      t.end();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      expect(n).to.equal(20_000);
      // MB/s: only catches a pathological (say, quadratic) regression on a loaded machine
      expect(env.length / seconds / 1e6).to.be.greaterThan(5);
    });
  });
});

describe('limited body stream (Content-Length, chunked, Content-Encoding)', () => {
  const env = Buffer.from(JSON.stringify({ objects: [{ a: 1 }, { b: 'é' }] }));

  it('decodes identity, gzip, x-gzip, deflate and br', async () => {
    const cases: [string | undefined, Buffer][] = [
      [undefined, env],
      ['identity', env],
      ['gzip', gzipSync(env)],
      ['X-GZIP', gzipSync(env)],
      ['identity, gzip', gzipSync(env)],
      ['deflate', deflateSync(env)],
      ['br', brotliCompressSync(env)],
    ];
    for (const [encoding, data] of cases) {
      const body = readLimitedBody(source(data, encoding ? { 'content-encoding': encoding } : {}, 7), BODY);
      expect(await drain(body), String(encoding)).to.deep.equal(env);
      expect(body.complete).to.equal(true);
      expect(body.rawBytes).to.equal(data.length);
      expect(body.decodedBytes).to.equal(env.length);
    }
  });

  it('refuses unknown and stacked codings with 415 before reading', () => {
    for (const header of ['compress', 'zstd', 'gzip, br', 'deflate, gzip', 'gzip;q=1']) {
      const req = source(gzipSync(env), { 'content-encoding': header });
      let err: unknown;
      try {
        readLimitedBody(req, BODY);
      } catch (e) {
        err = e;
      }
      expect(err, header).to.be.instanceOf(UnsupportedContentEncodingError);
      expect(status(err)).to.equal(415);
      expect(req.pulled()).to.equal(0);
    }
    expect(contentCoding(' Identity ')).to.equal('identity');
    expect(contentCoding('BR')).to.equal('br');
  });

  it('refuses a declared Content-Length over the limit at once, reading nothing (413, close)', () => {
    const req = source(Buffer.alloc(10), { 'content-length': String((1 << 20) + 1) });
    let err: unknown;
    try {
      readLimitedBody(req, BODY);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(BodyTooLargeError);
    expect((err as BodyTooLargeError).limit).to.equal('content-length');
    expect((err as BodyTooLargeError).closeConnection).to.equal(true);
    expect(status(err)).to.equal(413);
    expect(req.pulled()).to.equal(0);
    // identity: max_content_length alone bounds an uncompressed body; the decompressed limit is
    // about what a compressed one expands to
    expect(() =>
      readLimitedBody(source(Buffer.alloc(0), { 'content-length': '2000' }), {
        maxBytes: 5000,
        maxDecompressedBytes: 1000,
      }),
    ).not.to.throw();
    expect(() =>
      readLimitedBody(source(Buffer.alloc(0), { 'content-length': '5001' }), {
        maxBytes: 5000,
        maxDecompressedBytes: 1000,
      }),
    ).to.throw(BodyTooLargeError);
  });

  it('stops a chunked body as soon as it passes the limit', async () => {
    const req = source(Buffer.alloc(50 << 20, 0x20), {}, 64 * 1024);
    const body = readLimitedBody(req, BODY);
    const err = await failure(() => drain(body));
    expect(err).to.be.instanceOf(BodyTooLargeError);
    expect((err as BodyTooLargeError).limit).to.equal('raw');
    expect(body.complete).to.equal(false);
    expect(body.rawBytes).to.be.at.most((1 << 20) + 64 * 1024);
    expect(req.pulled()).to.be.lessThan(2 << 20);
  });

  describe('compression bombs stop inflating at the limit', () => {
    const limits = { maxBytes: 1 << 20, maxDecompressedBytes: 1 << 20 };
    let gzipBomb: Buffer;
    let deflateBomb: Buffer;
    let brBomb: Buffer;
    before(async function () {
      this.timeout(20_000);
      gzipBomb = await bomb(createGzip({ level: 9 }), 100); // 100 MiB of spaces in about 100 KB
      deflateBomb = await bomb(createDeflate({ level: 9 }), 50);
      brBomb = await bomb(
        createBrotliCompress({ params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 4 } }) as unknown as Gzip,
        200,
      );
    });
    for (const [name, encoding] of [
      ['gzip', 'gzip'],
      ['deflate', 'deflate'],
      ['br', 'br'],
    ] as const) {
      it(`${name}`, async () => {
        const data = name === 'gzip' ? gzipBomb : name === 'deflate' ? deflateBomb : brBomb;
        if (name === 'gzip') expect(data.length).to.be.within(90_000, 110_000);
        const req = source(data, { 'content-encoding': encoding, 'content-length': String(data.length) }, 4096);
        const body = readLimitedBody(req, limits);
        const started = Date.now();
        const err = await failure(() => readAll(body));
        expect(err).to.be.instanceOf(BodyTooLargeError);
        expect((err as BodyTooLargeError).limit).to.equal('decompressed');
        expect(status(err)).to.equal(413);
        // inflated at most one zlib chunk and a stream buffer past the limit, never the whole bomb
        expect(body.decodedBytes).to.be.within(limits.maxDecompressedBytes, limits.maxDecompressedBytes + 256 * 1024);
        // (the br bomb is a few hundred bytes: all of it arrives in the first chunk)
        if (name !== 'br') {
          expect(body.complete).to.equal(false);
          expect(req.pulled()).to.be.lessThan(data.length);
        }
        expect(Date.now() - started).to.be.lessThan(2000);
      });
    }
  });

  it('refuses corrupt and truncated compressed data with 400', async () => {
    const gz = gzipSync(env);
    for (const [encoding, data] of [
      ['gzip', Buffer.from('this is not gzip')],
      ['gzip', gz.subarray(0, gz.length - 10)],
      ['deflate', gz],
      ['br', Buffer.from([0xff, 0xff, 0xff, 0xff])],
    ] as const) {
      const err = await failure(() => drain(readLimitedBody(source(data, { 'content-encoding': encoding }), BODY)));
      expect(err, encoding).to.be.instanceOf(BodyDecodingError);
      expect(status(err)).to.equal(400);
    }
  });

  it('reports a body that breaks off as not received completely (400)', async () => {
    async function* broken() {
      yield Buffer.from('{"objects":[');
      throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    }
    for (const headers of [{}, { 'content-encoding': 'gzip' }]) {
      const req = Object.assign(Readable.from(broken(), { objectMode: false }), { headers });
      const err = await failure(() => drain(readLimitedBody(req, BODY)));
      expect(err).to.be.instanceOf(BodyAbortedError);
      expect(status(err)).to.equal(400);
    }
  });

  describe('over HTTP: an oversized body is answered without being read to its end', () => {
    let server: Server;
    let port: number;
    let received = 0;
    before(async () => {
      server = createServer((req, res) => {
        void (async () => {
          try {
            const body = readLimitedBody(req, { maxBytes: 1 << 20, maxDecompressedBytes: 1 << 20 });
            for await (const chunk of body) received += chunk.length;
            res.writeHead(200).end('read');
          } catch (err) {
            const e = err as BodyTooLargeError;
            res.writeHead(status(err), e.closeConnection ? { connection: 'close' } : {}).end(e.message);
          }
        })();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as AddressInfo).port;
    });
    after(() => new Promise<void>((r) => server.close(() => r())));
    beforeEach(() => (received = 0));

    /** Sends up to `total` bytes while no answer has come; resolves with the status and bytes sent. */
    function send(total: number, headers: Record<string, string>): Promise<{ status: number; sent: number }> {
      return new Promise((resolve, reject) => {
        let sent = 0;
        let answered = false;
        const req = request({ port, host: '127.0.0.1', method: 'POST', path: '/', headers }, (res) => {
          answered = true;
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, sent }));
        });
        req.on('error', (err) => (answered ? undefined : reject(err)));
        const block = Buffer.alloc(64 * 1024, 0x20);
        const pump = () => {
          while (!answered && sent < total) {
            sent += block.length;
            if (!req.write(block)) return void req.once('drain', pump);
          }
          if (!answered) req.end();
        };
        pump();
      });
    }

    it('declared Content-Length over the limit: 413 before any body byte is read', async () => {
      const r = await send(64 << 20, { 'content-length': String(64 << 20) });
      expect(r.status).to.equal(413);
      expect(received).to.equal(0);
      expect(r.sent).to.be.lessThan(16 << 20);
    });

    it('chunked body over the limit: 413 after about the limit', async () => {
      const r = await send(64 << 20, { 'transfer-encoding': 'chunked' });
      expect(r.status).to.equal(413);
      expect(received).to.be.at.most(1 << 20);
      expect(r.sent).to.be.lessThan(16 << 20);
    });

    it('a body within the limit is read', async () => {
      const r = await send(512 * 1024, { 'content-length': String(512 * 1024) });
      expect(r.status).to.equal(200);
      expect(received).to.equal(512 * 1024);
    });
  });
});

describe('a 200 MB envelope through body stream and reader, in bounded memory', () => {
  it('reads every element while heap and buffers grow by less than 50 MB', async function () {
    this.timeout(60_000);
    // A STIX-like object of about 1 KB, repeated; chunks are made on the fly as a socket would.
    const one = Buffer.from(
      JSON.stringify(
        {
          type: 'indicator',
          spec_version: '2.1',
          id: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',
          created: '2024-01-01T00:00:00.000Z',
          modified: '2024-01-01T00:00:00.000Z',
          description: 'é ☃ '.repeat(150),
          pattern: "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
          pattern_type: 'stix',
          valid_from: '2024-01-01T00:00:00Z',
          external_references: [{ source_name: 'x', url: 'https://example.com/a' }],
        },
        null,
        2,
      ) + ',\n',
    );
    const total = 200 * 1000 * 1000;
    const count = Math.floor(total / one.length);
    function* chunks(): Generator<Buffer> {
      const size = 64 * 1024;
      let chunk = Buffer.allocUnsafe(size);
      let fill = chunk.write('{"more":false,"objects":[\n');
      const pending: Buffer[] = [];
      for (let i = 0; i < count; i++) {
        const bytes = i === count - 1 ? one.subarray(0, one.length - 2) : one;
        let from = 0;
        while (from < bytes.length) {
          const n = bytes.copy(chunk, fill, from);
          from += n;
          fill += n;
          if (fill === size) {
            pending.push(chunk);
            chunk = Buffer.allocUnsafe(size);
            fill = 0;
          }
        }
        while (pending.length > 0) yield pending.shift() as Buffer;
      }
      fill += chunk.write(']}\n', fill);
      yield chunk.subarray(0, fill);
    }
    const gc = collector();
    gc?.();
    const start = memory();
    let peak = 0;
    let seen = 0;
    let bytes = 0;
    const req = Object.assign(Readable.from(chunks(), { objectMode: false }), { headers: {} });
    const body = readLimitedBody(req, { maxBytes: 250e6, maxDecompressedBytes: 250e6 });
    const started = Date.now();
    for await (const batch of readEnvelopeBatches(body, { maxObjects: 1e6, maxObjectBytes: 1 << 20 })) {
      for (const item of batch) {
        if (!('raw' in item)) expect.fail('no element is too large');
        bytes += item.raw.length;
      }
      seen += batch.length;
      if (seen % 10_000 < batch.length) {
        gc?.();
        peak = Math.max(peak, memory() - start);
      }
    }
    const seconds = (Date.now() - started) / 1000;
    expect(seen).to.equal(count);
    expect(bytes).to.equal(count * (one.length - 2));
    expect(body.complete).to.equal(true);
    expect(body.rawBytes).to.be.greaterThan(total - 2000);
    // heapUsed + arrayBuffers (chunks live outside the JS heap), after a full collection, so what
    // is still held. Without a collector this counts garbage too: a looser bound applies.
    expect(peak, `peak growth ${Math.round(peak / 1e6)} MB in ${seconds}s`).to.be.lessThan(gc ? 50e6 : 150e6);
  });
});

/**
 * A full garbage collection, when one can be had: global.gc under --expose-gc, or the same
 * function obtained by setting the flag at run time. Undefined if neither works.
 */
function collector(): (() => void) | undefined {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

function memory(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}
