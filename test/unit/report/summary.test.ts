import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { SnsJobSummaries } from '../../../shared/aws/adapters.js';
import { failureSummary, reportSummary } from '../../../shared/report/summary.js';
import { reportOf } from '../../fixtures.js';

const report = reportOf(
  {
    jobId: 'flux-1',
    input: { key: 'incoming/sites/US-Ha1_2019 é.tsv', size: 5_242_880, etag: 'e' },
    status: 'FAILED',
    failure: 'quality gate: reject ratio 9.72% is above 5.00%',
    datasetRules: [
      { name: 'one_row_per_halfhour', type: 'unique', severity: 'error', passed: true, detail: '0 duplicate key(s) over SITE_ID, TIMESTAMP_START' },
      { name: 'coverage', type: 'completeness', severity: 'warn', passed: false, detail: '90 of 100 expected 30m slots (90.00%, min 95%)' },
    ],
  },
  { rules: { max: { count: 100, samples: [{ line: 42, column: 'TA', value: '999', message: '999 is above max 60' }] }, columns: { count: 20, samples: [{ line: 7, message: 'expected 14 fields, found 6' }] }, quiet: { count: 0, samples: [] } } },
);

describe('job summaries', () => {
  it('give the pipeline, file and status in the subject, and the accounting, gate, failed rules with samples and the report link in the text', () => {
    const s = reportSummary(report, 'https://example.com/report.html');
    expect(s.subject).toBe('Sluice FAILED: flux US-Ha1_2019 ?.tsv');
    expect(s.text).toBe(
      [
        'flux job flux-1: FAILED (quality gate: reject ratio 9.72% is above 5.00%)',
        'input: incoming/sites/US-Ha1_2019 é.tsv (5,242,880 bytes)',
        '',
        'rows: 1,234 in = 1,100 out + 120 rejected + 14 filtered',
        'gate: FAILED: reject ratio 9.72% of at most 5.00%',
        '',
        'dataset rules that failed:',
        '  warn coverage: 90 of 100 expected 30m slots (90.00%, min 95%)',
        '',
        'row rules that rejected rows:',
        '  max: 100',
        '    line 42, TA "999": 999 is above max 60',
        '  columns: 20',
        '    line 7: expected 14 fields, found 6',
        '',
        'report: https://example.com/report.html',
        '',
      ].join('\n'),
    );
  });

  it('keep a subject under 100 printable ASCII characters, the end of a long file name kept, and long values cut', () => {
    const long = reportSummary({ ...report, input: { ...report.input, key: `incoming/${'x'.repeat(150)}_US-Ha1_2019.tsv` } }, 'l');
    expect(long.subject).toHaveLength(99);
    expect(long.subject).toMatch(/^Sluice FAILED: flux ~x+_US-Ha1_2019\.tsv$/);
    const wide = reportSummary(reportOf({}, { rules: { max: { count: 1, samples: [{ line: 3, column: 'note', value: 'v'.repeat(10_000), message: 'too long' }] } } }), 'l');
    expect(wide.text).toContain(`    line 3, note "${'v'.repeat(120)}…": too long`);
    expect(failureSummary({ jobId: 'j', pipeline: 'flux', key: 'x.tsv' }, { name: 'Sluice.TransientError', message: 'SlowDown' }).text).toContain('The cause is transient: the sweep runs the job again, up to its max attempts.');
    expect(failureSummary({ jobId: 'j', pipeline: 'flux', key: 'incoming/a\nb.tsv' }, { name: 'Sluice.InputError', message: 'incoming/a.tsv:1: file is empty' })).toEqual({
      subject: 'Sluice FAILED: flux a?b.tsv',
      text: 'flux job j: FAILED before its report\ninput: incoming/a\nb.tsv\n\nSluice.InputError: incoming/a.tsv:1: file is empty\n',
    });
  });

  it('go to the SNS topic with their subject, and link the report in the S3 console', async () => {
    const sns = mockClient(SNSClient);
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    const summaries = new SnsJobSummaries(new SNSClient({ region: 'eu-west-1' }), 'arn:aws:sns:eu-west-1:123456789012:JobSummaries', 'data-bucket', 'eu-west-1');
    expect(summaries.reportLink('reports/flux/flux-1/report.html')).toBe('https://console.aws.amazon.com/s3/object/data-bucket?region=eu-west-1&prefix=reports%2Fflux%2Fflux-1%2Freport.html');
    await summaries.send({ subject: 's', text: 't' });
    expect(sns.commandCalls(PublishCommand).map((c) => c.args[0].input)).toEqual([{ TopicArn: 'arn:aws:sns:eu-west-1:123456789012:JobSummaries', Subject: 's', Message: 't' }]);
    sns.restore();
  });
});
