// Ordering release versions (semantic versioning: 1.10.0 > 1.9.0, 2.0.0-rc.1 < 2.0.0) for the
// updater's downgrade refusal. Release versions are folder names first (manifest.ts), so some may not
// be semantic versions at all: those cannot be ordered, and the updater treats that as "not provably
// newer".
import semver from 'semver';

/** <0, 0 or >0 like a comparator; null when either is not a semantic version. */
export function compareVersions(a: string, b: string): number | null {
  if (semver.valid(a) === null || semver.valid(b) === null) return null;
  return semver.compare(a, b);
}

/** The highest semantic version among `versions` (others and nulls are skipped); null when there is none. */
export function highestVersion(versions: Iterable<string | null>): string | null {
  let highest: string | null = null;
  for (const version of versions) {
    if (version === null || semver.valid(version) === null) continue;
    if (highest === null || semver.gt(version, highest)) highest = version;
  }
  return highest;
}
