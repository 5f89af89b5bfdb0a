// Times every store call, whatever the backend: the composition root wraps the opened Store once,
// so SQLite (threaded or not) and MongoDB are measured at the same seam, as the server sees them
// (for threaded SQLite, the wait for a free database thread included). The cost per call is one
// clock read before, one after and one histogram observation.
import { performance } from 'node:perf_hooks';
import type { Store } from '../store/store.js';

/** Where a call's duration goes: `area.method` (e.g. `objects.queryObjects`) and seconds. */
export type StoreCallObserver = (method: string, seconds: number) => void;

const AREAS = [
  'meta',
  'catalog',
  'identity',
  'tenancy',
  'grants',
  'markings',
  'objects',
  'statuses',
  'audit',
  'jobs',
  'intel',
] as const satisfies readonly (keyof Store)[];

/** The method names of an area object: its own and those of its classes, not Object's. */
function methodNames(area: object): string[] {
  const names = new Set<string>();
  for (let o: object | null = area; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object) {
    for (const name of Object.getOwnPropertyNames(o)) {
      if (name === 'constructor') continue;
      const d = Object.getOwnPropertyDescriptor(o, name);
      if (d !== undefined && typeof d.value === 'function') names.add(name);
    }
  }
  return [...names];
}

function timedArea<T extends object>(name: string, area: T, observe: StoreCallObserver): T {
  // Reads of anything but the methods fall through to the area itself.
  const timed = Object.create(area) as Record<string, unknown>;
  for (const method of methodNames(area)) {
    const fn = (area as Record<string, unknown>)[method] as (...args: unknown[]) => unknown;
    const label = `${name}.${method}`;
    const call = (...args: unknown[]): unknown => {
      const start = performance.now();
      let result: unknown;
      try {
        result = fn.apply(area, args);
      } catch (err) {
        observe(label, (performance.now() - start) / 1000);
        throw err;
      }
      if (!(result instanceof Promise)) {
        observe(label, (performance.now() - start) / 1000);
        return result;
      }
      return result.then(
        (value: unknown) => {
          observe(label, (performance.now() - start) / 1000);
          return value;
        },
        (err: unknown) => {
          observe(label, (performance.now() - start) / 1000);
          throw err;
        },
      );
    };
    // Defined, not assigned: a frozen area (the threaded store's) makes its methods read-only,
    // and an inherited read-only property would refuse an assignment.
    Object.defineProperty(timed, method, { value: call, enumerable: true });
  }
  return Object.freeze(timed) as T;
}

/** The same store, with every area method call reported to `observe`. */
export function timeStore(store: Store, observe: StoreCallObserver): Store {
  const areas = Object.fromEntries(AREAS.map((a) => [a, timedArea(a, store[a], observe)]));
  return Object.freeze({
    ...areas,
    migrate: store.migrate.bind(store),
    ping: store.ping.bind(store),
    close: store.close.bind(store),
  }) as Store;
}
