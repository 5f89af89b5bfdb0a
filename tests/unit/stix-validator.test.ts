// STIX 2.1 ingest validation (checklist section 7, S-4 … S-45): schemas/stix + src/stix/validator.ts.
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStixValidator, type StixVerdict } from '../../src/stix/validator.js';

type Obj = Record<string, unknown>;

const T0 = '2024-01-15T10:00:00.000Z';
const T1 = '2024-01-16T10:00:00.000Z';

let counter = 0;
/** A fresh RFC 4122 UUID; version 4 unless another version digit is asked for. */
function uuid(version = 4): string {
  counter += 1;
  return `00000000-0000-${version}000-8000-${counter.toString(16).padStart(12, '0')}`;
}
const idOf = (type: string, version = 4): string => `${type}--${uuid(version)}`;

function sdo(type: string, props: Obj = {}): Obj {
  return { type, spec_version: '2.1', id: idOf(type), created: T0, modified: T0, ...props };
}
function sco(type: string, props: Obj = {}): Obj {
  return { type, spec_version: '2.1', id: idOf(type), ...props };
}
function without(obj: Obj, ...keys: string[]): Obj {
  const copy = { ...obj };
  for (const key of keys) delete copy[key];
  return copy;
}

/** The type-specific properties of a minimal valid object of each STIX 2.1 type. */
const SDO_MINIMAL: Record<string, () => Obj> = {
  'attack-pattern': () => ({ name: 'Spearphishing' }),
  campaign: () => ({ name: 'Operation X' }),
  'course-of-action': () => ({ name: 'Patch' }),
  grouping: () => ({ context: 'suspicious-activity', object_refs: [idOf('indicator')] }),
  identity: () => ({ name: 'CERT-EU' }),
  incident: () => ({ name: 'Breach 42' }),
  indicator: () => ({ pattern: "[file:name = 'evil.exe']", pattern_type: 'stix', valid_from: T0 }),
  infrastructure: () => ({ name: 'C2 server' }),
  'intrusion-set': () => ({ name: 'APT-X' }),
  location: () => ({ region: 'europe' }),
  malware: () => ({ is_family: false }),
  'malware-analysis': () => ({ product: 'sandbox', result: 'malicious' }),
  note: () => ({ content: 'seen twice', object_refs: [idOf('malware')] }),
  'observed-data': () => ({ first_observed: T0, last_observed: T1, number_observed: 1, object_refs: [idOf('file')] }),
  opinion: () => ({ opinion: 'agree', object_refs: [idOf('report')] }),
  report: () => ({ name: 'Weekly', published: T0, object_refs: [idOf('indicator')] }),
  'threat-actor': () => ({ name: 'Evil Corp' }),
  tool: () => ({ name: 'mimikatz' }),
  vulnerability: () => ({ name: 'CVE-2024-0001' }),
};
/** The property whose removal must make the minimal object invalid. */
const SDO_REQUIRED: Record<string, string> = {
  'attack-pattern': 'name',
  campaign: 'name',
  'course-of-action': 'name',
  grouping: 'context',
  identity: 'name',
  incident: 'name',
  indicator: 'pattern',
  infrastructure: 'name',
  'intrusion-set': 'name',
  location: 'region',
  malware: 'is_family',
  'malware-analysis': 'product',
  note: 'content',
  'observed-data': 'number_observed',
  opinion: 'opinion',
  report: 'published',
  'threat-actor': 'name',
  tool: 'name',
  vulnerability: 'name',
};

const SCO_MINIMAL: Record<string, () => Obj> = {
  artifact: () => ({ payload_bin: 'aGVsbG8gd29ybGQ=' }),
  'autonomous-system': () => ({ number: 15139 }),
  directory: () => ({ path: 'C:\\Windows\\System32' }),
  'domain-name': () => ({ value: 'example.com' }),
  'email-addr': () => ({ value: 'john@example.com' }),
  'email-message': () => ({ is_multipart: false, subject: 'hello' }),
  file: () => ({ name: 'evil.exe' }),
  'ipv4-addr': () => ({ value: '198.51.100.3' }),
  'ipv6-addr': () => ({ value: '2001:db8::1/64' }),
  'mac-addr': () => ({ value: '00:0a:95:9d:68:16' }),
  mutex: () => ({ name: '__CLEANSWEEP__' }),
  'network-traffic': () => ({ protocols: ['ipv4', 'tcp'], src_ref: idOf('ipv4-addr') }),
  process: () => ({ pid: 1221 }),
  software: () => ({ name: 'Word' }),
  url: () => ({ value: 'https://example.com/a' }),
  'user-account': () => ({ user_id: '1001' }),
  'windows-registry-key': () => ({ key: 'HKEY_LOCAL_MACHINE\\System\\Foo' }),
  'x509-certificate': () => ({ serial_number: '36:f7:d4:32:f4:ab:70:ea:d3:ce:98:6e:ea:99:93:49' }),
};
const SCO_REQUIRED: Record<string, string> = {
  artifact: 'payload_bin',
  'autonomous-system': 'number',
  directory: 'path',
  'domain-name': 'value',
  'email-addr': 'value',
  'email-message': 'is_multipart',
  file: 'name',
  'ipv4-addr': 'value',
  'ipv6-addr': 'value',
  'mac-addr': 'value',
  mutex: 'name',
  'network-traffic': 'protocols',
  process: 'pid',
  software: 'name',
  url: 'value',
  'user-account': 'user_id',
  'windows-registry-key': 'key',
  'x509-certificate': 'serial_number',
};

/**
 * The reason for a minimal object without its *_REQUIRED property: "/<property>: required property
 * missing", except where the property is one of several alternatives and the rule names them all.
 */
const MISSING_REASON: Record<string, string> = {
  location: 'a location needs at least one of region, country, or latitude with longitude',
  artifact: 'an artifact needs exactly one of payload_bin or url',
  file: 'a file needs at least one of hashes or name',
  process: 'a process needs at least one property of its own or an extension',
  'user-account': 'a user-account needs at least one property of its own',
  'windows-registry-key': 'a windows-registry-key needs at least one property of its own',
  'x509-certificate': 'an x509-certificate needs at least one property of its own',
};
const missingReason = (type: string, required: Record<string, string>): string =>
  MISSING_REASON[type] ?? `/${required[type]}: required property missing`;

const relationship = (props: Obj = {}): Obj =>
  sdo('relationship', {
    relationship_type: 'uses',
    source_ref: idOf('malware'),
    target_ref: idOf('attack-pattern'),
    ...props,
  });
const sighting = (props: Obj = {}): Obj => sdo('sighting', { sighting_of_ref: idOf('indicator'), ...props });
const statementMarking = (props: Obj = {}): Obj =>
  without(
    sdo('marking-definition', { definition_type: 'statement', definition: { statement: 'Copyright ACME' }, ...props }),
    'modified',
  );
const extensionDefinition = (props: Obj = {}): Obj =>
  sdo('extension-definition', {
    created_by_ref: idOf('identity'),
    name: 'ACME ext',
    schema: 'https://example.com/schema.json',
    version: '1.0.0',
    extension_types: ['property-extension'],
    ...props,
  });
const languageContent = (props: Obj = {}): Obj =>
  sdo('language-content', { object_ref: idOf('campaign'), contents: { de: { name: 'Bank-Angriff' } }, ...props });

const TLP1: readonly (readonly [string, string])[] = [
  ['white', 'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9'],
  ['green', 'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da'],
  ['amber', 'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82'],
  ['red', 'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed'],
];
const TLP2: readonly (readonly [string, string])[] = [
  ['clear', 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487'],
  ['green', 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb'],
  ['amber', 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421'],
  ['amber+strict', 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003'],
  ['red', 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1'],
];
const TLP2_EXTENSION = 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d';
const tlp1 = ([colour, id]: readonly [string, string]): Obj => ({
  type: 'marking-definition',
  spec_version: '2.1',
  id,
  created: '2017-01-20T00:00:00.000Z',
  definition_type: 'tlp',
  name: `TLP:${colour.toUpperCase()}`,
  definition: { tlp: colour },
});
const tlp2 = ([level, id]: readonly [string, string]): Obj => ({
  type: 'marking-definition',
  spec_version: '2.1',
  id,
  created: '2022-10-01T00:00:00.000Z',
  name: `TLP:${level.toUpperCase()}`,
  extensions: { [TLP2_EXTENSION]: { extension_type: 'property-extension', tlp_2_0: level } },
});

const validator = createStixValidator();

function accepted(obj: unknown): void {
  const verdict = validator.validate(obj);
  expect(verdict, JSON.stringify(verdict)).to.include({ ok: true });
}
/** Asserts rejection and returns the reason, optionally checking it contains a fragment. */
function rejected(obj: unknown, fragment?: string): string {
  const verdict: StixVerdict = validator.validate(obj);
  if (verdict.ok) return expect.fail(`expected a rejection of ${JSON.stringify(obj)}`);
  if (fragment !== undefined) expect(verdict.reason).to.contain(fragment);
  return verdict.reason;
}

describe('STIX 2.1 ingest validator (checklist §7)', () => {
  describe('verdicts', () => {
    it('S-3 returns id, type and spec version for a valid object', () => {
      const obj = sdo('tool', { name: 'nmap' });
      expect(validator.validate(obj)).to.deep.equal({ ok: true, id: obj.id, type: 'tool', specVersion: '2.1' });
    });

    it('S-3 rejects non-objects with "not a JSON object"', () => {
      for (const value of [null, [], 'indicator', 42, true, undefined]) {
        expect(validator.validate(value)).to.deep.equal({ ok: false, reason: 'not a JSON object' });
      }
    });

    it('S-3 returns the id of a rejected object when it had a string id, and none otherwise', () => {
      const bad = sdo('tool');
      expect(validator.validate(bad)).to.deep.equal({
        ok: false,
        id: bad.id,
        reason: '/name: required property missing',
      });
      const noId = validator.validate({
        type: 'tool',
        spec_version: '2.1',
        id: 7,
        name: 'x',
        created: T0,
        modified: T0,
      });
      expect(noId.ok).to.equal(false);
      expect(noId).not.to.have.property('id');
    });
  });

  describe('names and reserved words (§2, §3.1, §3.8, §11)', () => {
    it('S-34 accepts custom properties named by the rule on SDOs, SROs and SCOs', () => {
      accepted(sdo('campaign', { name: 'c', x_acme_score: 5, x_acme_nested: { Any: ['shape'] } }));
      accepted(relationship({ x_mitre_version: '1.0' }));
      accepted(sco('file', { name: 'a', x_acme_seen: true }));
      accepted(sdo('tool', { name: 'abc', abc: 1, a_b: 2 }));
    });

    it('S-34 rejects custom property names that break the rule, naming the property', () => {
      expect(rejected(sdo('campaign', { name: 'c', 'x-Bad': 1 }))).to.equal(
        '/x-Bad: custom property names must be 3–250 characters of a-z, 0-9 and _ and start with a letter',
      );
      for (const name of ['xy', 'X_acme', '_x_acme', '1abc', 'x_acme-score', 'x_é_acme', 'a'.repeat(251)]) {
        rejected(sdo('campaign', { name: 'c', [name]: 1 }), `/${name}: custom property names`);
      }
      rejected(sco('file', { name: 'a', 'x-bad': 1 }), '/x-bad: custom property names');
      rejected(sdo('x-acme-widget', { x_size: 1, Bad: 1 }), '/Bad: custom property names');
    });

    it('S-6 rejects the reserved property names severity, username, phone_number and action', () => {
      for (const name of ['severity', 'username', 'phone_number', 'action']) {
        rejected(
          sdo('indicator', { ...SDO_MINIMAL.indicator!(), [name]: 'x' }),
          `/${name}: this property name is reserved`,
        );
        rejected(sco('url', { value: 'https://a.example', [name]: 'x' }), `/${name}: this property name is reserved`);
        rejected(sdo('x-acme-widget', { x_size: 1, [name]: 'x' }), `/${name}: this property name is reserved`);
      }
      rejected(sdo('course-of-action', { name: 'n', action: 'reboot' }), '/action: this property name is reserved');
    });

    it('S-9 accepts custom and unknown object types and rejects malformed type names', () => {
      accepted(sdo('x-acme-widget', { x_size: 3 }));
      accepted(sdo('acme-thing', { name: 'unprefixed custom types are allowed (the x- prefix is only a SHOULD)' }));
      for (const type of ['X-Acme', 'x--acme', 'ab', '1abc', 'x_acme', 'x-acme-']) {
        const obj = sdo('x-acme-widget', { x_size: 3 });
        rejected({ ...obj, type, id: `${type}--${uuid()}` }, '/type');
      }
      rejected({ spec_version: '2.1', id: idOf('tool'), name: 'n' }, '/type: required property missing');
      rejected({ type: 5, id: idOf('tool') }, '/type: must be a string');
    });

    it('S-33 rejects a bundle offered as an object', () => {
      rejected(
        { type: 'bundle', id: idOf('bundle'), objects: [sdo('tool', { name: 'n' })] },
        'a bundle is not a STIX object',
      );
    });
  });

  describe('data types (§2)', () => {
    it('S-7 lists must not be empty', () => {
      accepted(sdo('tool', { name: 'n', labels: ['a'] }));
      rejected(sdo('tool', { name: 'n', labels: [] }), '/labels: list must not be empty');
      rejected(sdo('grouping', { context: 'c', object_refs: [] }), '/object_refs: list must not be empty');
      rejected(
        sco('network-traffic', { protocols: [], src_ref: idOf('ipv4-addr') }),
        '/protocols: list must not be empty',
      );
    });

    it('S-7 dictionaries must not be empty and keys must be ASCII letters, digits, _ and -', () => {
      accepted(
        sco('email-message', { is_multipart: false, subject: 's', additional_header_fields: { 'X-Mailer': ['m'] } }),
      );
      rejected(
        sco('email-message', { is_multipart: false, subject: 's', additional_header_fields: {} }),
        'must not be empty',
      );
      rejected(
        sco('email-message', { is_multipart: false, subject: 's', additional_header_fields: { 'a b': 'x' } }),
        'dictionary keys',
      );
    });

    it('S-7 hashes: non-empty, 3–250 character keys, known algorithms with the right length', () => {
      const md5 = 'd41d8cd98f00b204e9800998ecf8427e';
      accepted(
        sco('file', { hashes: { MD5: md5, 'SHA-256': 'a'.repeat(64), SSDEEP: '3:a+JraNvsgzsVqSwHq9:tJuOgzsko' } }),
      );
      accepted(sco('file', { hashes: { 'x-acme-hash': 'anything' } }));
      rejected(sco('file', { hashes: {} }), '/hashes: must not be empty');
      rejected(sco('file', { hashes: { MD5: md5.slice(1) } }), '/hashes/MD5: an MD5 hash is 32 hexadecimal digits');
      rejected(sco('file', { hashes: { 'SHA-256': md5 } }), '/hashes/SHA-256');
      rejected(sco('file', { hashes: { md: 'x' } }), 'hash algorithm names');
    });

    it('S-7 integers stay within ±(2^53−1); hex is even-length lowercase; binary is base64', () => {
      accepted(sco('autonomous-system', { number: 9007199254740991 }));
      rejected(sco('autonomous-system', { number: 1e300 }), '/number');
      rejected(sco('autonomous-system', { number: 1.5 }), '/number: must be an integer');
      accepted(sco('file', { name: 'a', magic_number_hex: 'ffd8' }));
      rejected(sco('file', { name: 'a', magic_number_hex: 'FFD8' }), '/magic_number_hex: must be hex');
      rejected(sco('file', { name: 'a', magic_number_hex: 'ffd' }), '/magic_number_hex: must be hex');
      rejected(sco('artifact', { payload_bin: 'not base64!' }), '/payload_bin: must be base64');
      rejected(sco('artifact', { payload_bin: 'abc' }), '/payload_bin: must be base64');
    });

    it('S-7 / S-43 closed enumerations reject values outside the list', () => {
      accepted(sco('artifact', { payload_bin: 'AAAA', encryption_algorithm: 'AES-256-GCM', decryption_key: 'k' }));
      rejected(
        sco('artifact', { payload_bin: 'AAAA', encryption_algorithm: 'rot13' }),
        '/encryption_algorithm: must be one of',
      );
      rejected(sdo('opinion', { opinion: 'maybe', object_refs: [idOf('report')] }), '/opinion: must be one of');
      rejected(extensionDefinition({ extension_types: ['new-thing'] }), '/extension_types/0: must be one of');
    });

    it('S-8 accepts RFC 3339 UTC timestamps with any (or no) fraction, including 29 February of a leap year', () => {
      for (const ts of [
        '2024-01-15T10:00:00Z',
        '2024-01-15T10:00:00.1Z',
        '2024-01-15T10:00:00.123456789Z',
        '2024-02-29T00:00:00Z',
      ]) {
        accepted(sdo('indicator', { ...SDO_MINIMAL.indicator!(), valid_from: ts }));
      }
    });

    it('S-8 rejects non-UTC, malformed and impossible calendar timestamps', () => {
      for (const ts of [
        '2024-01-15T10:00:00+00:00',
        '2024-01-15 10:00:00Z',
        '2024-01-15T10:00:00.Z',
        '2024-01-15T24:00:00Z',
        '2024-13-01T00:00:00Z',
        '2024-01-15t10:00:00z',
        'yesterday',
      ]) {
        rejected(
          sdo('indicator', { ...SDO_MINIMAL.indicator!(), valid_from: ts }),
          '/valid_from: must be an RFC 3339 UTC timestamp',
        );
      }
      rejected(
        sdo('indicator', { ...SDO_MINIMAL.indicator!(), valid_from: '2023-02-29T00:00:00Z' }),
        '/valid_from: is not a valid calendar date',
      );
      rejected(
        sdo('tool', { name: 'n', created: '2024-04-31T00:00:00.000Z', modified: '2024-05-01T00:00:00.000Z' }),
        '/created: is not a valid calendar date',
      );
      rejected(
        sco('process', { pid: 1, created_time: '2024-06-31T00:00:00Z' }),
        '/created_time: is not a valid calendar date',
      );
    });
  });

  describe('common properties (§3.2)', () => {
    it('S-10 requires spec_version on SDOs, SROs and SMOs', () => {
      for (const obj of [
        sdo('tool', { name: 'n' }),
        relationship(),
        statementMarking(),
        sdo('x-acme-widget', { x_size: 1 }),
      ]) {
        expect(rejected(without(obj, 'spec_version'))).to.equal(
          '/spec_version: spec_version is required (only cyber-observable objects may omit it)',
        );
      }
    });

    it('S-10 lets SCOs omit spec_version (it defaults to 2.1) and accepts only "2.1"', () => {
      const file = without(sco('file', { name: 'a' }), 'spec_version');
      expect(validator.validate(file)).to.deep.equal({ ok: true, id: file.id, type: 'file', specVersion: '2.1' });
      accepted(without(sdo('x-acme-observable', { x_value: 'v' }), 'spec_version', 'created', 'modified'));
      rejected(sdo('tool', { name: 'n', spec_version: '2.0' }), '/spec_version: must be "2.1"');
      rejected(sco('file', { name: 'a', spec_version: '2.0' }), '/spec_version: must be "2.1"');
    });

    it("S-11 id must be <type>--<UUID> with the object's own type", () => {
      rejected(sdo('tool', { name: 'n', id: idOf('malware') }), "/id: must start with the object's own type");
      rejected(
        sdo('x-acme-widget', { x_size: 1, id: idOf('x-acme-gadget') }),
        "/id: must start with the object's own type",
      );
      rejected(sdo('tool', { name: 'n', id: 'tool--not-a-uuid' }), '/id: must be a STIX identifier');
      rejected(
        sdo('tool', { name: 'n', id: 'tool--00000000-0000-0000-8000-000000000001' }),
        '/id: must be a STIX identifier',
      );
      rejected(
        sdo('tool', { name: 'n', id: 'tool--00000000-0000-4000-7000-000000000001' }),
        '/id: must be a STIX identifier',
      );
      rejected(without(sdo('tool', { name: 'n' }), 'id'), '/id: required property missing');
      accepted(sdo('tool', { name: 'n', id: 'tool--0000ABCD-0000-4000-A000-000000000001' }));
    });

    it('S-11 process ids, and SCO ids without any ID-contributing property, must be UUIDv4', () => {
      accepted(sco('process', { pid: 4 }));
      rejected(sco('process', { pid: 4, id: idOf('process', 5) }), '/id: a process id must use a version 4 UUID');
      accepted(sco('user-account', { user_id: '1001', id: idOf('user-account', 5) }));
      rejected(sco('user-account', { display_name: 'J', id: idOf('user-account', 5) }), 'version 4 UUID when none of');
      accepted(sco('user-account', { display_name: 'J' }));
      rejected(sco('email-message', { is_multipart: false, id: idOf('email-message', 5) }), 'version 4 UUID');
    });

    it('S-12 created/modified need millisecond precision and modified must not be earlier than created', () => {
      accepted(sdo('tool', { name: 'n', created: '2024-01-15T10:00:00.1234Z', modified: '2024-01-15T10:00:00.1234Z' }));
      accepted(sdo('tool', { name: 'n', created: '2024-01-15T10:00:00.100Z', modified: '2024-01-15T10:00:00.1000Z' }));
      rejected(
        sdo('tool', { name: 'n', created: '2024-01-15T10:00:00Z' }),
        '/created: must be an RFC 3339 UTC timestamp with at least millisecond precision',
      );
      rejected(
        sdo('tool', { name: 'n', modified: '2024-01-15T10:00:00.12Z' }),
        '/modified: must be an RFC 3339 UTC timestamp with at least millisecond',
      );
      expect(rejected(sdo('tool', { name: 'n', created: T1, modified: T0 }))).to.equal(
        '/modified: must not be earlier than created',
      );
      rejected(
        sdo('tool', { name: 'n', created: '2024-01-15T10:00:00.1001Z', modified: '2024-01-15T10:00:00.100Z' }),
        'must not be earlier',
      );
      rejected(without(sdo('tool', { name: 'n' }), 'modified'), '/modified: required property missing');
    });

    it('S-13 created_by_ref must name an identity', () => {
      accepted(sdo('tool', { name: 'n', created_by_ref: idOf('identity') }));
      rejected(
        sdo('tool', { name: 'n', created_by_ref: idOf('tool') }),
        '/created_by_ref: must be the id of an identity',
      );
    });

    it('S-14 revoked is a boolean', () => {
      accepted(sdo('tool', { name: 'n', revoked: true }));
      rejected(sdo('tool', { name: 'n', revoked: 'yes' }), '/revoked: must be a boolean');
    });

    it('S-15 labels is a non-empty list of strings', () => {
      accepted(sdo('tool', { name: 'n', labels: ['red-team'] }));
      rejected(sdo('tool', { name: 'n', labels: 'red-team' }), '/labels: must be a list');
      rejected(sdo('tool', { name: 'n', labels: [1] }), '/labels/0: must be a string');
    });

    it('S-16 confidence is an integer from 0 to 100', () => {
      accepted(sdo('tool', { name: 'n', confidence: 0 }));
      accepted(sdo('tool', { name: 'n', confidence: 100 }));
      rejected(sdo('tool', { name: 'n', confidence: 101 }), '/confidence: must be <= 100');
      rejected(sdo('tool', { name: 'n', confidence: -1 }), '/confidence');
      rejected(sdo('tool', { name: 'n', confidence: 50.5 }), '/confidence: must be an integer');
    });

    it('S-17 lang is an RFC 5646 tag', () => {
      accepted(sdo('tool', { name: 'n', lang: 'pt-BR' }));
      accepted(sdo('tool', { name: 'n', lang: 'zh-Hant-TW' }));
      rejected(sdo('tool', { name: 'n', lang: 'english please' }), '/lang: must be an RFC 5646 language tag');
    });

    it('S-18 external references need source_name and one of description, url, external_id', () => {
      accepted(sdo('tool', { name: 'n', external_references: [{ source_name: 'acme', url: 'https://a.example' }] }));
      accepted(sdo('tool', { name: 'n', external_references: [{ source_name: 'acme', description: 'd' }] }));
      rejected(
        sdo('tool', { name: 'n', external_references: [{ source_name: 'acme' }] }),
        '/external_references/0: an external reference needs at least one of',
      );
      rejected(
        sdo('tool', { name: 'n', external_references: [{ url: 'https://a.example' }] }),
        '/external_references/0/source_name: required property missing',
      );
      rejected(sdo('tool', { name: 'n', external_references: [] }), '/external_references: list must not be empty');
    });

    it('S-18 capec and cve references carry ids in their fixed form', () => {
      accepted(
        sdo('attack-pattern', { name: 'n', external_references: [{ source_name: 'capec', external_id: 'CAPEC-163' }] }),
      );
      accepted(
        sdo('vulnerability', {
          name: 'n',
          external_references: [{ source_name: 'cve', external_id: 'CVE-2016-1234' }],
        }),
      );
      accepted(
        sdo('attack-pattern', {
          name: 'n',
          external_references: [{ source_name: 'capec', url: 'https://capec.mitre.org/' }],
        }),
      );
      rejected(
        sdo('attack-pattern', { name: 'n', external_references: [{ source_name: 'capec', external_id: '163' }] }),
        'CAPEC-<number>',
      );
      rejected(
        sdo('vulnerability', {
          name: 'n',
          external_references: [{ source_name: 'cve', external_id: 'cve-2016-1234' }],
        }),
        'must be a CVE id',
      );
    });

    it('S-19 object_marking_refs lists marking-definition ids', () => {
      accepted(sdo('tool', { name: 'n', object_marking_refs: [TLP2[0]![1]] }));
      rejected(
        sdo('tool', { name: 'n', object_marking_refs: [idOf('identity')] }),
        '/object_marking_refs/0: must be the id of a marking-definition',
      );
      rejected(sdo('tool', { name: 'n', object_marking_refs: [] }), 'list must not be empty');
    });

    it('S-19 / S-45 a marking definition must not mark itself', () => {
      const marking = statementMarking();
      accepted({ ...marking, object_marking_refs: [TLP1[0]![1]] });
      expect(rejected({ ...marking, object_marking_refs: [marking.id] })).to.equal(
        '/object_marking_refs/0: a marking definition must not mark itself',
      );
      rejected(
        { ...marking, granular_markings: [{ marking_ref: marking.id, selectors: ['name'] }], name: 'n' },
        '/granular_markings/0/marking_ref: a marking definition must not mark itself',
      );
    });

    it('S-20 a granular marking has selectors and exactly one of marking_ref or lang', () => {
      const marking = TLP1[1]![1];
      accepted(sdo('tool', { name: 'n', granular_markings: [{ marking_ref: marking, selectors: ['name'] }] }));
      accepted(sdo('tool', { name: 'n', granular_markings: [{ lang: 'de', selectors: ['name'] }] }));
      rejected(
        sdo('tool', { name: 'n', granular_markings: [{ marking_ref: marking, lang: 'de', selectors: ['name'] }] }),
        'exactly one of marking_ref or lang',
      );
      rejected(
        sdo('tool', { name: 'n', granular_markings: [{ selectors: ['name'] }] }),
        'exactly one of marking_ref or lang',
      );
      rejected(
        sdo('tool', { name: 'n', granular_markings: [{ marking_ref: marking }] }),
        '/granular_markings/0/selectors: required property missing',
      );
      rejected(
        sdo('tool', { name: 'n', granular_markings: [{ marking_ref: marking, selectors: [] }] }),
        'list must not be empty',
      );
    });

    it('S-20 / S-45 granular marking selectors must resolve to content of the object', () => {
      const marking = TLP1[2]![1];
      const obj = sdo('tool', {
        name: 'n',
        labels: ['a', 'b'],
        external_references: [{ source_name: 's', description: 'd' }],
      });
      accepted({
        ...obj,
        granular_markings: [
          { marking_ref: marking, selectors: ['labels.[1]', 'external_references.[0].source_name', 'name'] },
        ],
      });
      rejected(
        { ...obj, granular_markings: [{ marking_ref: marking, selectors: ['description'] }] },
        '/granular_markings/0/selectors/0: selector "description" does not point to content',
      );
      rejected(
        { ...obj, granular_markings: [{ marking_ref: marking, selectors: ['labels.[2]'] }] },
        'does not point to content',
      );
      rejected(
        { ...obj, granular_markings: [{ marking_ref: marking, selectors: ['name.[0]'] }] },
        'does not point to content',
      );
      rejected(
        { ...obj, granular_markings: [{ marking_ref: marking, selectors: ['labels..[0]'] }] },
        'does not point to content',
      );
    });

    it('S-21 defanged may only appear on SCOs', () => {
      accepted(sco('domain-name', { value: 'evil[.]example', defanged: true }));
      rejected(
        sdo('indicator', { ...SDO_MINIMAL.indicator!(), defanged: true }),
        '/defanged: defanged may only appear on cyber-observable objects',
      );
      rejected(relationship({ defanged: false }), '/defanged');
      rejected({ ...statementMarking(), defanged: true }, '/defanged');
    });

    it('S-22 extensions: non-empty, keyed by extension-definition id or -ext name, extension_type when defined by an extension-definition', () => {
      const extId = idOf('extension-definition');
      accepted(sdo('tool', { name: 'n', extensions: { [extId]: { extension_type: 'property-extension', rank: 1 } } }));
      accepted(
        sdo('tool', {
          name: 'n',
          extensions: { [extId]: { extension_type: 'toplevel-property-extension' } },
          x_rank: 1,
        }),
      );
      rejected(sdo('tool', { name: 'n', extensions: {} }), '/extensions: must not be empty');
      rejected(
        sdo('tool', { name: 'n', extensions: { [extId]: { rank: 1 } } }),
        `/extensions/${extId}/extension_type: an extension defined by an extension-definition must state its extension_type`,
      );
      rejected(
        sdo('tool', { name: 'n', extensions: { [extId]: { extension_type: 'other' } } }),
        `/extensions/${extId}/extension_type: must be one of`,
      );
      rejected(
        sdo('tool', { name: 'n', extensions: { acme: { rank: 1 } } }),
        '/extensions/acme: extension keys must be',
      );
      rejected(
        sdo('tool', { name: 'n', extensions: { [extId]: { extension_type: 'property-extension', 'Bad-Name': 1 } } }),
        'custom property names',
      );
    });
  });

  describe('SDOs (§4)', () => {
    for (const [type, minimal] of Object.entries(SDO_MINIMAL)) {
      it(`S-24 accepts a minimal ${type}`, () => {
        accepted(sdo(type, minimal()));
      });
      it(`S-24 rejects a ${type} missing ${SDO_REQUIRED[type]}, naming it in the reason`, () => {
        expect(rejected(without(sdo(type, minimal()), SDO_REQUIRED[type]!))).to.equal(
          missingReason(type, SDO_REQUIRED),
        );
      });
    }

    it('S-24 names the missing required property in the reason', () => {
      expect(rejected(sdo('report', { name: 'r', object_refs: [idOf('indicator')] }))).to.equal(
        '/published: required property missing',
      );
    });

    it('S-24 / S-45 first_seen/last_seen: last_seen may equal but not precede first_seen', () => {
      for (const type of ['campaign', 'infrastructure', 'intrusion-set', 'threat-actor']) {
        accepted(sdo(type, { name: 'n', first_seen: T0, last_seen: T0 }));
        rejected(
          sdo(type, { name: 'n', first_seen: T1, last_seen: T0 }),
          '/last_seen: must be equal to or later than first_seen',
        );
      }
      accepted(sdo('malware', { is_family: false, first_seen: T0, last_seen: T1 }));
      rejected(sdo('malware', { is_family: false, first_seen: T1, last_seen: T0 }), '/last_seen');
    });

    it('S-24 / S-45 indicator valid_until must be later than valid_from', () => {
      accepted(sdo('indicator', { ...SDO_MINIMAL.indicator!(), valid_from: T0, valid_until: T1 }));
      rejected(
        sdo('indicator', { ...SDO_MINIMAL.indicator!(), valid_from: T0, valid_until: T0 }),
        '/valid_until: must be later than valid_from',
      );
      rejected(
        sdo('indicator', { ...SDO_MINIMAL.indicator!(), valid_from: T1, valid_until: T0 }),
        '/valid_until: must be later than valid_from',
      );
    });

    it('S-24 / S-45 a stix indicator pattern must parse against the STIX patterning grammar (§9)', () => {
      const indicator = (pattern: string, patternType = 'stix'): Obj =>
        sdo('indicator', { pattern, pattern_type: patternType, valid_from: T0 });
      accepted(
        indicator(
          "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' AND file:size = 94208]",
        ),
      );
      accepted(
        indicator(
          "[ipv4-addr:value ISSUBSET '10.0.0.0/8'] FOLLOWEDBY [domain-name:value = 'example.com'] WITHIN 600 SECONDS",
        ),
      );
      accepted(indicator("[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$']"));
      accepted(indicator('[x-acme-sensor:readings[*].celsius > 98.6]'));
      rejected(
        indicator("[file:name = 'evil.exe'"),
        "/pattern: expected ']' but found the end of the pattern (at offset 23)",
      );
      rejected(indicator("file:name = 'evil.exe'"), "/pattern: expected an observation expression: '[' or '('");
      rejected(indicator("[file:name = 'C:\\Windows']"), '/pattern: invalid escape in string');
      rejected(
        indicator("[file:name = 'a'] START t'2024-01-02T00:00:00Z' STOP t'2024-01-01T00:00:00Z'"),
        "/pattern: START t'2024-01-02T00:00:00Z' must be earlier than STOP t'2024-01-01T00:00:00Z' (at offset 18)",
      );
      rejected(indicator("[file:name = 'a'] REPEATS 0 TIMES"), "/pattern: REPEATS needs a positive integer, not '0'");
      rejected(indicator("[file:name = 'a'] WITHIN -5 SECONDS"), '/pattern: WITHIN needs a positive number of seconds');
      rejected(indicator("[x_acme:name = 'a']"), "/pattern: 'x_acme' is not a STIX object type name");
      rejected(
        indicator("[file:ctime = t'2023-02-29T00:00:00Z']"),
        "/pattern: invalid timestamp 't'2023-02-29T00:00:00Z''",
      );
      rejected(
        indicator(`${'('.repeat(10_000)}[file:name = 'a']${')'.repeat(10_000)}`),
        '/pattern: brackets and parentheses are nested more than 64 levels deep (at offset 64)',
      );
      // Other pattern languages are not read as STIX patterns.
      accepted(indicator('alert tcp any any -> any 80 (msg:"beacon"; sid:1000001;)', 'snort'));
      accepted(indicator('rule acme { condition: true }', 'yara'));
      accepted(indicator("[file:name = 'a'", 'x-acme-language'));
    });

    it('S-24 location: latitude and longitude in range, each requiring the other, precision requiring both', () => {
      accepted(sdo('location', { latitude: 48.8566, longitude: 2.3522, precision: 1000 }));
      accepted(sdo('location', { country: 'ch' }));
      rejected(sdo('location', { latitude: 91, longitude: 0 }), '/latitude: must be <= 90');
      rejected(sdo('location', { latitude: 0, longitude: -180.5 }), '/longitude: must be >= -180');
      rejected(sdo('location', { latitude: 10, region: 'europe' }), '/longitude: required when latitude is present');
      rejected(sdo('location', { precision: 10, region: 'europe' }), '/latitude: required when precision is present');
      rejected(
        sdo('location', { name: 'nowhere' }),
        'a location needs at least one of region, country, or latitude with longitude',
      );
    });

    it('S-24 malware needs is_family, and a name when it is a family; refs point to the right types', () => {
      accepted(sdo('malware', { is_family: true, name: 'Emotet' }));
      expect(rejected(sdo('malware', { is_family: true }))).to.equal('/name: required when is_family is true');
      rejected(sdo('malware', { is_family: 'yes' }), '/is_family: must be a boolean');
      accepted(
        sdo('malware', {
          is_family: false,
          sample_refs: [idOf('file'), idOf('artifact')],
          operating_system_refs: [idOf('software')],
        }),
      );
      rejected(
        sdo('malware', { is_family: false, sample_refs: [idOf('url')] }),
        '/sample_refs/0: must be the id of a file or artifact',
      );
    });

    it('S-24 malware-analysis needs result or analysis_sco_refs', () => {
      accepted(sdo('malware-analysis', { product: 'p', analysis_sco_refs: [idOf('file')] }));
      rejected(sdo('malware-analysis', { product: 'p' }), 'needs at least one of result or analysis_sco_refs');
      rejected(
        sdo('malware-analysis', { product: 'p', result: 'r', host_vm_ref: idOf('file') }),
        '/host_vm_ref: must be the id of a software object',
      );
    });

    it('S-24 observed-data: number_observed 1–999,999,999, exactly one of object_refs/objects, last ≥ first', () => {
      const base = SDO_MINIMAL['observed-data']!();
      accepted(sdo('observed-data', { ...without(base, 'object_refs'), objects: { 0: { type: 'file', name: 'a' } } }));
      rejected(sdo('observed-data', { ...base, number_observed: 0 }), '/number_observed: must be >= 1');
      rejected(sdo('observed-data', { ...base, number_observed: 1_000_000_000 }), '/number_observed');
      rejected(
        sdo('observed-data', { ...base, objects: { 0: { type: 'file', name: 'a' } } }),
        'exactly one of object_refs or the deprecated objects',
      );
      rejected(sdo('observed-data', without(base, 'object_refs')), 'exactly one of object_refs');
      rejected(
        sdo('observed-data', { ...base, first_observed: T1, last_observed: T0 }),
        '/last_observed: must be equal to or later than first_observed',
      );
    });

    it('S-24 observed-data object_refs reference SCOs (at least one) and optionally SROs', () => {
      accepted(
        sdo('observed-data', {
          ...SDO_MINIMAL['observed-data']!(),
          object_refs: [idOf('ipv4-addr'), idOf('relationship')],
        }),
      );
      rejected(
        sdo('observed-data', { ...SDO_MINIMAL['observed-data']!(), object_refs: [idOf('file'), idOf('indicator')] }),
        '/object_refs/1: observed-data may only reference SCOs and SROs',
      );
      rejected(
        sdo('observed-data', { ...SDO_MINIMAL['observed-data']!(), object_refs: [idOf('relationship')] }),
        '/object_refs: must reference at least one cyber-observable object',
      );
    });

    it('S-24 opinion value comes from opinion-enum', () => {
      for (const opinion of ['strongly-disagree', 'disagree', 'neutral', 'agree', 'strongly-agree']) {
        accepted(sdo('opinion', { opinion, object_refs: [idOf('report')] }));
      }
      rejected(sdo('opinion', { opinion: 'Agree', object_refs: [idOf('report')] }), '/opinion: must be one of');
    });

    it('S-24 kill chain phases need kill_chain_name and phase_name', () => {
      accepted(
        sdo('attack-pattern', {
          name: 'n',
          kill_chain_phases: [{ kill_chain_name: 'mitre-attack', phase_name: 'execution' }],
        }),
      );
      rejected(
        sdo('attack-pattern', { name: 'n', kill_chain_phases: [{ kill_chain_name: 'mitre-attack' }] }),
        '/kill_chain_phases/0/phase_name: required property missing',
      );
    });
  });

  describe('SROs (§5)', () => {
    it('S-25 accepts a minimal relationship and rejects one missing relationship_type, source_ref or target_ref', () => {
      accepted(relationship());
      for (const prop of ['relationship_type', 'source_ref', 'target_ref']) {
        rejected(without(relationship(), prop), `/${prop}: required property missing`);
      }
    });

    it('S-25 relationships connect SDOs or SCOs, never SROs, markings, language content or bundles', () => {
      accepted(relationship({ relationship_type: 'related-to', target_ref: idOf('ipv4-addr') }));
      accepted(relationship({ target_ref: idOf('x-mitre-tactic') }));
      for (const bad of [
        'relationship',
        'sighting',
        'marking-definition',
        'language-content',
        'extension-definition',
        'bundle',
      ]) {
        rejected(
          relationship({ target_ref: idOf(bad) }),
          `/target_ref: a relationship must connect SDOs or SCOs, not a ${bad}`,
        );
      }
      rejected(relationship({ source_ref: idOf('sighting') }), '/source_ref');
    });

    it('S-25 relationship_type uses a-z, 0-9 and -; any such value is allowed', () => {
      accepted(relationship({ relationship_type: 'subtechnique-of' }));
      rejected(
        relationship({ relationship_type: 'Uses' }),
        '/relationship_type: must be at most 250 characters of a-z, 0-9 and -',
      );
      rejected(relationship({ relationship_type: 'used by' }), '/relationship_type');
    });

    it('S-25 / S-45 stop_time must be later than start_time', () => {
      accepted(relationship({ start_time: T0, stop_time: T1 }));
      rejected(relationship({ start_time: T0, stop_time: T0 }), '/stop_time: must be later than start_time');
    });

    it('S-26 accepts a minimal sighting and rejects one without sighting_of_ref', () => {
      accepted(sighting());
      rejected(without(sighting(), 'sighting_of_ref'), '/sighting_of_ref: required property missing');
    });

    it('S-26 sighting_of_ref names an SDO (custom SDOs included), never an SCO, SRO or SMO', () => {
      accepted(sighting({ sighting_of_ref: idOf('x-acme-widget') }));
      for (const bad of ['file', 'relationship', 'marking-definition']) {
        rejected(sighting({ sighting_of_ref: idOf(bad) }), `/sighting_of_ref: must be the id of an SDO, not a ${bad}`);
      }
    });

    it('S-26 sighting refs, count and seen-times', () => {
      accepted(
        sighting({
          observed_data_refs: [idOf('observed-data')],
          where_sighted_refs: [idOf('identity'), idOf('location')],
          count: 0,
          summary: true,
        }),
      );
      rejected(
        sighting({ observed_data_refs: [idOf('indicator')] }),
        '/observed_data_refs/0: must be the id of an observed-data object',
      );
      rejected(
        sighting({ where_sighted_refs: [idOf('tool')] }),
        '/where_sighted_refs/0: must be the id of an identity or location',
      );
      rejected(sighting({ count: 1_000_000_000 }), '/count');
      rejected(sighting({ summary: 'no' }), '/summary: must be a boolean');
      rejected(sighting({ first_seen: T1, last_seen: T0 }), '/last_seen: must be equal to or later than first_seen');
    });
  });

  describe('SCOs (§6)', () => {
    for (const [type, minimal] of Object.entries(SCO_MINIMAL)) {
      it(`S-27 accepts a minimal ${type}`, () => {
        accepted(sco(type, minimal()));
      });
      it(`S-27 rejects a ${type} missing ${SCO_REQUIRED[type]}, naming it in the reason`, () => {
        expect(rejected(without(sco(type, minimal()), SCO_REQUIRED[type]!))).to.equal(
          missingReason(type, SCO_REQUIRED),
        );
      });
    }

    it('S-27 SCO references point to objects of the types STIX names', () => {
      accepted(sco('file', { name: 'a', parent_directory_ref: idOf('directory'), content_ref: idOf('artifact') }));
      rejected(
        sco('file', { name: 'a', parent_directory_ref: idOf('file') }),
        '/parent_directory_ref: must be the id of a directory object',
      );
      rejected(sco('domain-name', { value: 'a.example', resolves_to_refs: [idOf('url')] }), '/resolves_to_refs/0');
      rejected(
        sco('email-addr', { value: 'a@b.example', belongs_to_ref: idOf('identity') }),
        '/belongs_to_ref: must be the id of a user-account',
      );
      rejected(
        sco('ipv4-addr', { value: '10.0.0.1', resolves_to_refs: [idOf('ipv6-addr')] }),
        '/resolves_to_refs/0: must be the id of a mac-addr',
      );
      rejected(sco('process', { pid: 1, parent_ref: idOf('file') }), '/parent_ref: must be the id of a process');
    });

    it('S-27 artifact: exactly one of payload_bin or url; url needs hashes; decryption_key needs encryption_algorithm', () => {
      accepted(sco('artifact', { url: 'https://a.example/x.bin', hashes: { 'SHA-256': 'b'.repeat(64) } }));
      rejected(sco('artifact', { url: 'https://a.example/x.bin' }), '/hashes: required when url is present');
      rejected(
        sco('artifact', { payload_bin: 'AAAA', url: 'https://a.example/x', hashes: { MD5: 'c'.repeat(32) } }),
        'exactly one of payload_bin or url',
      );
      rejected(
        sco('artifact', { payload_bin: 'AAAA', decryption_key: 'k' }),
        '/encryption_algorithm: required when decryption_key is present',
      );
    });

    it('S-27 email-message: body only when not multipart, body_multipart only when multipart; MIME parts need one body', () => {
      accepted(sco('email-message', { is_multipart: false, body: 'hi' }));
      accepted(
        sco('email-message', {
          is_multipart: true,
          body_multipart: [{ body: 'hi' }, { body_raw_ref: idOf('artifact') }],
        }),
      );
      rejected(
        sco('email-message', { is_multipart: true, body: 'hi' }),
        '/body: body must not be used when is_multipart is true',
      );
      rejected(
        sco('email-message', { is_multipart: false, body_multipart: [{ body: 'x' }] }),
        '/body_multipart: body_multipart must not be used',
      );
      rejected(
        sco('email-message', { is_multipart: true, body_multipart: [{ content_type: 'text/plain' }] }),
        'each MIME part needs exactly one of body or body_raw_ref',
      );
      rejected(
        sco('email-message', { is_multipart: false, from_ref: idOf('user-account') }),
        '/from_ref: must be the id of an email-addr',
      );
    });

    it('S-27 file needs hashes or name; S-5 name_enc needs name; size is not negative', () => {
      accepted(sco('file', { hashes: { MD5: 'd41d8cd98f00b204e9800998ecf8427e' } }));
      rejected(sco('file', { size: 10 }), 'a file needs at least one of hashes or name');
      rejected(
        sco('file', { hashes: { MD5: 'd41d8cd98f00b204e9800998ecf8427e' }, name_enc: 'utf-8' }),
        '/name: required when name_enc is present',
      );
      rejected(sco('file', { name: 'a', size: -1 }), '/size: must be >= 0');
      rejected(sco('directory', { path_enc: 'utf-8' }), '/path');
    });

    it('S-27 ipv4/ipv6/mac address values', () => {
      accepted(sco('ipv4-addr', { value: '10.2.4.5/24' }));
      rejected(sco('ipv4-addr', { value: '300.1.1.1' }), '/value: must be an IPv4 address');
      rejected(sco('ipv6-addr', { value: '10.1.1.1' }), '/value: must be an IPv6 address');
      rejected(
        sco('mac-addr', { value: '00:0A:95:9D:68:16' }),
        '/value: must be a lowercase, colon-separated, zero-padded MAC-48',
      );
      rejected(sco('mac-addr', { value: '0:a:95:9d:68:16' }), '/value: must be a lowercase');
    });

    it('S-27 / S-45 network-traffic: src_ref or dst_ref, ports in range, end ≥ start, no end while active', () => {
      const base = SCO_MINIMAL['network-traffic']!();
      accepted(sco('network-traffic', { ...base, start: T0, end: T0, src_port: 0, dst_port: 65535, is_active: false }));
      rejected(
        sco('network-traffic', without(base, 'src_ref')),
        'network-traffic needs at least one of src_ref or dst_ref',
      );
      rejected(sco('network-traffic', { ...base, dst_port: 65536 }), '/dst_port: must be <= 65535');
      rejected(sco('network-traffic', { ...base, start: T1, end: T0 }), '/end: must be equal to or later than start');
      rejected(
        sco('network-traffic', { ...base, is_active: true, end: T1 }),
        '/end: end must not be present while is_active is true',
      );
      rejected(
        sco('network-traffic', { ...base, src_ref: idOf('url') }),
        '/src_ref: must be the id of an ipv4-addr, ipv6-addr, mac-addr or domain-name',
      );
    });

    it('S-27 process, user-account, windows-registry-key and x509-certificate need a property of their own', () => {
      rejected(sco('process', {}), 'a process needs at least one property');
      rejected(sco('user-account', {}), 'a user-account needs at least one property');
      rejected(sco('windows-registry-key', {}), 'a windows-registry-key needs at least one property');
      rejected(sco('x509-certificate', {}), 'an x509-certificate needs at least one property');
      accepted(sco('process', { extensions: { 'windows-process-ext': { aslr_enabled: true } } }));
    });

    it('S-27 windows-registry-key hives are written out in full; value data types are enumerated', () => {
      accepted(
        sco('windows-registry-key', {
          key: 'HKEY_CURRENT_USER\\Software',
          values: [{ name: 'Foo', data: 'qwerty', data_type: 'REG_SZ' }],
        }),
      );
      rejected(
        sco('windows-registry-key', { key: 'HKLM\\Software' }),
        '/key: the registry hive must be written out in full',
      );
      rejected(
        sco('windows-registry-key', { key: 'HKEY_CURRENT_USER\\S', values: [{ data_type: 'REG_WHATEVER' }] }),
        '/values/0/data_type: must be one of',
      );
    });

    it('S-27 software languages are RFC 5646 tags', () => {
      accepted(sco('software', { name: 'Word', languages: ['en', 'de-CH'] }));
      rejected(
        sco('software', { name: 'Word', languages: ['en_US'] }),
        '/languages/0: must be an RFC 5646 language tag',
      );
    });

    it('S-28 predefined SCO extensions: required properties, enums and at least one property', () => {
      accepted(sco('file', { name: 'a.zip', extensions: { 'archive-ext': { contains_refs: [idOf('file')] } } }));
      rejected(
        sco('file', { name: 'a.zip', extensions: { 'archive-ext': { comment: 'c' } } }),
        '/extensions/archive-ext/contains_refs: required property missing',
      );
      accepted(
        sco('file', {
          name: 'a.exe',
          extensions: { 'windows-pebinary-ext': { pe_type: 'exe', time_date_stamp: '2016-01-22T12:31:12Z' } },
        }),
      );
      rejected(
        sco('file', { name: 'a.exe', extensions: { 'windows-pebinary-ext': { imphash: 'x' } } }),
        '/extensions/windows-pebinary-ext/pe_type: required property missing',
      );
      rejected(
        sco('file', {
          name: 'a.exe',
          extensions: { 'windows-pebinary-ext': { pe_type: 'exe', time_date_stamp: '2016-02-30T12:31:12Z' } },
        }),
        '/extensions/windows-pebinary-ext/time_date_stamp: is not a valid calendar date',
      );
      const base = SCO_MINIMAL['network-traffic']!();
      accepted(
        sco('network-traffic', {
          ...base,
          extensions: { 'http-request-ext': { request_method: 'get', request_value: '/' } },
        }),
      );
      rejected(
        sco('network-traffic', { ...base, extensions: { 'http-request-ext': { request_method: 'get' } } }),
        '/extensions/http-request-ext/request_value: required property missing',
      );
      accepted(
        sco('network-traffic', { ...base, extensions: { 'icmp-ext': { icmp_type_hex: '08', icmp_code_hex: '00' } } }),
      );
      rejected(
        sco('network-traffic', { ...base, extensions: { 'icmp-ext': { icmp_type_hex: '8', icmp_code_hex: '00' } } }),
        '/extensions/icmp-ext/icmp_type_hex: must be hex',
      );
      accepted(
        sco('network-traffic', {
          ...base,
          extensions: { 'socket-ext': { address_family: 'AF_INET', socket_type: 'SOCK_STREAM' } },
        }),
      );
      rejected(
        sco('network-traffic', { ...base, extensions: { 'socket-ext': { address_family: 'AF_CAN' } } }),
        '/extensions/socket-ext/address_family: must be one of',
      );
      rejected(
        sco('network-traffic', { ...base, extensions: { 'tcp-ext': {} } }),
        '/extensions/tcp-ext: an extension must contain at least one property',
      );
      rejected(
        sco('process', { pid: 1, extensions: { 'windows-service-ext': { start_type: 'AUTO' } } }),
        '/extensions/windows-service-ext/start_type: must be one of',
      );
      rejected(
        sco('process', { pid: 1, extensions: { 'windows-process-ext': { integrity_level: 'root' } } }),
        '/extensions/windows-process-ext/integrity_level: must be one of',
      );
      accepted(sco('user-account', { user_id: '0', extensions: { 'unix-account-ext': { gid: 0, shell: '/bin/sh' } } }));
    });
  });

  describe('SMOs (§7)', () => {
    it('S-29 accepts a minimal language-content and rejects one missing object_ref or contents', () => {
      accepted(languageContent());
      accepted(languageContent({ object_modified: T0, contents: { 'de-CH': { name: 'n', aliases: ['', 'b'] } } }));
      rejected(without(languageContent(), 'object_ref'), '/object_ref: required property missing');
      rejected(without(languageContent(), 'contents'), '/contents: required property missing');
    });

    it('S-29 language-content contents keys are language tags mapping to non-empty dictionaries', () => {
      rejected(
        languageContent({ contents: { 'German language': { name: 'n' } } }),
        '/contents/German language: must be an RFC 5646 language tag',
      );
      rejected(languageContent({ contents: { de: {} } }), '/contents/de: must not be empty');
      rejected(languageContent({ contents: {} }), '/contents: must not be empty');
    });

    it('S-30 accepts a statement marking without modified and rejects one that carries modified', () => {
      accepted(statementMarking());
      rejected({ ...statementMarking(), modified: T0 }, '/modified: marking definitions are not versioned');
    });

    it('S-30 a marking without extensions needs definition_type and definition; statements need a statement', () => {
      rejected(without(statementMarking(), 'definition'), '/definition: required when extensions is absent');
      rejected(without(statementMarking(), 'definition_type'), '/definition_type: required when extensions is absent');
      rejected(statementMarking({ definition: { text: 'x' } }), '/definition/statement: required property missing');
      rejected(without(statementMarking(), 'created'), '/created: required property missing');
      accepted(
        without(
          statementMarking({
            extensions: { [idOf('extension-definition')]: { extension_type: 'property-extension', level: 'x' } },
          }),
          'definition',
          'definition_type',
        ),
      );
    });

    for (const entry of TLP1) {
      it(`S-30 accepts the fixed TLP 1.0 marking TLP:${entry[0].toUpperCase()}`, () => {
        accepted(tlp1(entry));
      });
    }

    it('S-30 rejects look-alikes that reuse a TLP 1.0 id with different content', () => {
      const white = tlp1(TLP1[0]!);
      expect(rejected({ ...white, name: 'TLP:GREEN' })).to.equal(
        '/name: this id belongs to the fixed TLP 1.0 marking TLP:WHITE; the object must be identical to it (expected "TLP:WHITE")',
      );
      rejected(
        { ...white, definition: { tlp: 'green' } },
        '/definition/tlp: this id belongs to the fixed TLP 1.0 marking TLP:WHITE',
      );
      rejected(
        { ...white, created: '2017-01-20T00:00:00.001Z' },
        '/created: this id belongs to the fixed TLP 1.0 marking',
      );
      rejected(
        { ...white, created_by_ref: idOf('identity') },
        '/created_by_ref: this id belongs to the fixed TLP 1.0 marking',
      );
      rejected(without(white, 'name'), '/name: this id belongs to the fixed TLP 1.0 marking');
    });

    it('S-30 only the four fixed TLP 1.0 objects may use definition_type tlp', () => {
      rejected(
        { ...tlp1(TLP1[0]!), id: idOf('marking-definition') },
        '/id: only the four fixed TLP 1.0 marking definitions may use definition_type tlp',
      );
    });

    for (const entry of TLP2) {
      it(`S-31 accepts the fixed TLP 2.0 marking TLP:${entry[0].toUpperCase()}`, () => {
        accepted(tlp2(entry));
      });
    }

    it('S-31 rejects look-alikes that reuse a TLP 2.0 id with different content', () => {
      const clear = tlp2(TLP2[0]!);
      rejected({ ...clear, name: 'TLP:WHITE' }, '/name: this id belongs to the fixed TLP 2.0 marking TLP:CLEAR');
      rejected(
        { ...clear, extensions: { [TLP2_EXTENSION]: { extension_type: 'property-extension', tlp_2_0: 'red' } } },
        `/extensions/${TLP2_EXTENSION}/tlp_2_0: this id belongs to the fixed TLP 2.0 marking TLP:CLEAR`,
      );
      rejected(
        { ...clear, definition_type: 'statement', definition: { statement: 'x' } },
        '/definition_type: this id belongs to the fixed TLP 2.0 marking TLP:CLEAR',
      );
      rejected({ ...tlp2(TLP2[1]!), id: TLP1[1]![1] }, 'this id belongs to the fixed TLP 1.0 marking TLP:GREEN');
    });

    it('S-31 only the five fixed TLP 2.0 objects may use the TLP 2.0 extension', () => {
      rejected(
        { ...tlp2(TLP2[4]!), id: idOf('marking-definition') },
        '/id: only the five fixed TLP 2.0 marking definitions may use the TLP 2.0 extension',
      );
    });

    it('S-32 accepts a minimal extension-definition and rejects one missing a required property', () => {
      accepted(extensionDefinition());
      for (const prop of ['created_by_ref', 'name', 'schema', 'version', 'extension_types', 'modified']) {
        rejected(without(extensionDefinition(), prop), `/${prop}: required property missing`);
      }
      rejected(extensionDefinition({ extension_types: [] }), '/extension_types: list must not be empty');
    });

    it('S-32 extension_properties only with a toplevel-property-extension', () => {
      accepted(
        extensionDefinition({ extension_types: ['toplevel-property-extension'], extension_properties: ['x_rank'] }),
      );
      rejected(
        extensionDefinition({ extension_properties: ['x_rank'] }),
        '/extension_types: extension_properties may only be used when extension_types includes toplevel-property-extension',
      );
    });
  });

  describe('custom content (§11, §7.3)', () => {
    it('S-35 accepts custom SDO-like objects with the common properties', () => {
      accepted(
        sdo('x-mitre-tactic', {
          name: 'Execution',
          x_mitre_shortname: 'execution',
          created_by_ref: idOf('identity'),
          object_marking_refs: [TLP2[1]![1]],
        }),
      );
    });

    it('S-35 custom SDO-like objects need both created and modified, valid and ordered', () => {
      rejected(without(sdo('x-acme-widget', { x_size: 1 }), 'modified'), '/modified: required');
      rejected(without(sdo('x-acme-widget', { x_size: 1 }), 'created'), '/created: required');
      rejected(
        sdo('x-acme-widget', { x_size: 1, created: '2024-01-15T10:00:00Z' }),
        '/created: must be an RFC 3339 UTC timestamp with at least millisecond precision',
      );
      rejected(
        sdo('x-acme-widget', { x_size: 1, created: T1, modified: T0 }),
        '/modified: must not be earlier than created',
      );
      rejected(
        sdo('x-acme-widget', { x_size: 1, created_by_ref: idOf('tool') }),
        '/created_by_ref: must be the id of an identity',
      );
      rejected(sdo('x-acme-widget', { x_size: 1, confidence: 200 }), '/confidence');
    });

    it('S-35 a custom object needs at least one property besides type, id and spec_version', () => {
      accepted(sco('x-acme-observable', { x_value: 'v' }));
      rejected(
        sco('x-acme-observable'),
        'a custom object must have at least one property besides type, id and spec_version',
      );
    });

    it('S-36 legacy custom SCO extensions are named …-ext and hold at least one property', () => {
      accepted(sco('file', { name: 'a', extensions: { 'x-acme-scan-ext': { x_score: 3 } } }));
      rejected(
        sco('file', { name: 'a', extensions: { 'x-acme-scan': { x_score: 3 } } }),
        '/extensions/x-acme-scan: extension keys must be',
      );
      rejected(
        sco('file', { name: 'a', extensions: { 'x-acme-scan-ext': {} } }),
        '/extensions/x-acme-scan-ext: an extension must contain at least one property',
      );
    });

    it('S-37 extension-defined new SDO types must carry the SDO common properties', () => {
      const extensions = { [idOf('extension-definition')]: { extension_type: 'new-sdo' } };
      accepted(sdo('acme-campaign-plan', { name: 'p', extensions }));
      rejected(
        without(sdo('acme-campaign-plan', { name: 'p', extensions }), 'created', 'modified'),
        '/created: required property missing',
      );
      rejected(
        without(sdo('acme-campaign-plan', { name: 'p', extensions }), 'spec_version'),
        'spec_version is required',
      );
      const scoExt = { [idOf('extension-definition')]: { extension_type: 'new-sco' } };
      accepted(without(sco('acme-sensor', { x_serial: 'S1', extensions: scoExt }), 'spec_version'));
    });

    it('S-38 accepts the empty-string custom reference found in ATT&CK (custom properties are free-form)', () => {
      accepted(sdo('x-mitre-data-component', { name: 'Process Creation', x_mitre_data_source_ref: '' }));
    });
  });

  describe('real data: MITRE ATT&CK v18.1 bundles (../shared/data)', () => {
    const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
    const dataDir = resolve(repoRoot, '..', 'shared', 'data');
    const files = ['attack-enterprise.json', 'attack-mobile.json', 'attack-ics.json', 'state-actors.json'];

    it('S-1 / S-38 every object of the enterprise, mobile, ics and state-actors bundles validates', function () {
      this.timeout(120_000);
      if (!existsSync(dataDir)) {
        if (process.env.CI === 'true') expect.fail(`CI=true but the shared data directory ${dataDir} is missing`);
        console.log(`      skipped: ${dataDir} is not present (it ships beside the repository)`);
        this.skip();
      }
      for (const file of files) {
        const bundle = JSON.parse(readFileSync(join(dataDir, file), 'utf8')) as { objects: unknown[] };
        expect(bundle.objects.length, file).to.be.greaterThan(1000);
        const failures = bundle.objects
          .map((obj) => validator.validate(obj))
          .filter((verdict) => !verdict.ok)
          .slice(0, 5);
        expect(failures, file).to.deep.equal([]);
        if (file === 'attack-enterprise.json') {
          const rounds = 3;
          const start = process.hrtime.bigint();
          for (let r = 0; r < rounds; r++) for (const obj of bundle.objects) validator.validate(obj);
          const seconds = Number(process.hrtime.bigint() - start) / 1e9;
          const rate = Math.round((rounds * bundle.objects.length) / seconds);
          console.log(
            `      enterprise: ${rate.toLocaleString('en-US')} validations/s over ${rounds} × ${bundle.objects.length} objects`,
          );
        }
      }
    });
  });
});
