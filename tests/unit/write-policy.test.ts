// Collection write policies (src/access/write-policy.ts), decided object by object.
import { expect } from 'chai';
import type { Admitted } from '../../src/access/gate.js';
import { writeRefusal } from '../../src/access/write-policy.js';
import type { CollectionPolicy } from '../../src/store/store.js';

const UUID = '6b1c2e9a-93f5-4d7b-8f0e-2a4c6e8b0d1f';
const TLP = {
  white: 'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9',
  green: 'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da',
  amber: 'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82',
  red: 'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed',
  amberStrict: 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003',
  clear2: 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487',
};
const OUR_ID = `identity--${UUID}`;
const THEIR_ID = `identity--${UUID.replace('6b', '7c')}`;

function at(
  policy: CollectionPolicy | undefined,
  role: 'member' | 'tenant-admin' | 'platform-admin' = 'member',
  identities = [OUR_ID],
): Admitted<'write'> {
  return {
    root: { path: 'eu', title: 'eu', maxContentLength: 1000, source: 'config' },
    collection: {
      id: 'c1',
      apiRoot: 'eu',
      title: 'c1',
      mediaTypes: [],
      source: 'config',
      ...(policy ? { policy } : {}),
    },
    rights: { read: true, write: true },
    need: 'write',
    deniedMarkings: [],
    writer: { role, identities },
  };
}

const obj = (type: string, extra: Record<string, unknown> = {}) => ({ type, id: `${type}--${UUID}`, ...extra });

describe('collection write policies (src/access/write-policy.ts)', () => {
  it('lets anything through without a policy or with an empty one', () => {
    expect(writeRefusal(at(undefined), obj('malware', { object_marking_refs: [TLP.red] }))).to.equal(undefined);
    expect(writeRefusal(at({}), obj('malware', { object_marking_refs: [TLP.red] }))).to.equal(undefined);
  });

  it('refuses types outside the allowed list, listing the allowed ones', () => {
    const p = at({ allowedTypes: ['indicator', 'malware'] });
    expect(writeRefusal(p, obj('indicator'))).to.equal(undefined);
    expect(writeRefusal(p, obj('malware'))).to.equal(undefined);
    expect(writeRefusal(p, obj('tool'))).to.equal(
      'this collection does not take tool objects (it takes indicator, malware)',
    );
    expect(writeRefusal(at({ allowedTypes: [] }), obj('tool'))).to.equal(
      'this collection does not take tool objects (it takes )',
    );
  });

  it('refuses objects marked above the maximum TLP, judged by their most restrictive TLP marking', () => {
    const amber = at({ maxTlp: 'amber' });
    for (const [refs, refused] of [
      [[], undefined],
      [['marking-definition--00000000-0000-4000-8000-000000000000'], undefined],
      [[TLP.white], undefined],
      [[TLP.green], undefined],
      [[TLP.amber], undefined],
      [[TLP.green, TLP.amber], undefined],
      [[TLP.amberStrict], 'TLP:AMBER+STRICT is above what this collection may hold (at most TLP:AMBER)'],
      [[TLP.red], 'TLP:RED is above what this collection may hold (at most TLP:AMBER)'],
      [[TLP.green, TLP.red, TLP.amber], 'TLP:RED is above what this collection may hold (at most TLP:AMBER)'],
    ] as const) {
      expect(writeRefusal(amber, obj('indicator', { object_marking_refs: refs })), refs.join()).to.equal(refused);
    }
    expect(
      writeRefusal(at({ maxTlp: 'clear' }), obj('indicator', { object_marking_refs: [TLP.white, TLP.clear2] })),
    ).to.equal(undefined);
    expect(writeRefusal(at({ maxTlp: 'clear' }), obj('indicator', { object_marking_refs: [TLP.green] }))).to.equal(
      'TLP:GREEN is above what this collection may hold (at most TLP:CLEAR)',
    );
    expect(writeRefusal(at({ maxTlp: 'red' }), obj('indicator', { object_marking_refs: [TLP.red] }))).to.equal(
      undefined,
    );
  });

  it('checks the type before the TLP', () => {
    const p = at({ allowedTypes: ['indicator'], maxTlp: 'green' });
    expect(writeRefusal(p, obj('tool', { object_marking_refs: [TLP.red] }))).to.match(/does not take tool/);
    expect(writeRefusal(p, obj('indicator', { object_marking_refs: [TLP.red] }))).to.match(/^TLP:RED/);
  });

  describe('provenance', () => {
    const prov = (role?: 'member' | 'tenant-admin' | 'platform-admin', identities?: string[]) =>
      at({ provenance: true }, role, identities);

    it('takes objects created by one of the writer tenant’s identities', () => {
      expect(writeRefusal(prov(), obj('indicator', { created_by_ref: OUR_ID }))).to.equal(undefined);
      expect(writeRefusal(prov('member', [THEIR_ID, OUR_ID]), obj('indicator', { created_by_ref: OUR_ID }))).to.equal(
        undefined,
      );
    });

    it('refuses objects created by someone else, or by nobody', () => {
      expect(writeRefusal(prov(), obj('indicator', { created_by_ref: THEIR_ID }))).to.equal(
        `created_by_ref ${THEIR_ID} is not an identity of your tenant`,
      );
      expect(writeRefusal(prov(), obj('indicator'))).to.equal(
        'created_by_ref is required here and must be an identity of your tenant',
      );
      expect(writeRefusal(prov(), obj('indicator', { created_by_ref: 42 }))).to.equal(
        'created_by_ref is required here and must be an identity of your tenant',
      );
      expect(writeRefusal(prov('tenant-admin'), obj('indicator', { created_by_ref: THEIR_ID }))).to.match(
        /not an identity/,
      );
      expect(writeRefusal(prov('member', []), obj('indicator', { created_by_ref: OUR_ID }))).to.match(
        /not an identity/,
      );
    });

    it('lets an identity of the tenant describe itself, but not another identity', () => {
      expect(writeRefusal(prov(), { type: 'identity', id: OUR_ID })).to.equal(undefined);
      expect(writeRefusal(prov(), { type: 'identity', id: THEIR_ID })).to.equal(
        'created_by_ref is required here and must be an identity of your tenant',
      );
      // the self-description exception is for identities only
      expect(writeRefusal(prov('member', [`malware--${UUID}`]), obj('malware'))).to.equal(
        'created_by_ref is required here and must be an identity of your tenant',
      );
    });

    it('does not apply to SCOs or to platform admins', () => {
      expect(writeRefusal(prov(), obj('ipv4-addr', { value: '192.0.2.1' }))).to.equal(undefined);
      expect(writeRefusal(prov(), obj('file', { created_by_ref: THEIR_ID }))).to.equal(undefined);
      expect(writeRefusal(prov('platform-admin', []), obj('indicator'))).to.equal(undefined);
      expect(writeRefusal(prov('platform-admin', []), obj('indicator', { created_by_ref: THEIR_ID }))).to.equal(
        undefined,
      );
    });

    it('applies after the TLP check, and is off when the policy does not ask for it', () => {
      const both = at({ maxTlp: 'green', provenance: true });
      expect(writeRefusal(both, obj('indicator', { object_marking_refs: [TLP.red] }))).to.match(/^TLP:RED/);
      expect(writeRefusal(both, obj('indicator', { object_marking_refs: [TLP.green] }))).to.match(
        /created_by_ref is required/,
      );
      expect(writeRefusal(at({ provenance: false }), obj('indicator'))).to.equal(undefined);
    });
  });
});
