// The version rule and the stored form of an object (src/stix/versions.ts).
import { expect } from 'chai';
import { versionKey } from '../../src/stix/timestamps.js';
import { STIX_21_MEDIA_TYPE, stixMediaType, toVersionRecord, versionOf } from '../../src/stix/versions.js';

const ID = 'indicator--6b1c2e9a-93f5-4d7b-8f0e-2a4c6e8b0d1f';
const ACCEPTED = { id: ID, type: 'indicator', specVersion: '2.1' };

describe('STIX versions (src/stix/versions.ts)', () => {
  describe('stixMediaType', () => {
    it('names STIX 2.1 with the constant media type', () => {
      expect(STIX_21_MEDIA_TYPE).to.equal('application/stix+json;version=2.1');
      expect(stixMediaType('2.1')).to.equal('application/stix+json;version=2.1');
    });

    it('carries any other spec version in the version parameter', () => {
      expect(stixMediaType('2.0')).to.equal('application/stix+json;version=2.0');
      expect(stixMediaType('3.7')).to.equal('application/stix+json;version=3.7');
      expect(stixMediaType('2.10')).to.equal('application/stix+json;version=2.10');
    });
  });

  describe('versionOf', () => {
    it('answers undefined for values that are not objects', () => {
      for (const v of [null, undefined, 'modified', 42, true]) expect(versionOf(v), String(v)).to.equal(undefined);
    });

    it('takes modified first, then created, and skips non-string values', () => {
      expect(versionOf({ created: '2024-01-01T00:00:00Z', modified: '2024-02-01T00:00:00Z' })).to.equal(
        '2024-02-01T00:00:00Z',
      );
      expect(versionOf({ created: '2024-01-01T00:00:00Z' })).to.equal('2024-01-01T00:00:00Z');
      expect(versionOf({ created: '2024-01-01T00:00:00Z', modified: 17 })).to.equal('2024-01-01T00:00:00Z');
      expect(versionOf({ created: 17, modified: null })).to.equal(undefined);
      expect(versionOf({})).to.equal(undefined);
    });
  });

  describe('toVersionRecord', () => {
    it('keeps the accepted id, type and spec version, the version, its key, sorted markings and the JSON text', () => {
      const obj = {
        type: 'indicator',
        id: ID,
        created: '2024-01-01T00:00:00Z',
        modified: '2024-03-01T12:00:00.5Z',
        object_marking_refs: ['marking-definition--b', 'marking-definition--a'],
      };
      const rec = toVersionRecord(obj, ACCEPTED);
      expect(rec).to.deep.equal({
        id: ID,
        type: 'indicator',
        specVersion: '2.1',
        version: '2024-03-01T12:00:00.5Z',
        versionKey: versionKey('2024-03-01T12:00:00.5Z'),
        markings: ['marking-definition--a', 'marking-definition--b'],
        json: JSON.stringify(obj),
      });
      expect(rec.versionKey).to.be.a('string');
    });

    it('takes id, type and spec version from what the validator accepted, not from the object', () => {
      const rec = toVersionRecord(
        { type: 'x', id: 'x--1', spec_version: '2.0' },
        { id: 'a--b', type: 'a', specVersion: '2.9' },
      );
      expect([rec.id, rec.type, rec.specVersion]).to.deep.equal(['a--b', 'a', '2.9']);
    });

    it('leaves version and versionKey out when the object has no version', () => {
      const obj = { type: 'ipv4-addr', id: 'ipv4-addr--1', value: '192.0.2.1' };
      const rec = toVersionRecord(obj, { id: obj.id, type: obj.type, specVersion: '2.1' });
      expect(rec).to.deep.equal({
        id: obj.id,
        type: 'ipv4-addr',
        specVersion: '2.1',
        markings: [],
        json: JSON.stringify(obj),
      });
      expect('version' in rec).to.equal(false);
      expect('versionKey' in rec).to.equal(false);
    });

    it('leaves both out when the version is not a timestamp (its key would be undefined)', () => {
      const rec = toVersionRecord({ type: 'indicator', id: ID, modified: 'not a timestamp' }, ACCEPTED);
      expect('version' in rec).to.equal(false);
      expect('versionKey' in rec).to.equal(false);
    });
  });
});
