// Prometheus metrics (exposition format 0.0.4). One Registry per container, built in the
// composition root: prom-client's global default registry is never used, so two apps in one
// process (tests, the CLI beside a server) never share or clash over counters.
//
// Labels hold only bounded, non-identifying values: route templates, methods, status codes,
// store method names, outcomes and authentication schemes. Never an API root, a collection, an
// object id or a username, so a scrape reveals no tenant's data or naming.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { LoginFailureCounter, LoginScheme } from '../auth/http-auth.js';
import type { IngestCounter, IngestOutcome } from '../ingest/ingest-service.js';
import type { ServedCounter } from '../taxii/paging.js';

/** Seconds: from 1 ms (a cached lookup) to 10 s (past the default query timeout of 5 s). */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const METRICS_PREFIX = 'palisade_';

/**
 * A histogram for the hot path of store calls. prom-client's own observe validates and hashes the
 * label set at every call (about 2.5 µs); here a call adds to plain per-method arrays (tens of
 * nanoseconds) and the series are built when the registry is scraped. The series are the same a
 * prom-client Histogram would expose: cumulative `_bucket` per `le`, `_sum` and `_count`.
 */
class CallHistogram extends Histogram<'method' | 'le'> {
  private readonly name: string;
  private readonly help: string;
  private readonly bounds: readonly number[];
  private readonly byMethod = new Map<string, { buckets: Float64Array; sum: number; count: number }>();

  constructor(cfg: { name: string; help: string; buckets: number[]; registers: Registry[] }) {
    super({ ...cfg, labelNames: ['method'] });
    this.name = cfg.name;
    this.help = cfg.help;
    this.bounds = cfg.buckets;
  }

  record(method: string, seconds: number): void {
    let s = this.byMethod.get(method);
    if (s === undefined) {
      s = { buckets: new Float64Array(this.bounds.length), sum: 0, count: 0 };
      this.byMethod.set(method, s);
    }
    // the first bound the value does not pass; none: only +Inf holds it
    let i = 0;
    while (i < this.bounds.length && seconds > (this.bounds[i] as number)) i++;
    if (i < this.bounds.length) s.buckets[i] = (s.buckets[i] as number) + 1;
    s.sum += seconds;
    s.count++;
  }

  override get(): ReturnType<Histogram<'method' | 'le'>['get']> {
    return Promise.resolve(this.series());
  }

  /** The registry's text exposition reads this method instead of get() when a metric has it. */
  getForPromString(): ReturnType<Histogram<'method' | 'le'>['get']> {
    return Promise.resolve(this.series());
  }

  private series(): Awaited<ReturnType<Histogram<'method' | 'le'>['get']>> {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const [method, s] of this.byMethod) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += s.buckets[i] as number;
        values.push({ labels: { le, method }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf', method }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: { method }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { method }, value: s.count, metricName: `${this.name}_count` });
    }
    // The shape prom-client's own histograms produce (its typings name the type as an enum, while
    // the registry writes the string).
    return { name: this.name, help: this.help, type: 'histogram', aggregator: 'sum', values } as unknown as Awaited<
      ReturnType<Histogram<'method' | 'le'>['get']>
    >;
  }

  override reset(): void {
    super.reset();
    // prom-client's constructor calls reset() before this class's fields exist
    (this.byMethod as typeof this.byMethod | undefined)?.clear();
  }
}

/** One finished HTTP request, as src/http/request-log.ts observes it. */
export interface RequestObservation {
  route: string;
  method: string;
  status: number;
  seconds: number;
}

/** A gauge read from the store at each scrape. */
function storeGauge(registers: Registry[], name: string, help: string, read: () => Promise<number>): Gauge {
  return new Gauge({
    name,
    help,
    registers,
    async collect() {
      // A store that does not answer leaves the last value: the scrape still succeeds, and
      // /readyz reports the store.
      try {
        this.set(await read());
      } catch {
        // keep the previous value
      }
    },
  });
}

export class Metrics implements IngestCounter, ServedCounter, LoginFailureCounter {
  readonly registry = new Registry();
  private readonly requests: Counter<'route' | 'method' | 'status'>;
  private readonly requestSeconds: Histogram<'route' | 'method'>;
  private readonly ingestedTotal: Counter<'outcome'>;
  private readonly servedTotal: Counter;
  private readonly loginFailures: Counter<'scheme'>;
  private readonly storeSeconds: CallHistogram;
  private processMetrics = false;

  /**
   * queueDepth: released add-objects jobs not yet done; indexBacklog: changes the analyst index
   * has yet to apply (both read at each scrape)
   */
  constructor(queueDepth: () => Promise<number>, indexBacklog: () => Promise<number> = async () => 0) {
    const registers = [this.registry];
    const p = METRICS_PREFIX;
    this.requests = new Counter({
      name: `${p}http_requests_total`,
      help: 'HTTP requests answered, by route template, method and status code.',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.requestSeconds = new Histogram({
      name: `${p}http_request_duration_seconds`,
      help: 'Time from the arrival of a request to the end of its answer, by route template and method.',
      labelNames: ['route', 'method'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.ingestedTotal = new Counter({
      name: `${p}objects_ingested_total`,
      help: 'Objects of add-objects requests processed, by outcome: added, duplicate (already stored) or failed.',
      labelNames: ['outcome'],
      registers,
    });
    this.servedTotal = new Counter({
      name: `${p}objects_served_total`,
      help: 'Objects, manifest records and versions returned by TAXII object, manifest and versions responses.',
      registers,
    });
    this.loginFailures = new Counter({
      name: `${p}login_failures_total`,
      help: 'Failed sign-ins, by authentication scheme.',
      labelNames: ['scheme'],
      registers,
    });
    this.storeSeconds = new CallHistogram({
      name: `${p}store_query_duration_seconds`,
      help: 'Time of store calls as seen by the server (queueing for a database thread included), by area.method.',
      buckets: DURATION_BUCKETS,
      registers,
    });
    storeGauge(
      registers,
      `${p}ingest_queue_depth`,
      'Add-objects requests queued and not yet processed (read from the store at each scrape).',
      queueDepth,
    );
    storeGauge(
      registers,
      `${p}analyst_index_backlog`,
      'Stored changes the analyst index (search, graph, change log) has not applied yet; it applies them when the store is idle, and any analyst read applies them first.',
      indexBacklog,
    );
  }

  /**
   * Node process metrics (CPU, memory, event loop lag, GC, handles) under the palisade_ prefix.
   * Only a serving process asks for them: they sample the process with timers and observers that
   * live as long as it does, which one-shot commands and short-lived test apps do not need.
   */
  collectProcessMetrics(): void {
    if (this.processMetrics) return;
    this.processMetrics = true;
    collectDefaultMetrics({ register: this.registry, prefix: METRICS_PREFIX });
  }

  request(o: RequestObservation): void {
    this.requests.inc({ route: o.route, method: o.method, status: String(o.status) });
    this.requestSeconds.observe({ route: o.route, method: o.method }, o.seconds);
  }

  ingested(outcome: IngestOutcome, count: number): void {
    if (count > 0) this.ingestedTotal.inc({ outcome }, count);
  }

  served(count: number): void {
    if (count > 0) this.servedTotal.inc(count);
  }

  loginFailed(scheme: LoginScheme): void {
    this.loginFailures.inc({ scheme });
  }

  storeCall(method: string, seconds: number): void {
    this.storeSeconds.record(method, seconds);
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
