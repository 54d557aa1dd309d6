import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ResourceRecord } from '../process/resources.js';

/** A chunk's resource records (see shared/process/resources.ts) as CloudWatch metrics: CPU, peak memory, bytes, bottleneck, and the external run's. */
export function addResourceMetrics(metrics: Metrics, resources: { chunk: ResourceRecord; external?: ResourceRecord } | undefined): void {
  if (!resources) return;
  const add = (prefix: string, r: ResourceRecord) => {
    if (r.cpuUserMs !== undefined) metrics.addMetric(`${prefix}CpuTime`, MetricUnit.Milliseconds, r.cpuUserMs + (r.cpuSystemMs ?? 0));
    if (r.peakRssBytes !== undefined) metrics.addMetric(`${prefix}PeakRss`, MetricUnit.Megabytes, r.peakRssBytes / 2 ** 20);
    if (r.bytesWritten !== undefined) metrics.addMetric(`${prefix}BytesWritten`, MetricUnit.Bytes, r.bytesWritten);
    metrics.addMetric(`${prefix}Bottleneck_${r.bottleneck}`, MetricUnit.Count, 1);
  };
  add('Chunk', resources.chunk);
  if (resources.external) {
    add('External', resources.external);
    metrics.addMetric('ExternalDuration', MetricUnit.Milliseconds, resources.external.wallMs);
  }
}
