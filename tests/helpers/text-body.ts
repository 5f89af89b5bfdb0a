// Reads a response body as text whatever its media type (supertest parses only the types it knows;
// STIX bundles come as application/stix+json).
import type supertest from 'supertest';

export function asText(t: supertest.Test): supertest.Test {
  return t.buffer(true).parse((res, done) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (text += chunk));
    res.on('end', () => done(null, text));
  });
}
