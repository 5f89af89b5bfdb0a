// The STIX 2.1 rules that follow the schema (src/stix/stix-rules.ts), called directly so that each
// rule is seen alone: identifiers, calendar dates per property, ordering, markings, custom objects
// and the reference rules of relationships, sightings and observed-data.
import { expect } from 'chai';
import { categoryOfCustomObject, checkStixRules } from '../../src/stix/stix-rules.js';

const V4 = '6b1c2e9a-93f5-4d7b-8f0e-2a4c6e8b0d1f';
const V5 = '6b1c2e9a-93f5-5d7b-8f0e-2a4c6e8b0d1f';
const idOf = (type: string, uuid = V4): string => `${type}--${uuid}`;
const T = '2024-01-01T00:00:00Z';

type Obj = Record<string, unknown>;
const sdo = (type: string, extra: Obj = {}): Obj => ({
  type,
  spec_version: '2.1',
  id: idOf(type),
  created: T,
  modified: T,
  ...extra,
});
const sco = (type: string, extra: Obj = {}): Obj => ({ type, spec_version: '2.1', id: idOf(type), ...extra });
const check = (obj: Obj, custom = false): string | undefined =>
  checkStixRules(obj, { type: obj.type as string, custom });

describe('STIX rules after the schema (src/stix/stix-rules.ts)', () => {
  describe('categoryOfCustomObject', () => {
    const ext = (extension_type: unknown) => ({ extension_type });

    it('follows a new-sdo, new-sro or new-sco extension', () => {
      expect(categoryOfCustomObject({ extensions: { 'extension-definition--a': ext('new-sdo') } })).to.equal('sdo');
      expect(categoryOfCustomObject({ extensions: { 'extension-definition--a': ext('new-sro') } })).to.equal('sro');
      expect(categoryOfCustomObject({ extensions: { 'extension-definition--a': ext('new-sco') } })).to.equal('sco');
      // the extension decides even against the created/modified heuristic
      expect(categoryOfCustomObject({ created: T, extensions: { e: ext('new-sco') } })).to.equal('sco');
      expect(categoryOfCustomObject({ extensions: { e: ext('new-sro') } })).to.equal('sro');
    });

    it('skips extensions that are not objects or of another kind, and takes the first deciding one', () => {
      expect(
        categoryOfCustomObject({
          extensions: {
            a: null,
            b: 'new-sdo',
            c: ['new-sdo'],
            d: ext('property-extension'),
            e: ext('new-sro'),
            f: ext('new-sdo'),
          },
        }),
      ).to.equal('sro');
      expect(categoryOfCustomObject({ extensions: { a: ext('toplevel-property-extension') } })).to.equal('sco');
    });

    it('ignores an extensions value that is a list or not an object', () => {
      expect(categoryOfCustomObject({ extensions: [ext('new-sro')] })).to.equal('sco');
      expect(categoryOfCustomObject({ created: T, extensions: [ext('new-sco')] })).to.equal('sdo');
      expect(categoryOfCustomObject({ extensions: 'new-sro' })).to.equal('sco');
      expect(categoryOfCustomObject({ extensions: null })).to.equal('sco');
    });

    it('without a deciding extension: created or modified make it SDO-like, neither SCO-like', () => {
      expect(categoryOfCustomObject({ created: T })).to.equal('sdo');
      expect(categoryOfCustomObject({ modified: T })).to.equal('sdo');
      expect(categoryOfCustomObject({ created: T, modified: T })).to.equal('sdo');
      expect(categoryOfCustomObject({ value: 'x' })).to.equal('sco');
    });
  });

  describe('identifier prefix', () => {
    const msg = (type: string) =>
      `/id: must start with the object's own type followed by -- (expected "${type}--<uuid>")`;

    it('accepts the object type followed by two hyphens', () => {
      expect(check(sdo('indicator'))).to.equal(undefined);
      expect(check(sdo('x-acme', { id: `x-acme--${V4}`, name: 'n' }), true)).to.equal(undefined);
    });

    it('refuses another type, a longer type, one hyphen, or nothing after the hyphens', () => {
      for (const id of [
        idOf('malware'),
        idOf('indicators'),
        `indicator-${V4}`,
        `indicator-x${V4}`,
        `indicatorx-${V4}`,
        `indicator${V4}`,
        'indicator--',
        'indicator-',
        'indicator',
        `x-indicator--${V4}`,
      ]) {
        expect(check(sdo('indicator', { id })), id).to.equal(msg('indicator'));
      }
      expect(check(sdo('indicator', { id: 'indicator--x' }))).to.equal(undefined);
    });
  });

  describe('calendar dates', () => {
    it('accepts the 30th and 31st where the month has them, refuses them elsewhere', () => {
      const long = [1, 3, 5, 7, 8, 10, 12];
      for (let month = 1; month <= 12; month++) {
        const mm = String(month).padStart(2, '0');
        for (const day of ['29', '30', '31']) {
          const ts = `2023-${mm}-${day}T10:00:00Z`;
          const valid = month === 2 ? false : day !== '31' || long.includes(month);
          expect(check(sdo('indicator', { created: ts, modified: ts })), ts).to.equal(
            valid ? undefined : '/created: is not a valid calendar date',
          );
        }
        expect(
          check(sdo('indicator', { created: `2023-${mm}-28T00:00:00Z`, modified: `2023-${mm}-28T00:00:00Z` })),
        ).to.equal(undefined);
      }
    });

    it('applies the leap year rule, centuries included', () => {
      for (const [year, leap] of [
        [2024, true],
        [2023, false],
        [2000, true],
        [1900, false],
        [2100, false],
        [2400, true],
        [1996, true],
        [2001, false],
      ] as const) {
        const ts = `${year}-02-29T00:00:00Z`;
        expect(check(sdo('indicator', { created: ts, modified: ts })), ts).to.equal(
          leap ? undefined : '/created: is not a valid calendar date',
        );
        const feb30 = `${year}-02-30T00:00:00Z`;
        expect(check(sdo('indicator', { created: feb30, modified: feb30 })), feb30).to.equal(
          '/created: is not a valid calendar date',
        );
      }
    });

    it('refuses a month outside 01-12 once the day is past the 28th', () => {
      for (const ts of ['2024-13-30T00:00:00Z', '2024-00-29T00:00:00Z']) {
        expect(check(sdo('indicator', { created: ts, modified: ts })), ts).to.equal(
          '/created: is not a valid calendar date',
        );
      }
    });

    it('checks modified after created, and names it', () => {
      expect(check(sdo('indicator', { created: '2023-04-30T00:00:00Z', modified: '2023-04-31T00:00:00Z' }))).to.equal(
        '/modified: is not a valid calendar date',
      );
      expect(check(sdo('indicator', { created: '2023-04-31T00:00:00Z', modified: '2023-04-31T00:00:00Z' }))).to.equal(
        '/created: is not a valid calendar date',
      );
    });

    const table: [string, Obj, string[][]][] = [
      ['campaign', {}, [['first_seen'], ['last_seen']]],
      ['indicator', {}, [['valid_from'], ['valid_until']]],
      ['infrastructure', {}, [['first_seen'], ['last_seen']]],
      ['intrusion-set', {}, [['first_seen'], ['last_seen']]],
      ['malware', {}, [['first_seen'], ['last_seen']]],
      ['malware-analysis', {}, [['submitted'], ['analysis_started'], ['analysis_ended']]],
      ['observed-data', { object_refs: [idOf('ipv4-addr')] }, [['first_observed'], ['last_observed']]],
      ['report', {}, [['published']]],
      ['threat-actor', {}, [['first_seen'], ['last_seen']]],
      ['relationship', { source_ref: idOf('malware'), target_ref: idOf('tool') }, [['start_time'], ['stop_time']]],
      ['sighting', { sighting_of_ref: idOf('malware') }, [['first_seen'], ['last_seen']]],
      ['language-content', {}, [['object_modified']]],
      ['directory', {}, [['ctime'], ['mtime'], ['atime']]],
      ['email-message', { subject: 's' }, [['date']]],
      ['file', {}, [['ctime'], ['mtime'], ['atime'], ['extensions', 'windows-pebinary-ext', 'time_date_stamp']]],
      ['network-traffic', {}, [['start'], ['end']]],
      ['process', {}, [['created_time']]],
      [
        'user-account',
        {},
        [
          ['account_created'],
          ['account_expires'],
          ['credential_last_changed'],
          ['account_first_login'],
          ['account_last_login'],
        ],
      ],
      ['windows-registry-key', { key: 'k' }, [['modified_time']]],
      [
        'x509-certificate',
        { serial_number: '1' },
        [
          ['validity_not_before'],
          ['validity_not_after'],
          ['x509_v3_extensions', 'private_key_usage_period_not_before'],
          ['x509_v3_extensions', 'private_key_usage_period_not_after'],
        ],
      ],
    ];

    const withValue = (base: Obj, path: string[], value: string): Obj => {
      const out: Obj = structuredClone(base);
      let cur = out;
      for (const key of path.slice(0, -1)) {
        cur[key] = (cur[key] as Obj | undefined) ?? {};
        cur = cur[key] as Obj;
      }
      cur[path[path.length - 1] as string] = value;
      return out;
    };

    for (const [type, extra, paths] of table) {
      it(`checks the calendar of every timestamp property of ${type}`, () => {
        const base = [
          'directory',
          'email-message',
          'file',
          'network-traffic',
          'process',
          'user-account',
          'windows-registry-key',
          'x509-certificate',
        ].includes(type)
          ? sco(type, extra)
          : sdo(type, extra);
        expect(check(base), type).to.equal(undefined);
        for (const path of paths) {
          expect(check(withValue(base, path, '2023-06-31T00:00:00Z')), path.join('/')).to.equal(
            `/${path.join('/')}: is not a valid calendar date`,
          );
          expect(check(withValue(base, path, '2023-06-30T00:00:00Z')), path.join('/')).to.equal(undefined);
        }
      });
    }

    it('ignores timestamp-like properties that the type does not define, and non-string values', () => {
      expect(check(sdo('tool', { first_seen: '2023-02-30T00:00:00Z' }))).to.equal(undefined);
      expect(check(sdo('campaign', { first_seen: 20230230 }))).to.equal(undefined);
      expect(check(sco('file', { extensions: 'windows-pebinary-ext' }))).to.equal(undefined);
      expect(check(sco('file', { extensions: { 'windows-pebinary-ext': null } }))).to.equal(undefined);
      expect(check(sco('file', { mtime: '2023-02-29T00:00:00Z' }))).to.equal('/mtime: is not a valid calendar date');
    });
  });

  describe('ordering', () => {
    it('refuses modified before created and allows them equal, at any precision', () => {
      expect(check(sdo('tool', { created: '2024-01-01T00:00:01Z', modified: '2024-01-01T00:00:00.999Z' }))).to.equal(
        '/modified: must not be earlier than created',
      );
      expect(check(sdo('tool', { created: '2024-01-01T00:00:01Z', modified: '2024-01-01T00:00:01.000Z' }))).to.equal(
        undefined,
      );
      expect(check(sdo('tool', { created: '2024-01-01T00:00:01Z', modified: undefined }))).to.equal(undefined);
    });

    const pairs: [string, string, string, boolean, Obj][] = [
      ['campaign', 'first_seen', 'last_seen', false, {}],
      ['infrastructure', 'first_seen', 'last_seen', false, {}],
      ['intrusion-set', 'first_seen', 'last_seen', false, {}],
      ['malware', 'first_seen', 'last_seen', false, {}],
      ['threat-actor', 'first_seen', 'last_seen', false, {}],
      ['sighting', 'first_seen', 'last_seen', false, { sighting_of_ref: idOf('malware') }],
      ['indicator', 'valid_from', 'valid_until', true, {}],
      ['observed-data', 'first_observed', 'last_observed', false, { object_refs: [idOf('ipv4-addr')] }],
      ['relationship', 'start_time', 'stop_time', true, { source_ref: idOf('malware'), target_ref: idOf('tool') }],
      ['network-traffic', 'start', 'end', false, {}],
    ];
    for (const [type, earlier, later, strict, extra] of pairs) {
      it(`${type}: ${later} must be ${strict ? 'later than' : 'at or after'} ${earlier}`, () => {
        const make = (a: string, b: string) =>
          (type === 'network-traffic' ? sco : sdo)(type, { ...extra, [earlier]: a, [later]: b });
        const reason = `/${later}: must be ${strict ? 'later than' : 'equal to or later than'} ${earlier}`;
        expect(check(make('2024-01-02T00:00:00Z', '2024-01-01T00:00:00Z'))).to.equal(reason);
        expect(check(make('2024-01-01T00:00:00Z', '2024-01-01T00:00:00.000Z'))).to.equal(strict ? reason : undefined);
        expect(check(make('2024-01-01T00:00:00Z', '2024-01-01T00:00:00.001Z'))).to.equal(undefined);
        expect(
          check((type === 'network-traffic' ? sco : sdo)(type, { ...extra, [later]: '2000-01-01T00:00:00Z' })),
        ).to.equal(undefined);
      });
    }
  });

  describe('markings', () => {
    const md = (extra: Obj = {}) => sdo('marking-definition', extra);

    it('a marking definition must not mark itself, at object or granular level', () => {
      const self = idOf('marking-definition');
      const other = idOf('marking-definition', V5);
      expect(check(md({ object_marking_refs: [other, self] }))).to.equal(
        '/object_marking_refs/1: a marking definition must not mark itself',
      );
      expect(check(md({ object_marking_refs: [self] }))).to.equal(
        '/object_marking_refs/0: a marking definition must not mark itself',
      );
      expect(check(md({ object_marking_refs: [other] }))).to.equal(undefined);
      expect(
        check(
          md({
            granular_markings: [
              { marking_ref: other, selectors: ['type'] },
              { marking_ref: self, selectors: ['type'] },
            ],
          }),
        ),
      ).to.equal('/granular_markings/1/marking_ref: a marking definition must not mark itself');
    });

    it('other objects may carry their own id among the refs (nothing to check there)', () => {
      const tool = sdo('tool');
      expect(check({ ...tool, object_marking_refs: [tool.id] })).to.equal(undefined);
      expect(check({ ...tool, granular_markings: [{ marking_ref: tool.id, selectors: ['id'] }] })).to.equal(undefined);
    });

    it('selectors must point to content that is present', () => {
      const obj = sdo('tool', {
        name: 'n',
        kill_chain_phases: [
          { kill_chain_name: 'k', phase_name: 'p' },
          { kill_chain_name: 'k2', phase_name: 'p2' },
        ],
        external_references: [],
        x_map: { 'a b': { deep: [1, 2] } },
      });
      const sel = (...selectors: string[]) =>
        check({ ...obj, granular_markings: [{ marking_ref: idOf('marking-definition'), selectors }] });
      for (const good of [
        'name',
        'kill_chain_phases',
        'kill_chain_phases.[0]',
        'kill_chain_phases.[1].phase_name',
        'x_map.a b.deep.[1]',
      ]) {
        expect(sel(good), good).to.equal(undefined);
      }
      for (const bad of [
        'missing',
        '',
        'name.',
        '.name',
        'kill_chain_phases.[2]',
        'kill_chain_phases.[01]',
        'kill_chain_phases.0',
        'kill_chain_phases.[-1]',
        'name.[0]',
        'external_references.[0]',
        'kill_chain_phases.[0].missing',
        'kill_chain_phases.phase_name',
        '[0]',
        'toString',
        'x_map.a b.deep.[2]',
        'x_map..deep',
      ]) {
        expect(sel('name', bad), bad).to.equal(
          `/granular_markings/0/selectors/1: selector "${bad}" does not point to content of this object`,
        );
      }
      expect(
        check({
          ...obj,
          granular_markings: [
            { marking_ref: idOf('marking-definition'), selectors: ['name'] },
            { marking_ref: idOf('marking-definition', V5), selectors: ['nope'] },
          ],
        }),
      ).to.equal('/granular_markings/1/selectors/0: selector "nope" does not point to content of this object');
    });
  });

  describe('selector steps', () => {
    it('an empty step never resolves, even where an empty key is present', () => {
      const obj = sdo('tool', { name: 'n', x_map: { '': { inner: 1 }, a: 1 } });
      const sel = (selector: string) =>
        check({ ...obj, granular_markings: [{ marking_ref: idOf('marking-definition'), selectors: [selector] }] });
      expect(sel('x_map.a')).to.equal(undefined);
      for (const bad of ['x_map.', 'x_map..inner']) {
        expect(sel(bad), bad).to.equal(
          `/granular_markings/0/selectors/0: selector "${bad}" does not point to content of this object`,
        );
      }
    });
  });

  describe('references without a type separator', () => {
    it('take the whole reference as the type', () => {
      const rel = (target: string) =>
        sdo('relationship', { relationship_type: 'uses', source_ref: idOf('tool'), target_ref: target });
      expect(check(rel('bundle'))).to.equal('/target_ref: a relationship must connect SDOs or SCOs, not a bundle');
      expect(check(sdo('sighting', { sighting_of_ref: 'file' }))).to.equal(
        '/sighting_of_ref: must be the id of an SDO, not a file',
      );
      expect(check(sdo('observed-data', { object_refs: ['relationship'] }))).to.equal(
        '/object_refs: must reference at least one cyber-observable object',
      );
    });
  });

  describe('custom objects', () => {
    it('need one property besides type, id and spec_version', () => {
      const base = { type: 'x-acme', id: `x-acme--${V4}`, spec_version: '2.1' };
      expect(check(base, true)).to.equal(
        'a custom object must have at least one property besides type, id and spec_version',
      );
      expect(check({ type: 'x-acme', id: `x-acme--${V4}` }, true)).to.equal(
        'a custom object must have at least one property besides type, id and spec_version',
      );
      expect(check({ ...base, x: 1 }, true)).to.equal(undefined);
      expect(check({ x: 1, ...base }, true)).to.equal(undefined);
    });

    it('skip the type-specific rules of the type they name', () => {
      // a custom object is never checked as a relationship, even when it is named like one
      expect(check({ ...sdo('relationship'), source_ref: idOf('bundle'), target_ref: idOf('bundle') }, true)).to.equal(
        undefined,
      );
    });
  });

  describe('relationships and sightings', () => {
    const rel = (source: string, target: string) =>
      sdo('relationship', { relationship_type: 'uses', source_ref: source, target_ref: target });

    it('relationships connect SDOs, SCOs and custom objects', () => {
      for (const t of ['malware', 'ipv4-addr', 'x-acme-widget', 'identity']) {
        expect(check(rel(idOf('tool'), idOf(t))), t).to.equal(undefined);
        expect(check(rel(idOf(t), idOf('tool'))), t).to.equal(undefined);
      }
    });

    it('relationships never connect SROs, SMOs or bundles, checked source first', () => {
      for (const t of [
        'relationship',
        'sighting',
        'marking-definition',
        'language-content',
        'extension-definition',
        'bundle',
      ]) {
        expect(check(rel(idOf(t), idOf('tool'))), t).to.equal(
          `/source_ref: a relationship must connect SDOs or SCOs, not a ${t}`,
        );
        expect(check(rel(idOf('tool'), idOf(t))), t).to.equal(
          `/target_ref: a relationship must connect SDOs or SCOs, not a ${t}`,
        );
      }
      expect(check(rel(idOf('sighting'), idOf('bundle')))).to.equal(
        '/source_ref: a relationship must connect SDOs or SCOs, not a sighting',
      );
    });

    it('sightings point to an SDO (custom ones included), never an SCO, SRO, SMO or bundle', () => {
      const s = (ref: string) => sdo('sighting', { sighting_of_ref: ref });
      for (const t of ['malware', 'indicator', 'x-acme-widget']) expect(check(s(idOf(t))), t).to.equal(undefined);
      for (const t of [
        'file',
        'ipv4-addr',
        'relationship',
        'sighting',
        'marking-definition',
        'language-content',
        'bundle',
      ]) {
        expect(check(s(idOf(t))), t).to.equal(`/sighting_of_ref: must be the id of an SDO, not a ${t}`);
      }
    });
  });

  describe('observed-data object_refs', () => {
    const od = (refs: unknown) => sdo('observed-data', { object_refs: refs });

    it('takes SCOs, optionally with SROs, and custom types', () => {
      expect(check(od([idOf('ipv4-addr')]))).to.equal(undefined);
      expect(check(od([idOf('relationship'), idOf('file')]))).to.equal(undefined);
      expect(check(od([idOf('x-acme-thing')]))).to.equal(undefined);
      expect(check(sdo('observed-data'))).to.equal(undefined);
    });

    it('refuses SDOs, SMOs and bundles, naming the index', () => {
      for (const t of [
        'malware',
        'indicator',
        'marking-definition',
        'extension-definition',
        'language-content',
        'bundle',
      ]) {
        expect(check(od([idOf('file'), idOf(t)])), t).to.equal(
          `/object_refs/1: observed-data may only reference SCOs and SROs, not a ${t}`,
        );
      }
    });

    it('needs at least one observable', () => {
      for (const refs of [[], [idOf('relationship')], [idOf('sighting'), idOf('relationship', V5)]]) {
        expect(check(od(refs)), JSON.stringify(refs)).to.equal(
          '/object_refs: must reference at least one cyber-observable object',
        );
      }
    });
  });

  describe('SCO ids without contributing properties', () => {
    const contributors: [string, string[]][] = [
      ['email-message', ['from_ref', 'subject', 'body']],
      ['user-account', ['account_type', 'user_id', 'account_login']],
      ['windows-registry-key', ['key', 'values']],
      ['x509-certificate', ['hashes', 'serial_number']],
    ];
    for (const [type, props] of contributors) {
      it(`${type}: a version 4 UUID unless one of ${props.join(', ')} is present`, () => {
        expect(check(sco(type, { id: idOf(type, V5) }))).to.equal(
          `/id: must use a version 4 UUID when none of ${props.join(', ')} is present`,
        );
        expect(check(sco(type, { id: idOf(type, V4) }))).to.equal(undefined);
        for (const p of props) expect(check(sco(type, { id: idOf(type, V5), [p]: 'x' })), p).to.equal(undefined);
      });
    }

    it('process ids are always version 4 UUIDs', () => {
      expect(check(sco('process', { id: idOf('process', V5), pid: 4 }))).to.equal(
        '/id: a process id must use a version 4 UUID',
      );
      expect(check(sco('process', { id: idOf('process', V4) }))).to.equal(undefined);
      expect(check(sco('process', { id: `process--${V4.slice(0, 14)}3${V4.slice(15)}` }))).to.equal(
        '/id: a process id must use a version 4 UUID',
      );
    });

    it('other SCOs may use any UUID version', () => {
      expect(check(sco('ipv4-addr', { id: idOf('ipv4-addr', V5), value: '192.0.2.1' }))).to.equal(undefined);
      expect(check(sco('file', { id: idOf('file', V5) }))).to.equal(undefined);
    });
  });
});
