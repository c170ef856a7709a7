/**
 * The hooks pages read the API through: cached by TanStack Query, refreshed while something runs, and
 * invalidated when a job this console started changes what a page shows.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiError } from "./api";
import { isTerminal, type AuditQuery, type Job, type JobsQuery } from "./types";

export const keys = {
  me: ["me"] as const,
  mesh: ["mesh"] as const,
  stacks: ["stacks"] as const,
  stack: (s: string) => ["stacks", s] as const,
  jobs: (q: JobsQuery) => ["jobs", q] as const,
  job: (id: string) => ["job", id] as const,
  converge: (id: string) => ["converge", id] as const,
  converges: ["converges"] as const,
  audit: (q: AuditQuery) => ["audit", q] as const,
  methods: ["methods"] as const,
};

/** A 401 or 403 is an answer, not a failure to retry. */
const retry = (n: number, e: unknown) => !(e instanceof ApiError && e.status < 500) && n < 2;

export const useMe = () => useQuery({ queryKey: keys.me, queryFn: api.me, retry, staleTime: 60_000 });
export const useMesh = () => useQuery({ queryKey: keys.mesh, queryFn: api.mesh, retry, staleTime: 30_000 });
export const useStacks = () =>
  useQuery({
    queryKey: keys.stacks,
    queryFn: api.stacks,
    retry,
    refetchInterval: (q) => (q.state.data?.stacks.some((s) => s.runningJob) ? 2000 : 15_000),
  });
export const useStack = (stack: string) =>
  useQuery({
    queryKey: keys.stack(stack),
    queryFn: () => api.stack(stack),
    retry,
    refetchInterval: (q) => (q.state.data?.runningJob ? 2000 : 15_000),
  });
export const useJobs = (q: JobsQuery) =>
  useQuery({
    queryKey: keys.jobs(q),
    queryFn: () => api.jobs(q),
    retry,
    refetchInterval: (query) => (query.state.data?.jobs.some((j) => !isTerminal(j.state)) ? 2000 : 15_000),
  });
export const useJob = (id: string) =>
  useQuery({
    queryKey: keys.job(id),
    queryFn: () => api.job(id),
    retry,
    refetchInterval: (q) => (q.state.data && isTerminal(q.state.data.state) ? false : 3000),
  });
export const useConvergeRun = (id: string) =>
  useQuery({
    queryKey: keys.converge(id),
    queryFn: () => api.convergeRun(id),
    retry,
    refetchInterval: (q) => (q.state.data && q.state.data.state !== "running" ? false : 1000),
  });

export const useMethods = () => useQuery({ queryKey: keys.methods, queryFn: api.methods, retry, staleTime: 300_000 });
/** Admins only: another role's page asks nothing (the server would answer 403). */
export const useAudit = (q: AuditQuery, enabled: boolean) =>
  useQuery({ queryKey: keys.audit(q), queryFn: () => api.audit(q), retry, enabled });
export const useConverges = () =>
  useQuery({
    queryKey: keys.converges,
    queryFn: api.converges,
    retry,
    refetchInterval: (q) => (q.state.data?.runs.some((r) => r.state === "running") ? 2000 : 15_000),
  });

/** Starts a job; on success the stacks and jobs lists are read again. */
export function useStart<T>(fn: (arg: T) => Promise<Job>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSettled: () => {
      void client.invalidateQueries({ queryKey: keys.stacks });
      void client.invalidateQueries({ queryKey: ["jobs"] });
    },
  });
}

export function useCancel() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.cancel(id),
    onSuccess: (job) => client.setQueryData(keys.job(job.id), job),
  });
}

export function useConverge() {
  return useMutation({ mutationFn: (verify: boolean) => api.converge(verify) });
}
