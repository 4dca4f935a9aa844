/**
 * A template the matcher will not hold: another model (algo), another length, or a vector that
 * cannot be normalised. The caller counts such templates as kept-but-unused (they stay on disk
 * until re-enrolled with the current model).
 */
export class TemplateMismatchError extends Error {
  constructor(
    readonly templateId: string,
    readonly reason: 'algo' | 'dimensions' | 'modality' | 'invalid_vector',
    detail: string,
  ) {
    super(`template ${templateId} refused (${reason}): ${detail}`);
    this.name = 'TemplateMismatchError';
  }
}

/** A probe the matcher cannot score (wrong length, NaN, zero vector). */
export class ProbeError extends Error {
  constructor(detail: string) {
    super(`probe refused: ${detail}`);
    this.name = 'ProbeError';
  }
}
