// One fixed seed per run so a failure can be replayed: fast-check prints `seed` and the shrunk
// counterexample path on failure; ESIK_FUZZ_SEED replays another seed.
export const FUZZ_RUNS = Number(process.env.ESIK_FUZZ_RUNS ?? 10_000);

export const FUZZ_SEED = Number(process.env.ESIK_FUZZ_SEED ?? 20261122);

export const fuzzParams = { numRuns: FUZZ_RUNS, seed: FUZZ_SEED, verbose: 1 } as const;
