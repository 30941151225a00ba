import { describe, expect, it } from 'vitest';
import { failedByPodFailurePolicy, jobState, slimJob, type Job } from './jobs.ts';

const job = (conditions: { type: string; status: string; reason?: string }[] = []): Job => ({
  metadata: { name: 'a-plan-1', namespace: 'n', uid: 'u', ownerReferences: [{ uid: 'o', kind: 'Episode' } as { uid: string }] },
  status: { conditions, startTime: '2026-12-04T00:00:00Z' },
});

describe('Job helpers', () => {
  it('reads the outcome from final and interim conditions', () => {
    expect(jobState(job())).toBe('Active');
    expect(jobState(job([{ type: 'Complete', status: 'True' }]))).toBe('Complete');
    expect(jobState(job([{ type: 'SuccessCriteriaMet', status: 'True' }]))).toBe('Complete');
    expect(jobState(job([{ type: 'FailureTarget', status: 'True' }]))).toBe('Failed');
    expect(jobState(job([{ type: 'Failed', status: 'False' }]))).toBe('Active');
  });

  it('tells a failure by the pod failure policy from running out of retries', () => {
    expect(failedByPodFailurePolicy(job([{ type: 'Failed', status: 'True', reason: 'PodFailurePolicy' }]))).toBe(true);
    expect(failedByPodFailurePolicy(job([{ type: 'FailureTarget', status: 'True', reason: 'PodFailurePolicy' }]))).toBe(true);
    expect(failedByPodFailurePolicy(job([{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }]))).toBe(false);
    expect(failedByPodFailurePolicy(job([{ type: 'Failed', status: 'False', reason: 'PodFailurePolicy' }]))).toBe(false);
    expect(failedByPodFailurePolicy(job())).toBe(false);
  });

  it('keeps identity and status only', () => {
    const full = { ...job(), spec: { template: {} } } as Job;
    const slim = slimJob(full);
    expect(slim).not.toHaveProperty('spec');
    expect(slim.metadata.ownerReferences).toEqual([{ uid: 'o' }]);
    expect(slim.status?.startTime).toBe('2026-12-04T00:00:00Z');
  });
});
